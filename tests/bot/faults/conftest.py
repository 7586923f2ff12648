"""Fixtures of the fault tests: `serve`'s wiring with a fault proxy on each outbound path
(tests/support/fault_rigs.py), and the Slack and Teams rigs on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from aiohttp import web

from bot.server import create_service
from bot.settings import Settings
from bot.slack.server import EVENTS_PATH
from bot.teams.server import MESSAGES_PATH
from tests.bot.slack.conftest import SECRET, SlackHarness
from tests.bot.teams.conftest import TeamsHarness
from tests.support.fault_proxy import FaultProxy
from tests.support.fault_rigs import (
    SLACK_API_TIMEOUT_SECONDS,
    WAIT_SECONDS,
    SlackRig,
    TeamsRig,
    Turns,
    Wiring,
    origin_port,
)
from tests.support.redis_server import RedisServer
from tests.support.slack_standin import PROXY_ENV_VARS, SlackStandIn
from tests.support.teams_connector import TeamsConnector


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private server for this module (tests use their own users, so their own keys)."""
    server = RedisServer(directory=tmp_path_factory.mktemp("faults-redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def wiring(
    monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer
) -> AsyncIterator[Wiring]:
    # slack_sdk and requests would send loopback traffic through a configured HTTP proxy.
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    async with (
        SlackStandIn() as standin,
        TeamsConnector() as connector,
        FaultProxy("127.0.0.1", redis_server.port, scheme="redis") as redis,
        FaultProxy("127.0.0.1", origin_port(standin.origin)) as slack_api,
        FaultProxy("127.0.0.1", origin_port(connector.origin)) as teams_api,
    ):
        settings = Settings(
            redis_url=redis.rebase(redis_server.url),
            slack_bot_token="xoxb-test",
            slack_signing_secret=SECRET,
            slack_api_url=slack_api.rebase(standin.base_url),
            slack_api_timeout_seconds=SLACK_API_TIMEOUT_SECONDS,
            teams_dev_mode=True,
        )
        service = await create_service(settings)
        turns = Turns(service.advisor.observer)
        service.advisor.observer = turns
        runner = web.AppRunner(service.app, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        http = aiohttp.ClientSession()
        wired = Wiring(
            service=service,
            url=f"http://127.0.0.1:{runner.addresses[0][1]}",
            http=http,
            standin=standin,
            connector=connector,
            redis=redis,
            slack_api=slack_api,
            teams_api=teams_api,
            turns=turns,
        )
        try:
            yield wired
        finally:
            # Free anything stuck on a black-holed connection, so turns end before shutdown.
            for proxy in (redis, slack_api, teams_api):
                proxy.pass_through()
                proxy.reset_open_connections()
            if wired.pending:
                await asyncio.wait(wired.pending, timeout=WAIT_SECONDS)
            await service.drainer.drain(WAIT_SECONDS)
            await http.close()
            await runner.cleanup()
            await service.close()


@pytest.fixture
def slack_rig(wiring: Wiring) -> SlackRig:
    harness = SlackHarness(
        standin=wiring.standin,
        url=wiring.url + EVENTS_PATH,
        http=wiring.http,
        advisor=wiring.service.advisor,
    )
    return SlackRig(wiring=wiring, slack=harness)


@pytest.fixture
def teams_rig(wiring: Wiring) -> TeamsRig:
    harness = TeamsHarness(
        connector=wiring.connector,
        url=wiring.url + MESSAGES_PATH,
        http=wiring.http,
        advisor=wiring.service.advisor,
    )
    return TeamsRig(wiring=wiring, teams=harness)
