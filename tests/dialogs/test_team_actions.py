"""Team mode's platform-neutral decisions (dialogs.team_actions), as both adapters use them:
whom a click on Remind reminds (once an hour each, never the facilitator, a redelivered click
silent), and a click on a card that comes before its team is stored."""

from __future__ import annotations

import asyncio
import uuid

from dialogs import team_texts as texts
from dialogs.stores.base import SessionStore
from dialogs.team_actions import clicked_team, reminders
from dialogs.team_session import Role, Team, TeamBook, TeamRef, finish, join


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
