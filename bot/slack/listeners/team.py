"""Team assessments in Slack (issue 14): `/llm-advisor team [anonymous] [title]` posts the team
card in the channel (its thread is the team); Join opens the member's DM with the questions,
answered into a session of the team (dialogs.team_session: same Redis slot as the team);
finishing, revealing, settling, reminding and closing update the one card in place.

Every click arrives through bot/slack/listeners/actions.py, inside the adapter's error
boundary; the team card's controls by their action ids, a member's clicks on team questions by
the "t" (the team: channel and card ts) their buttons carry.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import team_texts as say
from bot.slack.delivery import Place
from bot.slack.render import ANSWER_PREFIX, COMMAND_ACTIONS, SUMMARY_EDIT
from bot.slack.team_desk import DEFAULT_TITLE, TeamPlace, desk, team_ref
from bot.slack.team_history import history
from bot.slack.team_member import (
    TEAM_COPY,
    Offer,
    copy_own,
    forget_member,
    forgot,
    member_turn,
    own_answers,
    typed,
)
from bot.slack.team_render import (
    TEAM_ACTIONS,
    TEAM_CLOSE,
    TEAM_JOIN,
    TEAM_OBSERVE,
    TEAM_REMIND,
    TEAM_REVEAL,
    TEAM_SETTLE,
    escape,
    mention,
)
from bot.slack.texts import CANNOT_POST_HERE, UNREADABLE
from dialogs.team_actions import clicked_team, reminders
from dialogs.team_index import ActiveTeams, Joined
from dialogs.team_session import (
    Role,
    Team,
    TeamRef,
    close,
    join,
    reveal,
    settle,
)
from dialogs.turn import Click

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor
    from bot.slack.listeners.commands import Invocation

# The member's side lives in bot.slack.team_member; the listeners' hooks find it here.
__all__ = ["forget_member", "forgot", "handles", "on_action", "start", "typed"]

NOT_HERE = ("not_in_channel", "channel_not_found", "is_archived")
TRIGGER_SECONDS = 3600


# ------------------------------------------------------------------------------ the command


def parse_title(text: str) -> tuple[bool, str]:
    """`[anonymous] [title]` after the sub-command word."""
    words = text.split()
    anonymous = bool(words) and words[0].lower() in ("anonymous", "anon")
    title = " ".join(words[1:] if anonymous else words)
    return anonymous, title[:140]


async def start(call: Invocation) -> None:
    """Post the team card in this channel; its thread is the team."""
    here, slack = call.here, call.slack
    if here.channel.startswith("D"):
        await call.respond(response_type="ephemeral", text=say.IN_A_CHANNEL)
        return
    if not await slack.advisor.once(here.key, call.event_id, ttl_seconds=TRIGGER_SECONDS):
        return  # the same command delivered again: its card is posted already
    if call.rest.strip().lower() == "history":
        await history(call)
        return
    anonymous, title = parse_title(call.rest)
    opening = Opening(here=here, anonymous=anonymous, title=title, event_id=call.event_id)
    posted = await post_card(slack, call.client, opening)
    if posted is None:
        await call.respond(response_type="ephemeral", text=CANNOT_POST_HERE)
        return
    await keep_team(slack, opening, posted)


@dataclass(frozen=True, kw_only=True)
class Opening:
    """A team assessment being started: in `here.channel`, by `here.user` (the facilitator),
    from the slash command or the App Home's "Decide as a team"."""

    here: Place
    anonymous: bool
    title: str
    event_id: str


@dataclass(frozen=True, kw_only=True)
class Posted:
    """A team whose card is posted: the team it opens, and the team as the card shows it."""

    ref: TeamRef
    team: Team


async def post_card(slack: SlackAdvisor, client: AsyncWebClient, opening: Opening) -> Posted | None:
    """Post the team card in the channel; None when the app may not post there (not invited,
    archived, unknown). The workspace is marked as having teams first (dialogs.team_index.
    ActiveTeams), and the team's time of creation taken after that."""
    here, the_desk = opening.here, desk(slack)
    await the_desk.active.mark("slack", here.team, event_id=opening.event_id)
    team = Team(
        title=opening.title,
        facilitator=here.user,
        anonymous=opening.anonymous,
        created_at=datetime.now(UTC).isoformat(),
    )
    try:
        root = await client.chat_postMessage(channel=here.channel, **the_desk.card(team))
    except SlackApiError as exc:
        if exc.response.get("error") in NOT_HERE:
            return None
        raise
    return Posted(ref=team_ref(here.team, here.channel, str(root["ts"])), team=team)


async def keep_team(slack: SlackAdvisor, opening: Opening, posted: Posted) -> None:
    """Store the team whose card was posted, and list it in the channel's history."""
    the_desk, team = desk(slack), posted.team
    await the_desk.book.change(posted.ref, opening.event_id, lambda stored: stored or team)
    channel = replace(opening.here.key, user="")
    joined = Joined(ref=posted.ref, title=opening.title or DEFAULT_TITLE)
    await the_desk.history.add(channel, joined, event_id=opening.event_id)


# ------------------------------------------------------------------------------ the clicks


def handles(action_id: str, data: dict[str, str] | None) -> bool:
    """Whether a click is the team's: a team card control, or a member's team question."""
    return action_id in TEAM_ACTIONS or (data is not None and "t" in data)


@dataclass(frozen=True, kw_only=True)
class Tap:
    """One click, as the team's handlers need it: where, on which message, what it carried."""

    slack: SlackAdvisor
    client: AsyncWebClient
    place: Place
    ts: str  # the clicked message
    action_id: str
    data: dict[str, str] | None
    event_id: str

    async def tell(self, text: str) -> None:
        await self.slack.delivery.ephemeral(self.client, self.place, {"text": text})


async def on_action(tap: Tap) -> None:
    if tap.action_id in TEAM_ACTIONS:
        await _on_card(tap, team_ref(tap.place.team, tap.place.channel, tap.ts))
    elif tap.data is not None:
        await _on_question(tap, tap.data)


FACILITATOR_ACTIONS = {
    TEAM_REVEAL: say.FACILITATOR_WHAT["reveal"],
    TEAM_REMIND: say.FACILITATOR_WHAT["remind"],
    TEAM_CLOSE: say.FACILITATOR_WHAT["close"],
    TEAM_SETTLE: say.FACILITATOR_WHAT["settle"],
}


async def _on_card(tap: Tap, ref: TeamRef) -> None:
    the_desk = desk(tap.slack)
    team = await clicked_team(the_desk.book, ref)
    if team is None:
        await tap.tell(say.GONE)
        return
    if tap.action_id in (TEAM_JOIN, TEAM_OBSERVE):
        await _join(tap, ref)
        return
    if tap.place.user != team.facilitator:
        what = FACILITATOR_ACTIONS[tap.action_id]
        await tap.tell(say.FACILITATOR_ONLY.format(who=mention(team.facilitator), what=what))
        return
    book = the_desk.book
    if tap.action_id == TEAM_REVEAL:
        if team.revealed:
            await tap.tell(say.REVEALED_ALREADY)
            return
        if not team.finished:
            await tap.tell(say.NOTHING_TO_REVEAL)
            return
        change = await book.change(ref, tap.event_id, lambda t: reveal(t) if t else None)
        if not (change.changed or change.duplicate):  # another click revealed it meanwhile
            await tap.tell(say.REVEALED_ALREADY)
    elif tap.action_id == TEAM_CLOSE:
        change = await book.change(ref, tap.event_id, lambda t: close(t) if t else None)
    elif tap.action_id == TEAM_SETTLE:
        q, o = (tap.data or {}).get("q", ""), (tap.data or {}).get("o", "")
        question = tap.slack.advisor.flow.question(q)
        if not (question and question.option(o)):
            await tap.tell(UNREADABLE)
            return
        change = await book.change(ref, tap.event_id, lambda t: settle(t, q, o) if t else None)
        if change.changed:
            await tap.tell(say.SETTLED)
    else:
        await _remind(tap, ref, team)
        return
    await the_desk.show(tap.client, ref, change)  # the card, and the chart a reveal calls for


async def _join(tap: Tap, ref: TeamRef) -> None:
    the_desk, user = desk(tap.slack), tap.place.user
    role = Role.MEMBER if tap.action_id == TEAM_JOIN else Role.OBSERVER
    change = await the_desk.book.change(
        ref, tap.event_id, lambda t: join(t, user, role) if t else None
    )
    team = change.after
    if change.duplicate or team is None:
        return  # a redelivered click: it joined already
    if team.closed:
        await tap.tell(say.CLOSED)
        return
    seat = team.seat(user)
    title = team.title or DEFAULT_TITLE
    if seat is None:
        await tap.tell(say.ALREADY_REVEALED.format(title=escape(title)))
        return
    if change.changed:
        await the_desk.refresh(tap.client, ref)
    if seat.role is Role.OBSERVER:
        await tap.tell(say.WATCHING.format(title=escape(title)))
        return
    dm = await tap.slack.dm_place(tap.client, tap.place.team, user)
    member = TeamPlace(
        team=dm.team, channel=dm.channel, thread_ts="", user=user, ref=ref, title=title
    )
    if change.changed:
        joined = Joined(ref=ref, title=title)
        await the_desk.index.add(dm.key, joined, event_id=tap.event_id)
        note = say.ANONYMOUS_NOTE if team.anonymous else ""
        text = say.JOINED.format(title=escape(title), channel=ref.conversation, anonymous=note)
        await tap.client.chat_postMessage(channel=dm.channel, text=text)
        # Their own assessment in this DM, if any, is offered as a starting point.
        member = Offer(**vars(member), own=await own_answers(tap.slack, dm.key))
    # A first question no sooner than every process can know the workspace has teams, so a
    # typed answer is taken as the team's wherever it arrives (only a join within seconds
    # of the card waits).
    await asyncio.sleep(ActiveTeams.wait(team.created_at, datetime.now(UTC)))
    await member_turn(tap.slack, tap.client, member, tap.event_id)


async def _remind(tap: Tap, ref: TeamRef, team: Team) -> None:
    chosen = await reminders(desk(tap.slack).book, ref, team, tap.event_id)
    if chosen.notice:
        await tap.tell(chosen.notice)
    due = chosen.due
    if not due:
        return
    title = escape(team.title or DEFAULT_TITLE)
    for user in due:
        dm = await tap.slack.dm_place(tap.client, tap.place.team, user)
        text = say.REMINDER.format(
            facilitator=team.facilitator, title=title, channel=ref.conversation
        )
        await tap.client.chat_postMessage(channel=dm.channel, text=text)
    await tap.tell(say.REMINDED.format(count=len(due)))


async def _on_question(tap: Tap, data: dict[str, str]) -> None:
    """A member's click on one of their team questions (or their team summary), in the DM."""
    place = tap.place
    channel, _, thread = data.get("t", "").partition("/")
    if not (channel and thread) or data.get("u", "") != place.user:
        await tap.tell(UNREADABLE)
        return
    ref = team_ref(place.team, channel, thread)
    team = await desk(tap.slack).book.load(ref)
    if team is None:
        await tap.tell(say.GONE)
        return
    if team.closed:
        await tap.tell(say.CLOSED)
        return
    member = TeamPlace(
        team=place.team,
        channel=place.channel,
        thread_ts="",
        user=place.user,
        ref=ref,
        title=team.title or DEFAULT_TITLE,
    )
    if tap.action_id == TEAM_COPY:
        await copy_own(
            tap.slack,
            tap.client,
            member,
            own=place.key,
            event_id=tap.event_id,
            clicked_ts=tap.ts,
            stamp=data.get("s", ""),
        )
        return
    if tap.action_id.startswith(ANSWER_PREFIX):
        q, o, s = data.get("q"), data.get("o"), data.get("s")
        if not (q and o and s):
            await tap.tell(UNREADABLE)
            return
        click = Click(question=q, option=o, stamp=s)
    elif tap.action_id in COMMAND_ACTIONS or tap.action_id == SUMMARY_EDIT:
        command = COMMAND_ACTIONS.get(tap.action_id) or f"edit {data.get('q', '')}".strip()
        click = Click(command=command, stamp=data.get("s", ""))
    else:
        await tap.tell(say.NOT_FOR_TEAM)
        return
    await member_turn(tap.slack, tap.client, member, tap.event_id, click=click, clicked_ts=tap.ts)
