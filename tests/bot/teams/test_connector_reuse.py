"""Connector clients are kept per service URL on both adapters: many turns replying to one
service URL use one client (and, with credentials, one credentials object and one token
fetch); another service URL gets its own; the number kept is bounded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
from aiohttp import web

from bot.settings import Settings
from bot.teams.connectors import settle_environment
from dialogs.stores.base import SessionStore
from tests.bot.teams.conftest import Person, TeamsHarness, option_data, start_teams
from tests.support.teams_activities import card_submit, personal_message
from tests.support.teams_auth import LocalAppCredentials, LocalCredentialsFactory, TeamsIssuer
from tests.support.teams_connector import SERVICE_PATH, ConnectorCall, TeamsConnector
from tests.support.teams_sdk import ConnectorClient, MicrosoftAppCredentials

APP_ID = str(uuid.UUID(int=0x5678))


def other_service_url(connector: TeamsConnector, region: str) -> str:
    """Another region's service URL on the same stand-in (Teams has one per region)."""
    return connector.service_url.replace(SERVICE_PATH, f"/{region}/")


def sender(person: Person, service_url: str) -> dict[str, str]:
    """Who sends an activity, and which service URL it carries, as the builders take them."""
    return {
        "user_id": person.user_id,
        "aad_object_id": person.aad,
        "conversation_id": person.conversation,
        "service_url": service_url,
    }


async def say(
    teams: TeamsHarness, person: Person, text: str, service_url: str, **post: Any
) -> None:
    activity = personal_message(text, **sender(person, service_url))
    assert await teams.post(activity, **post) in (200, 201, 202)


async def answer(
    teams: TeamsHarness, person: Person, card: ConnectorCall, service_url: str, **post: Any
) -> None:
    """Click the question card's first option."""
    value = next(iter(option_data(card).values()))
    activity = card_submit(value, reply_to_id=str(card.answer["id"]), **sender(person, service_url))
    assert await teams.post(activity, **post) in (200, 201, 202)


async def walk(
    teams: TeamsHarness, person: Person, service_url: str, clicks: int, **post: Any
) -> list[ConnectorCall]:
    """Open the assessment and answer `clicks` questions; the question cards sent."""
    await say(teams, person, "hello", service_url, **post)
    for seen in range(1, clicks + 1):
        questions = await teams.eventually(lambda: teams.questions(person.conversation))
        await answer(teams, person, questions[-1], service_url, **post)
        await teams.eventually(partial(asked, teams, person, seen + 1))
    return teams.questions(person.conversation)


def asked(teams: TeamsHarness, person: Person, count: int) -> bool:
    """Whether `person` has been sent `count` question cards."""
    return len(teams.questions(person.conversation)) >= count


def built_for(teams: TeamsHarness, service_url: str) -> int:
    """How many connector clients the adapter built for `service_url`."""
    return sum(1 for key in teams.clients.built if service_url in key)


async def test_turns_to_one_service_url_share_one_client(teams: TeamsHarness) -> None:
    url = teams.connector.service_url
    first, second = Person(), Person()
    await walk(teams, first, url, clicks=3)
    await walk(teams, second, url, clicks=2)
    # Seven turns, each updating a card and posting the next: one client for all of them.
    assert built_for(teams, url) == 1
    assert teams.clients.kept == 1
    calls = teams.connector.sent(first.conversation) + teams.connector.sent(second.conversation)
    assert len(calls) >= 7
    assert all(call.path.startswith(SERVICE_PATH) for call in calls)


async def test_another_service_url_gets_its_own_client(teams: TeamsHarness) -> None:
    here, there = teams.connector.service_url, other_service_url(teams.connector, "emea")
    local, abroad = Person(), Person()
    await walk(teams, local, here, clicks=2)
    await walk(teams, abroad, there, clicks=2)
    await walk(teams, Person(), here, clicks=1)
    assert built_for(teams, here) == 1
    assert built_for(teams, there) == 1
    assert teams.clients.kept == 2
    # Each conversation's replies went to the service URL its activities carried.
    assert all(c.path.startswith("/emea/") for c in teams.connector.sent(abroad.conversation))
    assert all(c.path.startswith(SERVICE_PATH) for c in teams.connector.sent(local.conversation))


async def test_the_clients_kept_are_bounded(teams: TeamsHarness) -> None:
    teams.clients.limit = 2
    regions = ["amer", "emea", "apac"]
    for region in regions:
        await walk(teams, Person(), other_service_url(teams.connector, region), clicks=1)
    assert teams.clients.kept == 2
    # The least recently used (amer) was dropped: a new turn there builds it again.
    await walk(teams, Person(), other_service_url(teams.connector, "amer"), clicks=1)
    assert built_for(teams, other_service_url(teams.connector, "amer")) == 2
    assert teams.clients.kept == 2


class RecordingCredentialsFactory(LocalCredentialsFactory):
    """The local issuer's credentials factory (where MSAL is replaced), keeping what it made."""

    def __init__(self, *, app_id: str, issuer: TeamsIssuer) -> None:
        super().__init__(app_id=app_id, issuer=issuer)
        self.made: list[LocalAppCredentials] = []

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> LocalAppCredentials:
        credentials = await super().create_credentials(
            app_id, oauth_scope, login_endpoint, validate_authority
        )
        assert isinstance(credentials, LocalAppCredentials)
        self.made.append(credentials)
        return credentials


@pytest.fixture
async def credentialed(
    connector: TeamsConnector, redis_url: str, store: SessionStore
) -> AsyncIterator[tuple[TeamsHarness, TeamsIssuer, RecordingCredentialsFactory]]:
    """botbuilder with an app id and password, its tokens from the local issuer (the Agents
    SDK's signing keys cannot be local: its reuse is shown in dev mode above)."""
    settings = Settings(
        redis_url=redis_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password="local-secret",
        microsoft_app_type="MultiTenant",
    )
    with TeamsIssuer() as issuer:
        factory = RecordingCredentialsFactory(app_id=APP_ID, issuer=issuer)
        harness, runner = await start_teams(
            connector,
            settings,
            store,
            auth_configuration=issuer.bot_configuration(APP_ID),
            credentials_factory=factory,
        )
        try:
            yield harness, issuer, factory
        finally:
            await harness.http.close()
            await runner.cleanup()


async def test_credentials_and_their_token_are_made_once(
    credentialed: tuple[TeamsHarness, TeamsIssuer, RecordingCredentialsFactory],
) -> None:
    teams, issuer, factory = credentialed
    here, there = teams.connector.service_url, other_service_url(teams.connector, "emea")
    for url in (here, there, here):
        token = issuer.authorization(APP_ID, service_url=url)
        await walk(teams, Person(), url, clicks=2, authorization=token)
    assert built_for(teams, here) == 1
    assert built_for(teams, there) == 1
    # One credentials object for the app and scope, one token fetched from the issuer, for
    # nine turns over two service URLs (the SDK would make both for every turn).
    assert len(factory.made) == 1
    assert factory.made[0].tokens_issued == 1
    sent = [c for c in teams.connector.calls if c.cards]
    assert len(sent) >= 9
    assert len({c.authorization for c in sent}) == 1
    assert (sent[0].authorization or "").startswith("Bearer ")


@pytest.mark.parametrize(
    ("no_proxy", "proxied"), [("", True), ("connector.example,.internal", False)]
)
def test_a_kept_client_reads_the_environment_once(
    monkeypatch: pytest.MonkeyPatch, no_proxy: str, proxied: bool
) -> None:
    """botbuilder (msrest, requests) reads proxies and the CA bundle from the environment on
    every call; a kept client reads them once for its service URL, with the same outcome."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", no_proxy)
    monkeypatch.setenv("https_proxy", "http://proxy.internal:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    url = "https://connector.example/amer/"
    client = ConnectorClient(MicrosoftAppCredentials(None, None), base_url=url)
    settle_environment(client, url)
    config = client.config
    assert config.proxies.use_env_settings is False
    expected = {"https": "http://proxy.internal:3128"} if proxied else {}
    assert config.proxies.proxies == expected
    assert config.connection.verify == "/etc/ssl/certs/ca-certificates.crt"


async def test_a_kept_client_sends_through_the_proxy_the_environment_names(
    connector: TeamsConnector,
    redis_url: str,
    store: SessionStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """botbuilder's calls leave through aiohttp, which reads no environment itself: the proxy
    for the service URL, settled once per kept client, is the one it goes through."""
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.url}")
        return web.json_response({"id": "1750000000001"}, status=201)

    proxy_app = web.Application()
    proxy_app.router.add_route("*", "/{tail:.*}", proxy)
    proxy_runner = web.AppRunner(proxy_app)
    await proxy_runner.setup()
    await web.TCPSite(proxy_runner, "127.0.0.1", 0).start()
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy_runner.addresses[0][1]}")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(redis_url=redis_url, teams_dev_mode=True)
    teams, runner = await start_teams(connector, settings, store, dev=True)
    try:
        await say(teams, Person(), "hello", connector.service_url)
    finally:
        await teams.http.close()
        await runner.cleanup()
        await proxy_runner.cleanup()
    assert seen, "nothing went through the proxy"
    assert all(line.startswith(f"POST {connector.service_url}v3/conversations/") for line in seen)
    assert connector.calls == []  # the proxy answered: nothing reached the connector directly
