"""What the tests of `llm-advisor serve` run it with: settings and stand-ins for Slack and Teams,
the Prometheus text parser, and `serve` as a real process (test_serve*.py, test_exposure.py,
test_hostile_property.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.settings import Settings
from tests.bot.slack.conftest import SECRET
from tests.support.redis_server import free_port
from tests.support.slack_standin import PROXY_ENV_VARS, SlackStandIn
from tests.support.slack_standin_rig import standin
from tests.support.teams_connector import TeamsConnector

__all__ = ["standin"]  # the fixture (tests/support/slack_standin_rig.py), for test_serve*.py

ROOT = Path(__file__).resolve().parents[2]
START_ATTEMPTS = 5  # serve started at most this many times, each on a new free port
PROBE = aiohttp.ClientTimeout(total=2.0)  # one readiness request


def settings_for(redis_url: str, standin: SlackStandIn) -> Settings:
    return Settings(
        redis_url=redis_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=standin.base_url,
        teams_dev_mode=True,
    )


@pytest.fixture
async def connector() -> AsyncIterator[TeamsConnector]:
    async with TeamsConnector() as server:
        yield server


def parse_metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus text format to {(name, sorted labels): value}."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, rest = head.partition("{")
        labels = tuple(sorted(tuple(p.split("=", 1)) for p in rest.rstrip("}").split(",") if p))
        out[(name, tuple((k, v.strip('"')) for k, v in labels))] = float(value)
    return out


# ------------------------------------------------------------------------- real processes


def serve_env() -> dict[str, str]:
    """This environment for a `bot.cli` process: no proxy variables (the stand-ins are on
    loopback), none of the developer's Slack or Teams settings, the project on PYTHONPATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PROXY_ENV_VARS and not k.startswith(("SLACK_", "MICROSOFT_", "TEAMS_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    return env


class ServeProcess:
    """`python -m bot.cli serve` (or `command`) on a free loopback port, its output piped.

    A free port is only free when it is picked: a process running beside the tests may take it
    before serve binds it. Serve then exits saying so, and `ready` starts it again on another
    free port (only then, and at most START_ATTEMPTS times in all); `port` and `url` follow it.
    `port` is the first port to try (a free one when not given).
    """

    def __init__(
        self,
        *,
        redis_url: str,
        standin: SlackStandIn,
        extra_env: dict[str, str] | None = None,
        command: tuple[str, ...] = ("serve",),
        port: int | None = None,
    ) -> None:
        env = serve_env()
        env.update(
            REDIS_URL=redis_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=standin.base_url,
            TEAMS_DEV_MODE="true",
            ADVISOR_SHUTDOWN_SECONDS="15",
        )
        env.update(extra_env or {})
        self.env = env
        self.command = command
        self.attempts = 0
        self.start(port or free_port())

    def start(self, port: int) -> None:
        self.attempts += 1
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "bot.cli", *self.command]
        self.process = subprocess.Popen(
            [*argv, "--host", "127.0.0.1", "--port", str(port)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def lost_its_port(self, err: str) -> bool:
        """Whether serve exited because its own port was taken (aiohttp's bind error)."""
        return f"('127.0.0.1', {self.port}): address already in use" in err

    async def ready(self, http: aiohttp.ClientSession) -> None:
        for _ in range(600):
            if self.process.poll() is not None:
                err = self.process.communicate()[1]
                if self.lost_its_port(err) and self.attempts < START_ATTEMPTS:
                    self.start(free_port())
                    continue
                raise AssertionError(f"serve exited: {err}")
            try:
                # Bounded: until serve binds, whatever took its port may take the request.
                async with http.get(f"{self.url}/readyz", timeout=PROBE) as r:
                    if r.status == 200 and self.process.poll() is None:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
        raise AssertionError("serve did not become ready")

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err


@pytest.fixture
def processes() -> Iterator[list[ServeProcess]]:
    started: list[ServeProcess] = []
    yield started
    for p in started:
        p.stop()
