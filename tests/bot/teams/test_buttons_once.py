"""Every card button acts once, through the real CloudAdapter: Back, Skip, Start over and the
confirmations carry their card's stamp, and a second or stale click acts on nothing."""

from __future__ import annotations

import asyncio

from tests.bot.teams.conftest import Person, TeamsHarness, submit_data
from tests.support.answers import TYPED_ANSWERS

STALE = "earlier question"


async def reach(teams: TeamsHarness, person: Person, typed: int) -> None:
    assert await teams.say(person, "hi") in (200, 201, 202)
    await teams.eventually(lambda: teams.questions(person.conversation))
    for i in range(typed):  # a Teams turn is done when its request is answered
        assert await teams.say(person, TYPED_ANSWERS[i]) in (200, 201, 202)


def stale_count(teams: TeamsHarness, person: Person) -> int:
    return sum(STALE in t for t in teams.texts(person.conversation))


async def test_back_and_skip_buttons_carry_the_stamp_of_their_question(
    teams: TeamsHarness,
) -> None:
    person = Person()
    await reach(teams, person, 3)  # knowledge_change: back and skip
    card = teams.questions(person.conversation)[-1]
    assert submit_data(card, "back")["s"] and submit_data(card, "skip")["s"]
    assert submit_data(card, "back")["s"] == submit_data(card, "skip")["s"]


async def test_skip_clicked_twice_skips_one_question(teams: TeamsHarness) -> None:
    person = Person()
    await reach(teams, person, 3)
    card = teams.questions(person.conversation)[-1]
    skip = submit_data(card, "skip")
    assert await teams.click(person, card, skip) in (200, 201, 202)
    await asyncio.sleep(0.3)
    assert await teams.click(person, card, skip) in (200, 201, 202)
    await teams.eventually(lambda: stale_count(teams, person))
    assert len(teams.questions(person.conversation)) == 5


async def test_back_clicked_twice_goes_back_once(teams: TeamsHarness) -> None:
    person = Person()
    await reach(teams, person, 2)
    card = teams.questions(person.conversation)[-1]
    back = submit_data(card, "back")
    assert await teams.click(person, card, back) in (200, 201, 202)
    assert await teams.click(person, card, back) in (200, 201, 202)
    await teams.eventually(lambda: stale_count(teams, person))
    assert len(teams.questions(person.conversation)) == 4


async def test_a_back_without_a_stamp_is_stale(teams: TeamsHarness) -> None:
    """A card sent before buttons were stamped: its Back acts on nothing."""
    person = Person()
    await reach(teams, person, 2)
    card = teams.questions(person.conversation)[-1]
    unstamped = {k: v for k, v in submit_data(card, "back").items() if k != "s"}
    assert await teams.click(person, card, unstamped) in (200, 201, 202)
    await teams.eventually(lambda: stale_count(teams, person))
    assert len(teams.questions(person.conversation)) == 3


async def test_start_over_clicked_twice_asks_once(teams: TeamsHarness) -> None:
    person = Person()
    await reach(teams, person, len(TYPED_ANSWERS) - 1)
    assert await teams.say(person, TYPED_ANSWERS[-1]) in (200, 201, 202)
    summary = await teams.eventually(lambda: teams.summaries(person.conversation))
    restart = submit_data(summary[0], "restart")
    assert restart["s"]
    assert await teams.click(person, summary[0], restart) in (200, 201, 202)
    assert await teams.click(person, summary[0], restart) in (200, 201, 202)
    await teams.eventually(lambda: stale_count(teams, person))
    confirms = [c for c in teams.cards(person.conversation) if _has(c, "yes")]
    assert len(confirms) == 1
    assert len(teams.summaries(person.conversation)) == 1


def _has(call: object, cmd: str) -> bool:
    try:
        submit_data(call, cmd)  # type: ignore[arg-type]
    except AssertionError:
        return False
    return True
