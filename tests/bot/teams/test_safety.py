"""Redelivered activities, stale cards, forged data, hostile text, connector errors, Redis outages
and, with credentials configured, every kind of bad token (401, never 500, nothing run)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.settings import Settings
from bot.teams.delivery import Place
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import SessionKey
from tests.bot.teams.conftest import Person, TeamsHarness, card_text, option_data, start_teams
from tests.support.redis_server import RedisServer
from tests.support.teams_activities import personal_message
from tests.support.teams_auth import TeamsIssuer
from tests.support.teams_connector import TeamsConnector

APP_ID = str(uuid.UUID(int=0x1234))


def key(person: Person) -> SessionKey:
    return Place(
        tenant="tenant-1",
        conversation=person.conversation,
        thread="",
        user=person.aad,
        user_name="",
    ).key


async def started(teams: TeamsHarness) -> Person:
    person = Person()
    await teams.say(person, "hi")
    await teams.eventually(lambda: teams.questions(person.conversation))
    return person


async def test_a_repeated_activity_id_advances_once_and_sends_once(teams: TeamsHarness) -> None:
    person = await started(teams)
    activity = personal_message(
        "live",
        user_id=person.user_id,
        aad_object_id=person.aad,
        conversation_id=person.conversation,
        service_url=teams.connector.service_url,
        activity_id="f:repeat-1",
    )
    statuses = await asyncio.gather(*(teams.post(activity) for _ in range(5)))
    assert all(s in (200, 201, 202) for s in statuses)
    await teams.post(activity)  # and once more, later, as Teams' retry would
    await teams.eventually(lambda: teams.questions(person.conversation)[1:])
    await asyncio.sleep(0.2)
    assert len(teams.questions(person.conversation)) == 2
    first = teams.questions(person.conversation)[0]
    assert len(teams.connector.updates(str(first.answer["id"]))) == 1
    session = await teams.advisor.peek(key(person))
    assert session is not None and session.answers == {"stage": "live"} and session.version == 2


async def test_a_click_on_an_old_card_changes_nothing(teams: TeamsHarness) -> None:
    person = await started(teams)
    first = teams.questions(person.conversation)[0]
    await teams.say(person, "live")
    await teams.eventually(lambda: teams.questions(person.conversation)[1:])
    await teams.click(person, first, option_data(first)["idea"])
    await teams.eventually(
        lambda: [t for t in teams.texts(person.conversation) if "already answered" in t]
    )
    session = await teams.advisor.peek(key(person))
    assert session is not None and session.answers == {"stage": "live"}


@pytest.mark.parametrize(
    "value",
    [
        {"q": "stage"},
        {"q": 1, "o": 2, "u": "x"},
        {"cmd": "format-disk", "u": "ME"},
        {"o": "live", "u": "ME", "q": "stage", "s": "forged.1"},
    ],
)
async def test_forged_card_data(teams: TeamsHarness, value: dict[str, Any]) -> None:
    person = await started(teams)
    card = teams.questions(person.conversation)[0]
    forged = {k: (person.aad if v == "ME" else v) for k, v in value.items()}
    assert await teams.click(person, card, forged) in (200, 201, 202)
    await teams.eventually(lambda: teams.connector.sent(person.conversation)[2:])
    session = await teams.advisor.peek(key(person))
    assert session is not None and session.answers == {}


HOSTILE = [
    "[click me](https://evil.example) {{DATE(2017-02-14T06:08:39Z, SHORT)}} <at>Admin</at>",
    'quote " backslash \\ \u202e right-to-left \u05e9\u05dc\u05d5\u05dd emoji 🙂🔥',
    "y" * 10_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=["markdown", "odd", "long"])
async def test_hostile_text_is_inert_in_cards(teams: TeamsHarness, text: str) -> None:
    person = await started(teams)
    count = len(teams.connector.sent(person.conversation))
    await teams.say(person, text)
    reply = (await teams.eventually(lambda: teams.connector.sent(person.conversation)[count:]))[0]
    assert "does not match" in card_text(reply) or "too long" in card_text(reply)
    for content in reply.cards:
        for block in content["body"]:
            if block["type"] == "TextBlock":
                assert "](" not in block["text"] and "{{" not in block["text"]
    assert teams.connector.card_problems == []


async def test_connector_429_and_5xx_are_retried(teams: TeamsHarness) -> None:
    person = await started(teams)
    teams.connector.fail("send", 429, retry_after=0)
    teams.connector.fail("send", 502)
    await teams.say(person, "live")
    question = await teams.eventually(lambda: teams.questions(person.conversation)[1:], within=10)
    assert "How much is a better answer worth" in card_text(question[0])


async def test_a_send_that_keeps_failing_keeps_the_session(
    teams: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    person = await started(teams)
    teams.connector.fail("send", 500, times=8)
    await teams.say(person, "live")
    await teams.eventually(
        lambda: [r for r in caplog.records if "send failed in conversation" in r.getMessage()],
        within=15,
    )
    session = await teams.advisor.peek(key(person))
    assert session is not None and session.answers == {"stage": "live"}
    # Once the connector recovers the person carries on from the next question.
    await teams.say(person, "status")
    await teams.eventually(
        lambda: [c for c in teams.cards(person.conversation) if "Progress: 1 of" in card_text(c)]
    )


@pytest.fixture
async def outage(
    connector: TeamsConnector, private_redis: RedisServer, sdk: str
) -> AsyncIterator[tuple[TeamsHarness, RedisServer]]:
    store = RedisStore(client=create_redis_client(private_redis.url, timeout_seconds=0.3))
    settings = Settings(redis_url=private_redis.url, teams_dev_mode=True, teams_sdk=sdk)
    harness, runner = await start_teams(connector, settings, store, sdk=sdk, dev=True)
    try:
        yield harness, private_redis
    finally:
        await harness.http.close()
        await runner.cleanup()
        await store.close()


async def test_redis_down_mid_assessment_then_back(
    outage: tuple[TeamsHarness, RedisServer],
) -> None:
    teams, redis = outage
    person = await started(teams)
    await teams.say(person, "live")
    await teams.eventually(lambda: teams.questions(person.conversation)[1:])
    redis.stop()
    assert await teams.say(person, "core") in (200, 201, 202)
    await teams.eventually(
        lambda: [t for t in teams.texts(person.conversation) if "briefly unavailable" in t]
    )
    redis.start()
    await teams.say(person, "core")
    third = await teams.eventually(lambda: teams.questions(person.conversation)[2:])
    assert "With a good prompt" in card_text(third[0])


# ------------------------------------------------------------------------------ authentication


@pytest.fixture
async def secured(
    connector: TeamsConnector, redis_url: str
) -> AsyncIterator[tuple[TeamsHarness, TeamsIssuer]]:
    store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.3))
    settings = Settings(
        redis_url=redis_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password="local-secret",
        microsoft_app_type="MultiTenant",
    )
    with TeamsIssuer() as issuer:
        harness, runner = await start_teams(
            connector,
            settings,
            store,
            auth_configuration=issuer.bot_configuration(APP_ID),
            credentials_factory=issuer.credentials_factory(APP_ID),
        )
        try:
            yield harness, issuer
        finally:
            await harness.http.close()
            await runner.cleanup()
            await store.close()


def message(teams: TeamsHarness, person: Person, text: str) -> dict[str, Any]:
    return personal_message(
        text,
        user_id=person.user_id,
        aad_object_id=person.aad,
        conversation_id=person.conversation,
        service_url=teams.connector.service_url,
    )


async def test_a_valid_token_is_accepted_and_replies_are_authenticated(
    secured: tuple[TeamsHarness, TeamsIssuer],
) -> None:
    teams, issuer = secured
    person = Person()
    token = issuer.authorization(APP_ID, service_url=teams.connector.service_url)
    assert await teams.post(message(teams, person, "hi"), authorization=token) in (200, 201, 202)
    sent = await teams.eventually(lambda: teams.questions(person.conversation))
    assert (sent[0].authorization or "").startswith("Bearer ")


@pytest.mark.parametrize(
    "case",
    ["missing", "malformed", "expired", "forged", "wrong_audience", "unknown_key", "wrong_issuer"],
)
async def test_bad_tokens_get_401_and_run_nothing(
    secured: tuple[TeamsHarness, TeamsIssuer], case: str
) -> None:
    teams, issuer = secured
    person = Person()
    url = teams.connector.service_url
    headers = {
        "missing": "",
        "malformed": "Bearer not.a.jwt",
        "expired": issuer.authorization(APP_ID, service_url=url, expired=True),
        "forged": issuer.authorization(APP_ID, service_url=url, wrong_key=True),
        "wrong_audience": issuer.authorization(APP_ID, service_url=url, audience="someone-else"),
        "unknown_key": issuer.authorization(APP_ID, service_url=url, kid="no-such-key"),
        "wrong_issuer": issuer.authorization(
            APP_ID, service_url=url, issuer="https://evil.example"
        ),
    }
    status = await teams.post(message(teams, person, "hi"), authorization=headers[case] or None)
    assert status == 401
    await asyncio.sleep(0.1)
    assert teams.connector.calls == []
    assert await teams.advisor.peek(key(person)) is None


async def test_a_slow_signing_key_fetch_does_not_stall_the_event_loop(
    secured: tuple[TeamsHarness, TeamsIssuer],
) -> None:
    """The SDK fetches signing keys with blocking calls; they run off the event loop."""
    teams, issuer = secured
    issuer.keys_delay = 1.0
    person = Person()
    token = issuer.authorization(APP_ID, service_url=teams.connector.service_url)
    ticks = 0
    request = asyncio.ensure_future(teams.post(message(teams, person, "hi"), authorization=token))
    while not request.done():
        ticks += 1
        await asyncio.sleep(0.01)
    assert await request in (200, 201, 202)
    assert issuer.jwks_requests >= 1
    # Had the fetch blocked the loop, nothing else could have run during that second.
    assert ticks >= 20
