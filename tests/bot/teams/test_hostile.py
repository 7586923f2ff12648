"""Hostile requests to POST /api/messages: the token is checked before the body (401), bodies
too big or too deep get 413 / 400, forged tokens cannot make the bot fetch signing keys on every
request, and dev mode replies only to loopback service URLs. Never a 5xx."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web

from bot.settings import Settings
from dialogs.stores.memory import MemoryStore
from tests.bot.teams.conftest import Person, TeamsHarness, start_teams
from tests.support.teams_activities import personal_message
from tests.support.teams_auth import BOT_FRAMEWORK_ISSUER, TeamsIssuer
from tests.support.teams_connector import TeamsConnector

APP_ID = str(uuid.UUID(int=0x4321))
DEEP = 100_000


class FailingKeysIssuer(TeamsIssuer):
    """An issuer whose key endpoint is down: every attempt is counted, none succeeds."""

    async def _keys(self, request: web.Request) -> web.Response:
        self.jwks_requests += 1
        return web.json_response({"error": "down"}, status=503)


async def secured_harness(
    connector: TeamsConnector, issuer: TeamsIssuer
) -> tuple[TeamsHarness, web.AppRunner]:
    settings = Settings(
        microsoft_app_id=APP_ID,
        microsoft_app_password="local-secret",
        microsoft_app_type="MultiTenant",
    )
    return await start_teams(
        connector,
        settings,
        MemoryStore(),
        auth_configuration=issuer.bot_configuration(APP_ID),
        credentials_factory=issuer.credentials_factory(APP_ID),
    )


@pytest.fixture
async def dev(connector: TeamsConnector) -> AsyncIterator[TeamsHarness]:
    harness, runner = await start_teams(
        connector, Settings(teams_dev_mode=True), MemoryStore(), dev=True
    )
    try:
        yield harness
    finally:
        await harness.http.close()
        await runner.cleanup()


def message(url: str, person: Person | None = None, text: str = "hi") -> dict[str, Any]:
    person = person or Person()
    return personal_message(
        text,
        user_id=person.user_id,
        aad_object_id=person.aad,
        conversation_id=person.conversation,
        service_url=url,
    )


async def post_raw(teams: TeamsHarness, body: bytes, **headers: str) -> int:
    headers = {"Content-Type": "application/json", **headers}
    async with teams.http.post(teams.url, data=body, headers=headers) as response:
        await response.read()
        return response.status


DEEP_BODIES = [
    b"[" * DEEP + b"]" * DEEP,
    b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    b'{"type":"message","value":' + b"[" * 70 + b"]" * 70 + b"}",
]


@pytest.mark.parametrize("body", DEEP_BODIES)
async def test_deep_bodies_in_dev_mode_get_400(dev: TeamsHarness, body: bytes) -> None:
    assert await post_raw(dev, body) == 400


async def test_big_bodies_get_413(dev: TeamsHarness) -> None:
    activity = message(dev.connector.service_url)
    activity["text"] = "a" * (1024 * 1024)
    async with dev.http.post(dev.url, json=activity) as response:
        assert response.status == 413


async def test_brackets_in_text_are_not_nesting(dev: TeamsHarness) -> None:
    person = Person()
    status = await dev.post(message(dev.connector.service_url, person, "[" * 200 + "hi"))
    assert status in (200, 201, 202)


async def test_dev_mode_replies_only_to_loopback_service_urls(dev: TeamsHarness) -> None:
    # 0.0.0.0 reaches the stand-in connector too, but is not a loopback address.
    elsewhere = dev.connector.service_url.replace("127.0.0.1", "0.0.0.0")
    assert elsewhere != dev.connector.service_url
    assert await dev.post(message(elsewhere)) == 400
    await asyncio.sleep(0.2)
    assert dev.connector.calls == []
    person = Person()
    assert await dev.post(message(dev.connector.service_url, person)) in (200, 201, 202)
    await dev.eventually(lambda: dev.questions(person.conversation))


async def test_without_a_token_the_body_is_not_read(connector: TeamsConnector) -> None:
    with TeamsIssuer() as issuer:
        teams, runner = await secured_harness(connector, issuer)
        try:
            for body in DEEP_BODIES:
                assert await post_raw(teams, body) == 401
                assert await post_raw(teams, body, Authorization="Bearer x.y.z") == 401
            missing_field = b'{"type": "message", "text": "hi"}'
            assert await post_raw(teams, missing_field) == 401
            assert await post_raw(teams, b"not json", Authorization="Basic abc") == 401
            forged = issuer.authorization(APP_ID, service_url=connector.service_url, wrong_key=True)
            assert await post_raw(teams, DEEP_BODIES[0], Authorization=forged) == 401
            # A good token with a bad body: now the body's problems are answered.
            good = issuer.authorization(APP_ID, service_url=connector.service_url)
            assert await post_raw(teams, DEEP_BODIES[0], Authorization=good) == 400
            assert await post_raw(teams, missing_field, Authorization=good) == 400
        finally:
            await teams.http.close()
            await runner.cleanup()


def forged_tokens(issuer: TeamsIssuer, service_url: str, count: int) -> list[str]:
    claims = {"iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "serviceurl": service_url}
    none = jwt.encode(claims, "", algorithm="none")
    hs256 = jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": issuer.kid})
    kinds = [
        none,
        hs256,
        issuer.token(APP_ID, service_url=service_url, kid="no-such-key"),
        issuer.token(APP_ID, service_url=service_url, wrong_key=True),
    ]
    unknown = [issuer.token(APP_ID, service_url=service_url, kid=f"k{i}") for i in range(count)]
    return kinds * (count // len(kinds)) + unknown


@pytest.mark.parametrize("issuer_kind", [TeamsIssuer, FailingKeysIssuer])
async def test_forged_tokens_do_not_make_the_bot_fetch_keys_each_time(
    connector: TeamsConnector, issuer_kind: type[TeamsIssuer]
) -> None:
    with issuer_kind() as issuer:
        teams, runner = await secured_harness(connector, issuer)
        try:
            activity = message(connector.service_url)
            tokens = forged_tokens(issuer, connector.service_url, 20)
            async with aiohttp.ClientSession() as http:
                teams.http, old = http, teams.http
                await old.close()
                statuses = [await teams.post(activity, authorization=f"Bearer {t}") for t in tokens]
            assert set(statuses) == {401}
            assert issuer.metadata_requests <= 1, issuer.metadata_requests
            assert issuer.jwks_requests <= 1, issuer.jwks_requests
        finally:
            await teams.http.close()
            await runner.cleanup()
