"""What team mode decides the same way on every platform (issue 14), for the adapters to carry
out and show: which team a click on a card is about (the card is posted before its team is
stored), where a message typed in a person's chat goes (a team's question or their own),
whom a click on Remind reminds, the team's result once revealed, and when its cost chart is
posted under its card (team_chart)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from dialogs import team_texts as texts
from dialogs.advisor import Advisor
from dialogs.assessment import assess
from dialogs.cost import CostAssumptions
from dialogs.errors import StoreUnavailable
from dialogs.flow import Flow
from dialogs.session import State
from dialogs.team import assess_team, team_answers
from dialogs.team_index import ActiveTeams, Joined, TeamIndex
from dialogs.team_session import Change, Team, TeamBook, TeamRef, reminded
from dialogs.turn import SessionKey

log = logging.getLogger(__name__)

# A click on a card that quick finds no team for a moment: it is read again, this many times.
FRESH_CARD_READS = 5
FRESH_CARD_WAIT_SECONDS = 0.2
# Typed in a chat where team questions are asked, these go to the person's own assessment.
PERSONAL_ONLY = ("forget", "export")


async def clicked_team(book: TeamBook, ref: TeamRef) -> Team | None:
    """The team of a clicked card (None: gone). A card is posted before its team is stored
    (the card's id is the team's key), so a click that quick finds no team for a moment."""
    team = await book.load(ref)
    for _ in range(FRESH_CARD_READS):
        if team is not None:
            break
        await asyncio.sleep(FRESH_CARD_WAIT_SECONDS)
        team = await book.load(ref)
    return team


@dataclass(frozen=True, kw_only=True)
class Typed:
    """Where a message typed in a person's chat goes, when more than their own assessment
    may take it: `team` (None: their own) and whether several were open (then the person is
    told which took it)."""

    team: Team | None
    joined: Joined | None
    several: bool


class TeamStores(Protocol):
    """Where an adapter's team mode keeps its teams (each adapter's Desk)."""

    active: ActiveTeams
    index: TeamIndex
    book: TeamBook


async def typed_target(
    advisor: Advisor, stores: TeamStores, where: SessionKey, text: str
) -> Typed | None:
    """The assessment whose question was asked last in `where` (the person's chat), a team's
    or the person's own; None when it is their own with nothing to say (no team open there,
    a team gone or closed, or the store unreadable: their own turn meets the same store and
    says so). The person's teams are looked up only where the workspace has team assessments
    (ActiveTeams), so elsewhere a typed message costs no read."""
    if text.strip().lower() in PERSONAL_ONLY:
        return None
    try:
        if not await stores.active.any(where.platform, where.workspace):
            return None
        joined = await stores.index.teams(where)
    except StoreUnavailable as exc:
        log.info("teams of a chat not read (%s): the person's own assessment takes it", exc)
        return None
    if not joined:
        return None
    sessions = await asyncio.gather(
        *(advisor.peek(j.ref.member_key(where.user)) for j in joined), advisor.peek(where)
    )
    open_: list[tuple[float, Joined | None]] = [
        (session.screen.at, j)
        for session, j in zip(sessions, [*joined, None], strict=True)
        if session is not None and session.state == State.ASKING and session.screen
    ]
    if not any(j is not None for _, j in open_):
        return None
    _, chosen = max(open_, key=lambda item: item[0])
    several = len(open_) > 1
    if chosen is None:
        return Typed(team=None, joined=None, several=several)
    team = await stores.book.load(chosen.ref)
    if team is None or team.closed:
        return None
    return Typed(team=team, joined=chosen, several=several)


REMIND_EVERY_SECONDS = 3600  # at most one reminder per member per hour


@dataclass(frozen=True, kw_only=True)
class Reminders:
    """What a click on the card's Remind comes to: the members to remind now (their reminder
    already stamped on the team), and what to tell the facilitator instead ("" for nothing:
    a redelivered click, carried out already)."""

    due: tuple[str, ...] = ()
    notice: str = ""


async def reminders(book: TeamBook, ref: TeamRef, team: Team, event_id: str) -> Reminders:
    """Those still answering who were not reminded within REMIND_EVERY_SECONDS (never the
    facilitator), stamped as reminded in the team in the same change, so two clicks (or two
    processes) remind each member once."""
    if not team.answering:
        return Reminders(notice=texts.EVERYONE_DONE)
    now = time.time()
    due = tuple(
        s.user
        for s in team.answering
        if now - s.reminded_at >= REMIND_EVERY_SECONDS and s.user != team.facilitator
    )
    change = await book.change(
        ref, event_id, lambda t: reminded(t, due, now) if t and due else None
    )
    if change.duplicate:
        return Reminders()
    if not due or not change.changed:
        return Reminders(notice=texts.NOBODY_TO_REMIND)
    return Reminders(due=due)


def revealed_result(
    team: Team, *, flow: Flow, costs: CostAssumptions, mention: Callable[[str], str]
) -> dict[str, Any] | None:
    """The team's assessment for its card once revealed (None before, or with nobody
    finished); `mention` names a member as the platform shows them."""
    if not (team.revealed and team.finished):
        return None
    members = team.scored(mention=mention)
    return assess_team(flow, members, costs=costs, settled=team.settled)


# The words posted with the team's chart (the first, at the reveal; then each new one).
TEAM_CHART_CAPTION = (
    "The team's cost by monthly volume on its consensus answers, for each option its data "
    "allows (figures on the team card)."
)
TEAM_CHART_UPDATED = (
    "The team's answers changed and so did its cost: the chart again, on the consensus "
    "answers as they now stand (figures on the team card)."
)


@dataclass(frozen=True, kw_only=True)
class TeamChart:
    """A cost chart to post under the team's card: the consensus `cost` section (as the
    card shows it) and the words posted with it."""

    cost: Mapping[str, Any]
    caption: str


def team_chart(change: Change, *, flow: Flow, costs: CostAssumptions) -> TeamChart | None:
    """The chart a committed change of a team calls for: the consensus cost when this change
    is the reveal, or when it changed a revealed team's figures (a settle, a latecomer's or
    an edited answer, a member who left); None for any other change, the same figures, or a
    team with no cost section. Whether the cost can be drawn is the adapters' to check.

    Tied to the commit, never to a card refresh: one change only is the reveal (the flip of
    `revealed` by compare-and-set), each later change commits in one process only, and a
    redelivered event commits nothing (Change.duplicate), so each chart is posted once
    however many processes and deliveries there are."""
    after = change.after
    if not change.changed or after is None or not after.revealed:
        return None
    before = change.before
    if before is not None and before.revealed and _inputs(before) == _inputs(after):
        return None  # a join, a reminder, a close: nothing the figures come from moved
    cost = _consensus_cost(after, flow=flow, costs=costs)
    if cost is None:
        return None
    if change.revealed_now or before is None:
        return TeamChart(cost=cost, caption=TEAM_CHART_CAPTION)
    if cost == _consensus_cost(before, flow=flow, costs=costs):
        return None
    return TeamChart(cost=cost, caption=TEAM_CHART_UPDATED)


def _inputs(team: Team) -> tuple[object, ...]:
    """What a team's consensus is computed from: the finished members' answers, the settles."""
    answers = tuple((s.user, tuple(sorted((s.answers or {}).items()))) for s in team.finished)
    return answers, tuple(sorted(team.settled.items()))


def _consensus_cost(team: Team, *, flow: Flow, costs: CostAssumptions) -> Mapping[str, Any] | None:
    """The `cost` section of the team's result (revealed_result's), without scoring each
    member's own answers too, which a team of 100 would pay for a hundred times over."""
    if not (team.revealed and team.finished):
        return None
    agreed = team_answers(flow, team.scored(mention=str), settled=team.settled)
    cost = assess(flow, agreed.answers, costs=costs).get("cost")
    return cost if isinstance(cost, Mapping) else None
