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


class ServeProcess:
    def __init__(
        self,
        *,
        redis_url: str,
        standin: SlackStandIn,
        extra_env: dict[str, str] | None = None,
        command: tuple[str, ...] = ("serve",),
    ) -> None:
        self.port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in PROXY_ENV_VARS and not k.startswith(("SLACK_", "MICROSOFT_", "TEAMS_"))
        }
        env.update(
            PYTHONPATH=str(ROOT),
            REDIS_URL=redis_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=standin.base_url,
            TEAMS_DEV_MODE="true",
            ADVISOR_SHUTDOWN_SECONDS="15",
        )
        env.update(extra_env or {})
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                *command,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    async def ready(self, http: aiohttp.ClientSession) -> None:
        for _ in range(600):
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.process.communicate()[1]}")
            try:
                async with http.get(f"{self.url}/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
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
