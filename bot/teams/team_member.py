"""A member's side of a team assessment in Teams (issue 14), shared by both adapters: turns in
their team session (shown in their personal chat, kept under the team), handing their answers
to the team at their summary, typed answers going to the assessment asked last, clicks on
their team questions, and leaving the teams on `forget`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from bot.feedback import TEXTS as VOTE_TEXTS
from bot.feedback import Count, cast
from bot.teams import team_texts as say
from bot.teams.common import Place, read_submit
from bot.teams.team_desk import COPY, Desk, person_key, untag
from bot.teams.team_port import ConnectorFailed, Person, Port, call
from dialogs.replies import TurnResult
from dialogs.session import State
from dialogs.team_actions import typed_target
from dialogs.team_copy import copy_answers
from dialogs.team_session import Role, TeamRef, finish, leave
from dialogs.turn import Click, Turn

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Here:
    """One activity, as team mode needs it: where, from whom, and the turn's connector."""

    desk: Desk
    port: Port
    place: Place
    person: Person
    activity_id: str
    reply_to: str | None = None
    count: Count | None = None  # the metrics' vote counter, if any
    # Stands in for a missing activity id (Teams always sends one): one per activity.
    arrived: str = field(default_factory=lambda: str(datetime.now(UTC).timestamp()))

    @property
    def event_id(self) -> str:
        return "teams:" + (self.activity_id or self.arrived)

    @property
    def conversation(self) -> str:
        """Where a reply goes: the personal chat, or the channel thread."""
        place = self.place
        return (
            f"{place.conversation};messageid={place.thread}" if place.thread else place.conversation
        )

    async def tell(self, text: str, conversation: str = "") -> None:
        where = conversation or self.conversation
        await call("send", where, lambda: self.port.send(where, text=text))


async def member_turn(
    here: Here,
    ref: TeamRef,
    *,
    title: str,
    chat: str,
    text: str | None = None,
    click: Click | None = None,
    offer: int = 0,
) -> TurnResult:
    """One engine turn in the member's team session (`offer`: how many answers of their own
    assessment the question may offer to copy in); reaching the summary hands the answers to
    the team."""
    desk, user = here.desk, here.place.user
    key = ref.member_key(user)
    turn = Turn(key=key, event_id=here.event_id, at=datetime.now(UTC), text=text, click=click)
    result = await desk.advisor.handle(turn)
    clicked = here.reply_to if click is not None else None
    await desk.member_turn_delivery(
        here.port,
        chat=chat,
        key=key,
        result=result,
        title=title,
        ref=ref,
        clicked=clicked,
        offer=offer,
    )
    await hand_in(here, ref, title=title, chat=chat, result=result)
    return result


async def hand_in(here: Here, ref: TeamRef, *, title: str, chat: str, result: TurnResult) -> None:
    """A turn that reached the member's summary hands their answers to the team (again after
    an edit; a redelivered last click hands them over as well, in case the first delivery
    stopped between the two commits); the card is brought up to date."""
    if result.state != State.DONE:
        return
    desk, user = here.desk, here.place.user
    session = await desk.advisor.peek(ref.member_key(user))
    if session is None or session.state != State.DONE:
        return
    answers = dict(session.answers)
    change = await desk.book.change(
        ref, "fin:" + here.event_id, lambda t: finish(t, user, answers) if t else None
    )
    if change.changed:
        before = change.before.seat(user) if change.before else None
        if before is not None and not before.finished:
            await here.tell(say.FINISHED.format(title=title), chat)
        await desk.show(here.port, ref, change)  # the last to finish reveals


async def copy_own(here: Here, ref: TeamRef, *, title: str, stamp: str) -> None:
    """ "Start from my own answers": the member's own assessment in this chat fills their
    team session's open questions, and they move on to the first one still open, or to their
    summary (which hands their answers to the team). A redelivered click does nothing."""
    place, desk = here.place, here.desk
    copy = await copy_answers(
        desk.advisor,
        key=ref.member_key(place.user),
        own=place.key,
        event_id=here.event_id,
        at=datetime.now(UTC),
    )
    result = copy.result
    if result.duplicate:
        return
    before = result.before
    if copy.answers and before is not None and before.stamp == stamp and here.reply_to:
        # The button's own question says where its answer came from, without its buttons.
        card = desk.renderer.closed(before.prompt + " " + say.COPIED_NOTE)
        try:
            await here.port.update(place.conversation, here.reply_to, card)
        except ConnectorFailed as exc:
            log.warning("could not close the copied question's card (status %s)", exc.status)
        result = replace(result, before=None)
    key = ref.member_key(place.user)
    await desk.member_turn_delivery(
        here.port, chat=place.conversation, key=key, result=result, title=title, ref=ref
    )
    await hand_in(here, ref, title=title, chat=place.conversation, result=result)


async def question(here: Here, value: dict[str, Any]) -> None:
    """A member's click on one of their team cards (a question, back, skip, their summary)."""
    place = here.place
    ref = untag(place.tenant, str(value.get("t", "")))
    if ref is None or value.get("u") != place.user:
        await here.tell(say.UNREADABLE)
        return
    team = await here.desk.book.load(ref)
    if team is None:
        await here.tell(say.GONE)
        return
    if team.closed:
        await here.tell(say.CLOSED)
        return
    seat = team.seat(place.user)
    if seat is None or seat.role is not Role.MEMBER:
        observer = seat is not None
        await here.tell(say.OBSERVERS_DONT_ANSWER if observer else say.NOT_A_MEMBER)
        return
    entry = (await here.desk.roster.load(ref)).get(place.user)
    if entry is None or entry.chat != place.conversation:
        # Team questions are answered in the personal chat the bot opened for them, nowhere
        # else (a forged or copied button in a channel or a group chat changes nothing).
        await here.tell(say.UNREADABLE)
        return
    title = team.title or say.DEFAULT_TITLE
    if COPY in value:
        await copy_own(here, ref, title=title, stamp=str(value.get("s", "")))
        return
    submitted = read_submit({k: v for k, v in value.items() if k != "t"}, place)
    if submitted.vote is not None:  # "was this useful" on their team summary
        key = ref.member_key(place.user)
        vote, stamp = submitted.vote, submitted.stamp
        outcome = await cast(here.desk.advisor, key, stamp=stamp, vote=vote, count=here.count)
        await here.tell(VOTE_TEXTS[outcome])
        return
    if submitted.notice is not None:
        await here.tell(submitted.notice)
        return
    await member_turn(here, ref, title=title, chat=place.conversation, click=submitted.click)


async def typed(here: Here, text: str) -> bool:
    """A message typed in a personal chat goes to the assessment whose question was asked
    there last, a team's or the person's own; True when it went to a team's. With more than
    one open, the person is told which. Whichever process it reaches, the store says which
    teams the person answers in this chat, read only in tenants that have team assessments
    (dialogs.team_index.ActiveTeams); when that read fails, the person's own assessment takes
    the message, as before team mode."""
    desk, place = here.desk, here.place
    target = await typed_target(desk.advisor, desk, place.key, text)
    if target is None:
        return False
    team, chosen, several = target.team, target.joined, target.several
    if team is None or chosen is None:
        if several:
            await here.tell(say.TYPED_OWN)
        return False
    title = team.title or say.DEFAULT_TITLE
    if several:
        await here.tell(say.TYPED_TEAM.format(title=title))
    await member_turn(here, chosen.ref, title=title, chat=place.conversation, text=text)
    return True


def forgot(result: TurnResult) -> bool:
    """Whether a turn deleted the person's data (their `forget`, confirmed)."""
    return any(getattr(r, "code", "") == "forgotten" for r in result.replies)


async def forget_member(here: Here) -> None:
    """After a person's `forget`, wherever they typed it (it deleted their team sessions with
    the rest): their seats, answers and names leave the teams they started, joined or watched,
    and each card says a member left."""
    desk, user = here.desk, here.place.user
    place = here.place
    listed = await desk.index.teams(person_key(place.tenant, user))
    if not place.in_thread:  # and those answered in this chat
        listed += await desk.index.teams(place.key)
    refs = list(dict.fromkeys(j.ref for j in listed))
    for ref in refs:
        change = await desk.book.change(
            ref, "forget:" + here.event_id, lambda t: leave(t, user) if t else None
        )
        await desk.roster.put(ref, user, None, event_id="forget:" + here.event_id)
        await desk.show(here.port, ref, change)
