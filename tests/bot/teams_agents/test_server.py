"""The Agents SDK endpoint with credentials: every bad token is a 401 before anything is read
or sent, and no token reaches the SDK's key fetch from Microsoft (whose addresses are fixed in
the SDK, so tokens cannot be validated against local keys here: the turns themselves run in its
anonymous mode, tests/bot/teams/ parametrised over both adapters)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from bot.teams_agents.server import auth_configuration, token_rejected
from dialogs.stores.base import SessionStore
from tests.bot.teams.conftest import Person, TeamsHarness, start_teams
from tests.support.teams_activities import personal_message
from tests.support.teams_auth import BOT_FRAMEWORK_ISSUER, TeamsIssuer
from tests.support.teams_connector import TeamsConnector

APP_ID = "00000000-0000-0000-0000-00000000a11e"
TENANT = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
async def agents(
    connector: TeamsConnector, redis_url: str, store: SessionStore
) -> AsyncIterator[TeamsHarness]:
    settings = Settings(
        redis_url=redis_url,
        teams_sdk="agents",
        agents_client_id=APP_ID,
        agents_client_secret="not-a-real-secret",
        agents_tenant_id=TENANT,
    )
    harness, runner = await start_teams(connector, settings, store, sdk="agents")
    try:
        yield harness
    finally:
        await harness.http.close()
        await runner.cleanup()


def hello(harness: TeamsHarness) -> dict[str, object]:
    person = Person()
    return personal_message(
        "hi",
        user_id=person.user_id,
        aad_object_id=person.aad,
        conversation_id=person.conversation,
        service_url=harness.connector.service_url,
    )


def unsigned(claims: dict[str, object]) -> str:
    """A JWT with no signature at all ("alg": "none")."""

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_no_token_is_401(agents: TeamsHarness) -> None:
    assert await agents.post(hello(agents)) == 401
    assert agents.connector.calls == []


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer two tokens",
        "bearer",
        "Bearer \u00e9",
    ],
)
async def test_a_malformed_token_is_401(agents: TeamsHarness, header: str) -> None:
    assert await agents.post(hello(agents), authorization=header) == 401
    assert agents.connector.calls == []


@pytest.mark.parametrize(
    "issuer",
    [
        "https://evil.example",
        "https://api.botframework.com.evil.example",
        f"https://sts.windows.net/{'9' * 8}-0000-0000-0000-000000000000/",
        "",
    ],
)
async def test_a_token_from_another_issuer_is_401(agents: TeamsHarness, issuer: str) -> None:
    token = TeamsIssuer().token(APP_ID, issuer=issuer)
    assert await agents.post(hello(agents), authorization=f"Bearer {token}") == 401
    assert agents.connector.calls == []


async def test_an_unsigned_token_with_no_issuer_is_401(agents: TeamsHarness) -> None:
    token = unsigned({"aud": APP_ID})
    assert await agents.post(hello(agents), authorization=f"Bearer {token}") == 401


async def test_the_issuers_accepted_are_the_sdks_for_this_tenant() -> None:
    """Bot Framework's and this tenant's Entra issuers (the SDK's own list), nothing else."""
    settings = Settings(agents_client_id=APP_ID, agents_client_secret="s", agents_tenant_id=TENANT)
    configuration = auth_configuration(settings)
    accepted = {i.lower() for i in configuration.ISSUERS}
    assert BOT_FRAMEWORK_ISSUER in accepted
    assert f"https://sts.windows.net/{TENANT}/" in accepted
    minted = TeamsIssuer()
    assert not token_rejected(f"Bearer {minted.token(APP_ID)}", configuration)
    assert token_rejected(f"Bearer {minted.token(APP_ID, issuer='https://x')}", configuration)


async def test_in_dev_mode_a_token_is_refused_and_no_token_is_served(
    connector: TeamsConnector, redis_url: str, store: SessionStore
) -> None:
    """Dev mode is anonymous: a bot with no app id cannot be a token's audience."""
    settings = Settings(redis_url=redis_url, teams_sdk="agents", teams_dev_mode=True)
    harness, runner = await start_teams(connector, settings, store, sdk="agents", dev=True)
    try:
        token = TeamsIssuer().token(APP_ID)
        assert await harness.post(hello(harness), authorization=f"Bearer {token}") == 401
        assert await harness.post(hello(harness)) in (200, 201, 202)
    finally:
        await harness.http.close()
        await runner.cleanup()
