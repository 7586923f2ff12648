"""What `serve`, `slack` and `teams` expose: loopback by default, Teams dev mode only on
loopback, a word about the in-memory store, and /metrics on a port of its own if asked."""

from __future__ import annotations

import subprocess
import sys

import aiohttp
import pytest

from bot.cli import build_parser
from tests.bot.serve_rigs import ServeProcess, serve_env, standin
from tests.support.redis_server import RedisServer, free_port
from tests.support.slack_standin import SlackStandIn

__all__ = ["standin"]  # the fixture, used here by name


@pytest.mark.parametrize("command", ["serve", "slack", "teams"])
def test_commands_listen_on_loopback_by_default_and_say_so(command: str) -> None:
    parser = build_parser()
    args = parser.parse_args([command])
    assert args.host == "127.0.0.1"
    assert args.metrics_port is None
    sub = next(a for a in parser._actions if a.dest == "command")
    text = sub.choices[command].format_help()  # type: ignore[attr-defined]
    assert "--host" in text and "127.0.0.1" in text and "0.0.0.0" in text
    assert "--metrics-port" in text


def _env(**extra: str) -> dict[str, str]:
    env = serve_env()
    env.pop("REDIS_URL", None)
    env.update(**extra)
    return env


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["serve", "--teams-dev", "--host", "0.0.0.0"], {}),
        (["serve", "--host", "0.0.0.0"], {"TEAMS_DEV_MODE": "true"}),
        (["teams", "--dev", "--host", "192.0.2.1"], {}),
        (["teams", "--dev", "--host", "::"], {}),
    ],
)
def test_teams_dev_mode_is_refused_off_loopback(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--port", str(free_port())],
        env=_env(**env),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "dev mode" in result.stderr and "loopback" in result.stderr, result.stderr


async def test_the_in_memory_store_is_announced_at_start_and_in_readyz(
    standin: SlackStandIn,
) -> None:
    process = ServeProcess(redis_url="", standin=standin)
    try:
        async with aiohttp.ClientSession() as http:
            await process.ready(http)
            async with http.get(f"{process.url}/readyz") as r:
                assert r.status == 200
                ready = await r.json()
        assert ready["status"] == "ready" and ready["store"] == "memory"
        assert "not shared" in ready["warning"] and "lost on restart" in ready["warning"]
    finally:
        _, err = process.stop()
    assert "not shared" in err and "REDIS_URL" in err


async def test_readyz_with_redis_has_no_warning(
    standin: SlackStandIn, private_redis: RedisServer
) -> None:
    process = ServeProcess(redis_url=private_redis.url, standin=standin)
    try:
        async with aiohttp.ClientSession() as http:
            await process.ready(http)
            async with http.get(f"{process.url}/readyz") as r:
                ready = await r.json()
        assert "warning" not in ready and "store" not in ready
    finally:
        _, err = process.stop()
    assert "not shared" not in err


@pytest.mark.parametrize("how", ["flag", "env"])
async def test_metrics_on_a_port_of_their_own(
    standin: SlackStandIn, private_redis: RedisServer, how: str
) -> None:
    metrics_port = free_port()
    process = ServeProcess(
        redis_url=private_redis.url,
        standin=standin,
        command=("serve", "--metrics-port", str(metrics_port)) if how == "flag" else ("serve",),
        extra_env={"ADVISOR_METRICS_PORT": str(metrics_port)} if how == "env" else None,
    )
    try:
        async with aiohttp.ClientSession() as http:
            await process.ready(http)
            async with http.get(f"{process.url}/metrics") as r:
                assert r.status == 404
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as r:
                assert r.status == 200
                assert "advisor_" in await r.text()
            async with http.get(f"http://127.0.0.1:{metrics_port}/slack/events") as r:
                assert r.status == 404
    finally:
        code, err = process.stop()
    assert code == 0, err
