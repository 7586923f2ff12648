"""What team mode decides the same way on every platform (issue 14), for the adapters to carry
out and show: which team a click on a card is about (the card is posted before its team is
stored), where a message typed in a person's chat goes (a team's question or their own),
whom a click on Remind reminds, and the team's result once revealed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from dialogs import team_texts as texts
from dialogs.advisor import Advisor
from dialogs.cost import CostAssumptions
from dialogs.errors import StoreUnavailable
from dialogs.flow import Flow
from dialogs.session import State
from dialogs.team import assess_team
from dialogs.team_index import ActiveTeams, Joined, TeamIndex
from dialogs.team_session import Team, TeamBook, TeamRef, reminded
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
