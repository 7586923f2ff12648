"""A member's side of a team assessment in Slack (issue 14): turns in their team session (posted
in their DM, kept under the team), handing their answers to the team at their summary, typed
answers in a DM going to the assessment asked last, and leaving the teams on `forget`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import team_texts as say
from bot.slack.delivery import Place
from bot.slack.team_desk import DEFAULT_TITLE, TeamPlace, desk
from bot.slack.team_render import escape
from dialogs.replies import TurnResult
from dialogs.session import State
from dialogs.team_index import Joined
from dialogs.team_session import finish, leave
from dialogs.turn import Click, Turn

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

__all__ = ["forget_member", "forgot", "member_turn", "typed"]


# Typed words that are about the person, never about one assessment: always their own.
PERSONAL_ONLY = ("forget", "export")


async def typed(
    slack: SlackAdvisor, client: AsyncWebClient, place: Place, event_id: str, text: str
) -> bool:
    """A message typed in a DM goes to the assessment whose question was asked there last,
    a team's or the person's own; True when it went to a team's. With more than one open,
    the person is told which it went to. Only people this process saw answering a team are
    looked up (one read of their teams); everyone else's typing costs nothing extra."""
    the_desk = desk(slack)
    if text.strip().lower() in PERSONAL_ONLY or not the_desk.answering(place.key):
        return False
    joined = await the_desk.index.teams(place.key)
    if not joined:
        return False
    open_: list[tuple[float, Joined | None]] = []
    for j in joined:
        session = await slack.advisor.peek(j.ref.member_key(place.user))
        if session is not None and session.state == State.ASKING and session.screen:
            open_.append((session.screen.at, j))
    if not open_:
        return False
    own = await slack.advisor.peek(place.key)
    if own is not None and own.state == State.ASKING and own.screen:
        open_.append((own.screen.at, None))
    _, chosen = max(open_, key=lambda item: item[0])
    several = len(open_) > 1
    if chosen is None:
        if several:
            await client.chat_postMessage(channel=place.channel, text=say.TYPED_OWN)
        return False
    team = await the_desk.book.load(chosen.ref)
    if team is None or team.closed:
        return False
    title = team.title or DEFAULT_TITLE
    if several:
        text_note = say.TYPED_TEAM.format(title=escape(title))
        await client.chat_postMessage(channel=place.channel, text=text_note)
    member = TeamPlace(
        team=place.team,
        channel=place.channel,
        thread_ts="",
        user=place.user,
        ref=chosen.ref,
        title=title,
    )
    await member_turn(slack, client, member, event_id, text=text)
    return True


async def member_turn(
    slack: SlackAdvisor,
    client: AsyncWebClient,
    member: TeamPlace,
    event_id: str,
    *,
    text: str | None = None,
    click: Click | None = None,
    clicked_ts: str | None = None,
) -> TurnResult:
    """One engine turn in the member's team session; reaching the summary hands the answers
    to the team (again after an edit; a redelivered last click hands them over as well, in
    case the first delivery stopped between the two commits)."""
    advisor = slack.advisor
    at = datetime.now(UTC)
    turn = Turn(key=member.key, event_id=event_id, at=at, text=text, click=click)
    result = await advisor.handle(turn)
    the_desk = desk(slack)
    await the_desk.delivery.deliver(client, member, result, clicked_ts=clicked_ts)
    if result.state != State.DONE:
        return result
    session = await advisor.peek(member.key)
    if session is None or session.state != State.DONE:
        return result
    answers = dict(session.answers)
    change = await the_desk.book.change(
        member.ref,
        "fin:" + event_id,
        lambda t: finish(t, member.user, answers) if t else None,
    )
    if change.changed:
        before = change.before.seat(member.user) if change.before else None
        if before is not None and not before.finished:
            text = say.FINISHED.format(title=escape(member.title), channel=member.ref.conversation)
            await client.chat_postMessage(channel=member.channel, text=text)
        await the_desk.refresh(client, member.ref)
    return result


def forgot(result: TurnResult) -> bool:
    """Whether a turn deleted the person's data (their `forget`, confirmed)."""
    return any(getattr(r, "code", "") == "forgotten" for r in result.replies)


async def forget_member(
    slack: SlackAdvisor, client: AsyncWebClient, dm: Place, event_id: str
) -> None:
    """After a person's `forget` (which deleted their team sessions with the rest): their
    seats and answers leave the teams they answered in this DM, and each card says a member
    left."""
    the_desk = desk(slack)
    for joined in await the_desk.index.teams(dm.key):
        change = await the_desk.book.change(
            joined.ref, "forget:" + event_id, lambda t: leave(t, dm.user) if t else None
        )
        if change.changed:
            await the_desk.refresh(client, joined.ref)
