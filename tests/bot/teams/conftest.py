"""The real CloudAdapter behind a real aiohttp endpoint, replying to a stand-in Bot Connector.

The `teams` fixture runs each test on both Teams adapters (TEAMS_SDK): botbuilder and the
Microsoft 365 Agents SDK, in dev mode (the Agents SDK's documented anonymous mode: its signing
keys come from Microsoft's fixed addresses, which tests never reach; its 401 paths are tested
apart, in test_agents_auth.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_advisor
from bot.settings import Settings
from bot.teams.server import add_teams_routes, create_teams_bot
from bot.teams_agents.server import add_agents_routes, create_agents_bot
from dialogs.advisor import Advisor
from dialogs.stores.base import SessionStore
from dialogs.stores.redis_store import RedisStore, create_redis_client
from tests.support.payloads import walk
from tests.support.teams_activities import (
    card_submit,
    new_aad_object_id,
    new_personal_conversation_id,
    new_user_id,
    personal_message,
)
from tests.support.teams_connector import ConnectorCall, TeamsConnector

T = TypeVar("T")


@dataclass
class Person:
    """A Teams user in a personal chat with the bot."""

    user_id: str = field(default_factory=new_user_id)
    aad: str = field(default_factory=new_aad_object_id)
    conversation: str = field(default_factory=new_personal_conversation_id)
    name: str = "Test User"


@dataclass
class TeamsHarness:
    connector: TeamsConnector
    url: str
    http: aiohttp.ClientSession
    advisor: Advisor
    authorization: str | None = None
    #: The adapter's connector clients, kept per service URL (bot.teams.connectors.ConnectorClients
    #: or bot.teams_agents.connectors.PooledClientFactory): `built` lists each client made.
    clients: Any = None

    async def post(self, activity: dict[str, Any], *, authorization: str | None = None) -> int:
        headers = {"Content-Type": "application/json"}
        auth = authorization if authorization is not None else self.authorization
        if auth:
            headers["Authorization"] = auth
        async with self.http.post(self.url, json=activity, headers=headers) as response:
            await response.read()
            return response.status

    async def say(self, person: Person, text: str, **extra: Any) -> int:
        activity = personal_message(
            text,
            user_id=person.user_id,
            aad_object_id=person.aad,
            conversation_id=person.conversation,
            service_url=self.connector.service_url,
            user_name=person.name,
            **extra,
        )
        return await self.post(activity)

    async def click(
        self, person: Person, card: ConnectorCall, value: dict[str, Any], **extra: Any
    ) -> int:
        activity = card_submit(
            value,
            reply_to_id=str(card.answer["id"]),
            user_id=person.user_id,
            aad_object_id=person.aad,
            conversation_id=person.conversation,
            service_url=self.connector.service_url,
            **extra,
        )
        return await self.post(activity)

    async def eventually(self, check: Callable[[], T | None], within: float = 5.0) -> T:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = check()
            if found:
                return found
            if asyncio.get_running_loop().time() > deadline:
                seen = [(c.method, c.path) for c in self.connector.calls]
                raise AssertionError(f"timed out; connector saw: {seen}")
            await asyncio.sleep(0.01)

    # --------------------------------------------------------------------- reading cards

    def cards(self, conversation: str) -> list[ConnectorCall]:
        return [c for c in self.connector.sent(conversation) if c.cards]

    def questions(self, conversation: str) -> list[ConnectorCall]:
        return [c for c in self.cards(conversation) if option_data(c)]

    def summaries(self, conversation: str) -> list[ConnectorCall]:
        return [
            c
            for c in self.cards(conversation)
            if "Your build-vs-buy summary" in card_text(c) or "Updated summary" in card_text(c)
        ]

    def texts(self, conversation: str) -> list[str]:
        return [str(c.body.get("text") or card_text(c)) for c in self.connector.sent(conversation)]


def option_data(call: ConnectorCall) -> dict[str, dict[str, str]]:
    """Option id -> Action.Submit data, for a question card."""
    out: dict[str, dict[str, str]] = {}
    for card in call.cards:
        for node in walk(card):
            data = node.get("data") if node.get("type") == "Action.Submit" else None
            if isinstance(data, dict) and "o" in data:
                out[data["o"]] = data
    return out


def submit_data(call: ConnectorCall, cmd: str) -> dict[str, str]:
    for card in call.cards:
        for node in walk(card):
            data = node.get("data") if node.get("type") == "Action.Submit" else None
            if isinstance(data, dict) and data.get("cmd") == cmd:
                return data
    raise AssertionError(f"no {cmd} button")


def card_text(call: ConnectorCall) -> str:
    parts: list[str] = []
    for card in call.cards:
        for node in walk(card):
            for key in ("text", "title", "value"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
    return "\n".join(parts)


@pytest.fixture
async def connector(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TeamsConnector]:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with TeamsConnector() as server:
        yield server


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[SessionStore]:
    redis_store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.3))
    yield redis_store
    await redis_store.close()


#: The Teams adapters, by their TEAMS_SDK names.
SDKS = ("botbuilder", "agents")


async def start_teams(
    connector: TeamsConnector,
    settings: Settings,
    store: SessionStore,
    *,
    sdk: str = "botbuilder",
    **bot_options: Any,
) -> tuple[TeamsHarness, web.AppRunner]:
    advisor = create_advisor(settings, store=store)
    web_app = web.Application()
    clients: Any
    if sdk == "agents":
        agents = create_agents_bot(settings, advisor, **bot_options)
        add_agents_routes(web_app, agents)
        clients = agents.clients
    else:
        adapter, bot = create_teams_bot(settings, advisor, **bot_options)
        add_teams_routes(web_app, adapter, bot)
        clients = getattr(adapter.bot_framework_authentication, "clients", None)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    harness = TeamsHarness(
        connector=connector,
        url=f"http://127.0.0.1:{port}/api/messages",
        http=aiohttp.ClientSession(),
        advisor=advisor,
        clients=clients,
    )
    return harness, runner


@pytest.fixture(params=SDKS)
def sdk(request: pytest.FixtureRequest) -> str:
    """The Teams adapter under test (TEAMS_SDK)."""
    return str(request.param)


@pytest.fixture
async def teams(
    connector: TeamsConnector, redis_url: str, store: SessionStore, sdk: str
) -> AsyncIterator[TeamsHarness]:
    settings = Settings(redis_url=redis_url, teams_dev_mode=True, teams_sdk=sdk)
    harness, runner = await start_teams(connector, settings, store, sdk=sdk, dev=True)
    try:
        yield harness
    finally:
        await harness.http.close()
        await runner.cleanup()
