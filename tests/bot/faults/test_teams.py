"""Faults injected on the wire (tests/support/fault_proxy.py) between the real advisor and
the Bot Connector stand-in, and answers the stand-in is told to give: errors, resets,
timeouts. The rigs are in tests/support/fault_rigs.py.

Everything runs the wiring of `llm-advisor serve` (`bot.server.create_service`): the store
from `create_store` (0.5 s timeouts, one bounded retry) and the Teams bot on botbuilder's
CloudAdapter, whose replies go to the activity's serviceUrl: a proxy in front of the
connector stand-in. Only bytes on the wire, and the answers the stand-ins are told to give,
are tampered with.

Each test once marked a production bug (strict xfail) until it was fixed; none is open now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.adapter import SLOW
from bot.teams.bot import FAILED as TEAMS_FAILED
from bot.teams.delivery import CALL_TIMEOUT_SECONDS
from tests.bot.teams.conftest import Person, TeamsHarness, card_text, option_data
from tests.support.fault_rigs import (
    SECOND_PROMPT,
    TeamsRig,
    questions,
    said,
    stored,
    teams_key,
)

# Teams sends an activity again when the bot has not answered it within about 15 s
# (engineering.md), and the redelivery is deduplicated, so it shows nothing: a reply that is
# not out by then reaches the person late or never. The wait on a hung connector uses this.
TEAMS_REDELIVERY_SECONDS = 15.0


# ============================================================================== Teams connector


def assert_sent_at_most_once_or_told(
    teams: TeamsHarness, person: Person, since: int, message: str = TEAMS_FAILED
) -> None:
    """The outcome an ambiguous failure allows: the next question once, or a clear message."""
    shown = questions(teams, person)[1:]
    assert len(shown) <= 1, "the next question card was sent twice"
    told = said(teams, person, since)
    assert shown or message in told, f"no question and no clear message: {told!r}"
    if shown:
        assert SECOND_PROMPT in card_text(shown[0])


TeamsFault = Callable[[TeamsRig], None]

TEAMS_ERRORS: dict[str, TeamsFault] = {
    "429-retry-after": lambda rig: rig.connector.fail("send", 429, retry_after=1),
    "500": lambda rig: rig.connector.fail("send", 500),
}


@pytest.mark.parametrize("fault", list(TEAMS_ERRORS))
async def test_teams_connector_error_is_retried_and_the_next_question_sent_once(
    teams_rig: TeamsRig, fault: str
) -> None:
    """Sending the next question card is refused once (429 with Retry-After, or 500); the bot
    retries, the card is sent once, and the session holds the answer once."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    before = await stored(teams_rig.store, teams_key(person))

    TEAMS_ERRORS[fault](teams_rig)
    assert await teams_rig.say(person, "live") in (200, 201)

    refused = [c for c in teams_rig.connector.attempts("send") if not c.accepted]
    assert refused, "the fault never fired"
    shown = questions(teams, person)
    assert len(shown) == 2, "the next question was not sent exactly once"
    assert SECOND_PROMPT in card_text(shown[1])
    after = await stored(teams_rig.store, teams_key(person))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1
    assert teams_rig.connector.card_problems == []


@pytest.mark.parametrize(
    "after_forwarding",
    [
        pytest.param(False, id="before-reaching-connector"),
        pytest.param(True, id="after-reaching-connector"),
    ],
)
async def test_teams_connection_reset_never_sends_a_question_twice(
    teams_rig: TeamsRig, after_forwarding: bool
) -> None:
    """The connection carrying the next question card is reset, before the request reached
    the connector or after the connector accepted it. Either outcome is right: the card once,
    or a clear "progress is kept" message; never the card twice."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    before = await stored(teams_rig.store, teams_key(person))
    count = len(teams.texts(person.conversation))

    teams_rig.api.reset(times=1, matching=b"POST ", after_forwarding=after_forwarding)
    await teams_rig.say(person, "live")

    assert teams_rig.api.counters.resets == 1, "the fault never fired"
    after = await stored(teams_rig.store, teams_key(person))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1
    assert_sent_at_most_once_or_told(teams, person, count)


async def test_teams_connector_that_keeps_failing_keeps_the_session_and_says_so(
    teams_rig: TeamsRig,
) -> None:
    """The connector refuses every attempt at the next question card (500): the answer stays
    stored once, no card is sent twice, and once the connector takes messages again the
    person reads that something went wrong and their progress is kept."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    before = await stored(teams_rig.store, teams_key(person))
    count = len(teams.texts(person.conversation))

    teams_rig.connector.fail("send", 500, times=4)
    await teams_rig.say(person, "live")

    told = said(teams, person, count)
    assert told == TEAMS_FAILED and "progress is kept" in told
    assert len(questions(teams, person)) == 1
    after = await stored(teams_rig.store, teams_key(person))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1


async def test_teams_after_a_failed_send_the_person_gets_the_next_question_when_back(
    teams_rig: TeamsRig,
) -> None:
    """As above; then the person, told to try again, types "status". Besides their progress
    they should see the question they are at, which never reached them, once."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    teams_rig.connector.fail("send", 500, times=4)
    await teams_rig.say(person, "live")
    assert len(questions(teams, person)) == 1

    count = len(teams.texts(person.conversation))
    await teams_rig.say(person, "status")
    back = said(teams, person, count)
    assert "Progress: 1 of" in back
    shown = questions(teams, person)[1:]
    assert len(shown) == 1, f"coming back, the person saw {back!r} and no question"
    assert SECOND_PROMPT in card_text(shown[0])


async def test_teams_connector_timeout_ends_the_turn_before_teams_redelivers(
    teams_rig: TeamsRig,
) -> None:
    """The POST of the next question card is never answered (its connection black-holed;
    new connections work). Before Teams redelivers the activity (about 15 s) the bot should
    have given up on the hung call, and the person have the card once or a clear message,
    with the answer stored once."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    before = await stored(teams_rig.store, teams_key(person))
    count = len(teams.texts(person.conversation))

    teams_rig.api.black_hole(times=1, matching=b"POST ")
    turn = teams_rig.say_in_background(person, "live")
    await teams_rig.api.wait_for(lambda counters: counters.black_holed)
    after = await stored(teams_rig.store, teams_key(person))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1

    done, _ = await asyncio.wait([turn], timeout=TEAMS_REDELIVERY_SECONDS)
    assert done, "the turn was still waiting on the hung connector call"
    assert_sent_at_most_once_or_told(teams, person, count, SLOW)


async def test_teams_a_card_sent_late_is_not_sent_twice_nor_called_an_error(
    teams_rig: TeamsRig,
) -> None:
    """The connector takes the next question card but answers only after the bot's limit on
    one call (Teams has taken 10 s). The person reads that the service is slow and their
    answer is saved, not that something went wrong; their next message does not send the card
    again, and answering on the late card updates it in place."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    before = await stored(teams_rig.store, teams_key(person))
    count = len(teams.texts(person.conversation))

    teams_rig.connector.delay("send", CALL_TIMEOUT_SECONDS + 1.0)
    assert await teams_rig.say(person, "live") in (200, 201)
    told = said(teams, person, count)
    assert SLOW in told and TEAMS_FAILED not in told
    late = await teams.eventually(lambda: questions(teams, person)[1:])
    assert len(late) == 1 and SECOND_PROMPT in card_text(late[0])
    after = await stored(teams_rig.store, teams_key(person))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1

    assert await teams_rig.say(person, "status") in (200, 201)
    assert len(questions(teams, person)) == 2, "the late card was sent a second time"

    data = next(iter(option_data(late[0]).values()))
    assert await teams.click(person, late[0], data) in (200, 201)
    updated = [
        c
        for c in teams_rig.connector.calls
        if c.accepted and c.kind == "update" and c.activity_id == late[0].answer["id"]
    ]
    assert len(updated) == 1, "answering on the late card did not update it in place"
    assert len(questions(teams, person)) == 3
