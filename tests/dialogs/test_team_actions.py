"""Team mode's platform-neutral decisions (dialogs.team_actions), as both adapters use them:
whom a click on Remind reminds (once an hour each, never the facilitator, a redelivered click
silent), and a click on a card that comes before its team is stored."""

from __future__ import annotations

import asyncio
import uuid

from dialogs import team_texts as texts
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow
from dialogs.stores.base import SessionStore
from dialogs.team import assess_team
from dialogs.team_actions import (
    TEAM_CHART_CAPTION,
    TEAM_CHART_UPDATED,
    clicked_team,
    reminders,
    team_chart,
)
from dialogs.team_session import Change, Role, Team, TeamBook, TeamRef, finish, join, settle
from tests.support.answers import FULL_ANSWERS


def a_ref() -> TeamRef:
    return TeamRef(platform="slack", workspace="T1", conversation="C1", thread=uuid.uuid4().hex)


async def stored(book: TeamBook, ref: TeamRef, team: Team) -> Team:
    change = await book.change(ref, "start-" + ref.thread, lambda _: team)
    assert change.after is not None
    return change.after


def team_of(*users: str) -> Team:
    team = Team(title="T", facilitator=users[0])
    for user in users:
        team = join(team, user, Role.MEMBER)
    return team


async def test_remind_stamps_those_due_once_and_a_redelivered_click_says_nothing(
    store: SessionStore,
) -> None:
    book, ref = TeamBook(store=store, ttl_seconds=60), a_ref()
    team = await stored(book, ref, finish(team_of("UF", "UA", "UB"), "UB", {"stage": "live"}))
    first = await reminders(book, ref, team, "click-1")
    assert first.due == ("UA",) and first.notice == ""  # not the facilitator, not UB (done)
    again = await book.load(ref)
    assert again is not None
    assert (await reminders(book, ref, again, "click-1")).due == ()  # the same click again
    assert (await reminders(book, ref, again, "click-1")).notice == ""
    assert (await reminders(book, ref, again, "click-2")).notice == texts.NOBODY_TO_REMIND


async def test_remind_with_everyone_done(store: SessionStore) -> None:
    book, ref = TeamBook(store=store, ttl_seconds=60), a_ref()
    team = await stored(book, ref, finish(team_of("UF"), "UF", {"stage": "live"}))
    assert (await reminders(book, ref, team, "click")).notice == texts.EVERYONE_DONE


async def test_a_click_before_the_team_is_stored_finds_it(store: SessionStore) -> None:
    book, ref = TeamBook(store=store, ttl_seconds=60), a_ref()
    found, _ = await asyncio.gather(
        clicked_team(book, ref), stored_later(book, ref, team_of("UF", "UA"))
    )
    assert found is not None and found.facilitator == "UF"
    assert await clicked_team(book, a_ref()) is None  # a card whose team never came


async def stored_later(book: TeamBook, ref: TeamRef, team: Team) -> None:
    await asyncio.sleep(0.3)
    await stored(book, ref, team)


def test_the_team_chart_comes_with_the_reveal_and_with_new_figures_only(
    flow: Flow, costs: CostAssumptions
) -> None:
    """team_chart: the reveal's change calls for the consensus chart; a change that leaves the
    figures alone (a redelivery, a join, a settle to what the team had) calls for none; a
    settle that moves the figures calls for an updated one."""
    team = finish(team_of("U1", "U2"), "U1", FULL_ANSWERS)
    revealed = finish(team, "U2", {**FULL_ANSWERS, "data_sensitivity": "public"})
    assert revealed.revealed

    chart = team_chart(Change(before=team, after=revealed), flow=flow, costs=costs)
    assert chart is not None and chart.caption == TEAM_CHART_CAPTION
    assert chart.cost == assess_team_cost(flow, costs, revealed)

    redelivered = Change(before=team, after=revealed, duplicate=True)
    assert team_chart(redelivered, flow=flow, costs=costs) is None
    joined = join(revealed, "U3", Role.OBSERVER)
    assert team_chart(Change(before=revealed, after=joined), flow=flow, costs=costs) is None
    kept = settle(revealed, "budget", FULL_ANSWERS["budget"])
    assert team_chart(Change(before=revealed, after=kept), flow=flow, costs=costs) is None

    moved = settle(revealed, "data_sensitivity", "public")  # the strictest was regulated
    updated = team_chart(Change(before=revealed, after=moved), flow=flow, costs=costs)
    assert updated is not None and updated.caption == TEAM_CHART_UPDATED
    assert updated.cost != chart.cost

    unrevealed = team_of("U1", "U2")
    assert team_chart(Change(before=None, after=unrevealed), flow=flow, costs=costs) is None


def assess_team_cost(flow: Flow, costs: CostAssumptions, team: Team) -> object:
    """The cost section the full team result shows (dialogs.team.assess_team)."""
    members = team.scored(mention=str)
    return assess_team(flow, members, costs=costs, settled=team.settled)["cost"]
