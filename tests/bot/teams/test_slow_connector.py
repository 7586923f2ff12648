"""A slow or unreachable Bot Connector: each turn's outbound calls share one deadline
(ADVISOR_TEAMS_SEND_DEADLINE_SECONDS), the HTTP client retries nothing under us, the inbound
request is answered in time, and a send that timed out (and may have arrived) is never posted
twice."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.settings import Settings
from bot.teams.delivery import ATTEMPTS
from dialogs.stores.base import SessionStore
from tests.bot.teams.conftest import Person, TeamsHarness, option_data, start_teams
from tests.support.teams_activities import card_submit, personal_message
from tests.support.teams_connector import TeamsConnector

#: A short deadline for the tests; bounds below are derived from it, with room for the turn's
#: own work (Redis) and a loaded machine.
DEADLINE = 1.0
SLACK_SECONDS = 3.0


async def slow(
    connector: TeamsConnector, redis_url: str, store: SessionStore, sdk: str
) -> AsyncIterator[TeamsHarness]:
    settings = Settings(
        redis_url=redis_url,
        teams_dev_mode=True,
        teams_send_deadline_seconds=DEADLINE,
        teams_sdk=sdk,
    )
    harness, runner = await start_teams(connector, settings, store, sdk=sdk, dev=True)
    try:
        yield harness
    finally:
        await harness.http.close()
        await runner.cleanup()


@pytest.fixture
async def slow_teams(
    connector: TeamsConnector, redis_url: str, store: SessionStore, sdk: str
) -> AsyncIterator[TeamsHarness]:
    """On each Teams adapter (the deadline and the no-double-post rule are the same)."""
    async for harness in slow(connector, redis_url, store, sdk):
        yield harness


@pytest.fixture
async def slow_botbuilder(
    connector: TeamsConnector, redis_url: str, store: SessionStore
) -> AsyncIterator[TeamsHarness]:
    """On botbuilder: the tests that count urllib3's connections (msrest's HTTP client)."""
    async for harness in slow(connector, redis_url, store, "botbuilder"):
        yield harness


def closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def connection_attempts(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[int, int]]:
    """TCP connections the bot's process opens or tries to (any retry under ours included), by
    port: counted at the event loop's `sock_connect`, where botbuilder's connector calls
    (aiohttp) connect."""
    attempts: dict[int, int] = {}
    loop = asyncio.get_running_loop()
    original = loop.sock_connect

    async def counting(sock: socket.socket, address: Any) -> None:
        port = int(address[1])
        attempts[port] = attempts.get(port, 0) + 1
        await original(sock, address)

    monkeypatch.setattr(loop, "sock_connect", counting)
    yield attempts


async def timed_say(teams: TeamsHarness, person: Person, text: str, service_url: str) -> float:
    activity = personal_message(
        text,
        user_id=person.user_id,
        aad_object_id=person.aad,
        conversation_id=person.conversation,
        service_url=service_url,
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    status = await teams.post(activity)
    assert status in (200, 201, 202)
    return loop.time() - started


async def test_a_refused_service_url_is_answered_within_the_deadline(
    slow_botbuilder: TeamsHarness, connection_attempts: dict[int, int]
) -> None:
    port = closed_port()
    took = await timed_say(slow_botbuilder, Person(), "hi", f"http://127.0.0.1:{port}/amer/")
    assert took < DEADLINE + SLACK_SECONDS
    # Only our retries of a connection that never opened (the card's, then the notice's), all
    # inside the deadline; none by msrest underneath (it would make 4 attempts per call).
    assert 1 <= connection_attempts.get(port, 0) <= 2 * ATTEMPTS


async def test_a_connection_reset_is_not_retried(
    slow_botbuilder: TeamsHarness, connection_attempts: dict[int, int]
) -> None:
    accepted = 0
    person = Person()

    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        await reader.read(1)  # the request has started to arrive: it may have been acted on
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()

    server = await asyncio.start_server(reset, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        took = await timed_say(slow_botbuilder, person, "hi", f"http://127.0.0.1:{port}/amer/")
    finally:
        server.close()
        await server.wait_closed()
    assert took < DEADLINE + SLACK_SECONDS
    # The first card (the introduction) once, never re-sent: it may have arrived; the failure
    # notice once. The question after it was never sent: the next turn shows it, once.
    assert accepted == 2
    assert connection_attempts[port] == 2
    connector = slow_botbuilder.connector
    assert await timed_say(slow_botbuilder, person, "status", connector.service_url) >= 0
    assert len([c for c in connector.attempts("send") if option_data(c)]) == 1


async def test_a_hung_connector_is_answered_within_the_deadline(
    slow_teams: TeamsHarness,
) -> None:
    slow_teams.connector.delay("any", 30.0, times=10)
    person = Person()
    took = await timed_say(slow_teams, person, "hi", slow_teams.connector.service_url)
    assert took < DEADLINE + SLACK_SECONDS
    # One send, timed out by the deadline; the notice had no time left and was not attempted.
    assert len(slow_teams.connector.attempts("send")) == 1


async def test_a_slow_answer_does_not_post_the_question_twice(slow_teams: TeamsHarness) -> None:
    connector = slow_teams.connector
    person = Person()
    assert await slow_teams.say(person, "hi") in (200, 201, 202)
    [first] = await slow_teams.eventually(lambda: slow_teams.questions(person.conversation))
    qid, data = next(iter(option_data(first).items()))

    # The answer's turn posts the next question; the connector takes it, but answers late.
    sends = len(connector.attempts("send"))
    connector.delay("send", DEADLINE * 3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await slow_teams.click(person, first, data) in (200, 201, 202)
    assert loop.time() - started < DEADLINE + SLACK_SECONDS
    # The timed-out send was not repeated (the connector may post it), and the failure notice
    # found no time left in the turn.
    [second] = connector.attempts("send")[sends:]
    assert option_data(second)

    # The person's next turns: typing, then answering on the card Teams shows (its id never
    # reached us). No turn posts the second question again.
    assert await slow_teams.say(person, "status") in (200, 201, 202)
    click = card_submit(
        next(iter(option_data(second).values())),
        reply_to_id="1750000000999",
        user_id=person.user_id,
        aad_object_id=person.aad,
        conversation_id=person.conversation,
        service_url=connector.service_url,
    )
    assert await slow_teams.post(click) in (200, 201, 202)
    posted = [c for c in connector.attempts("send") if option_data(c)]
    asked = [next(iter(option_data(c).values()))["q"] for c in posted]
    assert len(asked) == len(set(asked)), f"a question was posted twice: {asked} ({qid})"
    assert len(asked) == 3  # the answer on the late card went through: the third question


async def test_the_deadline_is_a_setting() -> None:
    assert Settings.from_env({}).teams_send_deadline_seconds == 10.0
    env = {"ADVISOR_TEAMS_SEND_DEADLINE_SECONDS": "2.5"}
    assert Settings.from_env(env).teams_send_deadline_seconds == 2.5
    _, problems = Settings.read({"ADVISOR_TEAMS_SEND_DEADLINE_SECONDS": "60"})
    assert [p.where for p in problems] == ["ADVISOR_TEAMS_SEND_DEADLINE_SECONDS"]
