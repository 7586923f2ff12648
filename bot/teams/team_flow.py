"""Team assessments in a Teams channel (issue 14), shared by both adapters: `@bot team
[anonymous] [title]` posts the team card in the thread; its buttons (Action.Submit data
{"team": …}) join, watch, reveal, remind, settle and close; `@bot team history` lists the
channel's team assessments. Only the facilitator reveals, reminds, settles or closes; anyone
else is told so in a short reply (Teams has no message only one person sees)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.render import labels
from bot.teams import team_texts as say
from bot.teams.team_card import (
    CLOSE,
    CONTROLS,
    JOIN,
    OBSERVE,
    REMIND,
    REVEAL,
    SETTLE,
    SETTLE_INPUT,
    card,
    line,
    rich,
    run,
    team_card,
)
from bot.teams.team_desk import namer, person_key, team_ref
from bot.teams.team_member import Here, member_turn
from bot.teams.team_port import ConnectorFailed, call
from bot.teams.team_roster import Entry
from dialogs import intake_dialog
from dialogs.session import event_key
from dialogs.team_actions import clicked_team, reminders
from dialogs.team_copy import copyable
from dialogs.team_history import Row, history_lines
from dialogs.team_index import ActiveTeams, Joined
from dialogs.team_session import Role, Team, TeamRef, close, join, reveal, settle

START_WORD = "team"
TRIGGER_SECONDS = 3600
TITLE_LIMIT = 140


def parse(text: str) -> tuple[bool, str] | None:
    """`team [anonymous] [title]` (None: not a team command): (anonymous, title)."""
    words = text.split()
    if not words or words[0].lower() != START_WORD:
        return None
    words = words[1:]
    anonymous = bool(words) and words[0].lower() in ("anonymous", "anon")
    return anonymous, " ".join(words[1:] if anonymous else words)[:TITLE_LIMIT]


async def mentioned(here: Here, text: str) -> bool:
    """A channel mention: True when it was a team command (and is handled)."""
    parsed = parse(text)
    if parsed is None or not here.place.in_thread:
        return False
    own = await here.desk.advisor.peek(here.place.key)
    if own is not None and intake_dialog.wants(own, text):
        return False  # a description that happens to start with "team": the intake's
    if not await here.desk.advisor.once(here.place.key, here.event_id, ttl_seconds=TRIGGER_SECONDS):
        return True  # the same mention delivered again: handled already
    anonymous, title = parsed
    if not anonymous and title.lower() == "history":
        await history(here)
    else:
        await start(here, anonymous=anonymous, title=title)
    return True


def _channel_key(here: Here) -> Any:
    return replace(here.place.key, thread="", user="")


async def start(here: Here, *, anonymous: bool, title: str) -> None:
    """Post the team card in this thread; the card is the team."""
    place, desk = here.place, here.desk
    # The tenant is marked as having teams before the team exists (and its time is taken
    # after): typed answers in members' chats are looked up from then on, in every process.
    await desk.active.mark("teams", place.tenant, event_id=here.event_id)
    team = Team(
        title=title,
        facilitator=place.user,
        anonymous=anonymous,
        created_at=datetime.now(UTC).isoformat(),
    )
    shown = team_card(team, flow=desk.advisor.flow, result=None, mention=lambda _: here.person.name)
    where = here.conversation
    card_id = await call("send", where, lambda: here.port.send(where, card=shown))
    ref = team_ref(place.tenant, place.conversation, place.thread, card_id)
    await desk.book.change(ref, here.event_id, lambda stored: stored or team)
    me = Entry(id=here.person.id, name=here.person.name)
    await desk.roster.put(ref, place.user, me, event_id=here.event_id)
    joined = Joined(ref=ref, title=title or say.DEFAULT_TITLE)
    await desk.history.add(_channel_key(here), joined, event_id=here.event_id)
    mine = person_key(place.tenant, place.user)  # their name is on the card: forget finds it
    await desk.index.add(mine, joined, event_id=here.event_id)


async def history(here: Here) -> None:
    """The channel's team assessments, newest first, each with its result and what changed
    since the one before it (a card: titles and names are shown as typed)."""
    desk = here.desk
    rows: list[Row] = []
    for joined in await desk.history.teams(_channel_key(here)):
        team = await desk.book.load(joined.ref)
        people = await desk.roster.load(joined.ref) if team else {}
        result = desk.result(team, people) if team else None
        who = namer(people)(team.facilitator) if team else ""
        rows.append(Row(title=joined.title, team=team, result=result, facilitator=who))
    names = labels(desk.advisor.flow)
    body = [rich(run("Team assessments in this channel, newest first", bold=True))]
    for title, rest in history_lines(rows, names):
        body.append(rich(run(title, bold=True), run(rest)))
    if len(body) == 1:
        body.append(line("No team assessments in this channel yet. Start one with: team [title]"))
    where = here.conversation
    await call("send", where, lambda: here.port.send(where, card=card(body[:60])))


async def on_card(here: Here, value: dict[str, Any]) -> None:
    """A click on the team card (its data names the control)."""
    place, desk = here.place, here.desk
    control = value.get("team")
    if control not in CONTROLS or not (place.thread and here.reply_to):
        await here.tell(say.UNREADABLE)
        return
    ref = team_ref(place.tenant, place.conversation, place.thread, here.reply_to)
    team = await clicked_team(desk.book, ref)
    if team is None:
        await here.tell(say.GONE)
        return
    if event_key(here.event_id) in team.seen:
        # A redelivered click, carried out already: nothing to say again; the card is brought
        # up to date in case the first delivery stopped before updating it.
        await desk.refresh(here.port, ref)
        return
    if control in (JOIN, OBSERVE):
        await _join(here, ref, Role.MEMBER if control == JOIN else Role.OBSERVER)
        return
    if place.user != team.facilitator:
        who = namer(await desk.roster.load(ref))(team.facilitator)
        what = say.FACILITATOR_WHAT[str(control)]
        await here.tell(say.FACILITATOR_ONLY.format(who=who, what=what))
        return
    book = desk.book
    if control == REVEAL:
        if team.revealed:
            await here.tell(say.REVEALED_ALREADY)
            return
        if not team.finished:
            await here.tell(say.NOTHING_TO_REVEAL)
            return
        change = await book.change(ref, here.event_id, lambda t: reveal(t) if t else None)
        if not (change.changed or change.duplicate):  # another click revealed it meanwhile
            await here.tell(say.REVEALED_ALREADY)
    elif control == CLOSE:
        change = await book.change(ref, here.event_id, lambda t: close(t) if t else None)
    elif control == SETTLE:
        q = str(value.get("q", ""))
        o = str(value.get(SETTLE_INPUT + q, ""))
        question = desk.advisor.flow.question(q)
        if not (question and question.option(o)):
            await here.tell(say.UNREADABLE)
            return
        change = await book.change(ref, here.event_id, lambda t: settle(t, q, o) if t else None)
        if change.changed:
            await here.tell(say.SETTLED)
    else:
        assert control == REMIND
        await _remind(here, ref, team)
        return
    await desk.show(here.port, ref, change)  # the card, and the chart a reveal calls for


async def _join(here: Here, ref: TeamRef, role: Role) -> None:
    desk, place, person = here.desk, here.place, here.person
    user = place.user
    change = await desk.book.change(
        ref, here.event_id, lambda t: join(t, user, role) if t else None
    )
    team = change.after
    if change.duplicate or team is None:
        return  # a redelivered click: it joined already
    if team.closed:
        await here.tell(say.CLOSED)
        return
    seat = team.seat(user)
    title = team.title or say.DEFAULT_TITLE
    if seat is None:
        await here.tell(say.ALREADY_REVEALED.format(title=title))
        return
    mine = person_key(place.tenant, user)
    await desk.index.add(mine, Joined(ref=ref, title=title), event_id=here.event_id)
    if seat.role is Role.OBSERVER:
        await desk.roster.put(
            ref, user, Entry(id=person.id, name=person.name), event_id=here.event_id
        )
        if change.changed:
            await desk.refresh(here.port, ref)
            await here.tell(say.WATCHING.format(who=person.name or say.SOMEONE, title=title))
        return
    try:
        chat = await call(
            "open", here.conversation, lambda: here.port.open_personal(person, place.tenant)
        )
    except ConnectorFailed:
        await here.tell(say.CANNOT_REACH.format(who=person.name or say.SOMEONE))
        return
    entry = Entry(id=person.id, name=person.name, chat=chat)
    await desk.roster.put(ref, user, entry, event_id=here.event_id)
    if change.changed:
        await desk.refresh(here.port, ref)
    chat_key = replace(place.key, conversation=chat, thread="")
    await desk.index.add(chat_key, Joined(ref=ref, title=title), event_id=here.event_id)
    if change.changed:
        note = say.ANONYMOUS_NOTE if team.anonymous else ""
        await here.tell(say.JOINED.format(title=title, anonymous=note), chat)
    # Until every process that found the tenant without teams has looked again, the first
    # question waits (a typed answer to it must reach the team, not the person's own).
    await asyncio.sleep(ActiveTeams.wait(team.created_at, datetime.now(UTC)))
    in_chat = replace(here, place=replace(place, conversation=chat, thread=""))
    own = copyable(desk.advisor.flow, await desk.advisor.peek(chat_key), None)
    await member_turn(in_chat, ref, title=title, chat=chat, offer=len(own))


async def _remind(here: Here, ref: TeamRef, team: Team) -> None:
    desk = here.desk
    chosen = await reminders(desk.book, ref, team, here.event_id)
    if chosen.notice:
        await here.tell(chosen.notice)
    due = chosen.due
    if not due:
        return
    people = await desk.roster.load(ref)
    facilitator = namer(people)(team.facilitator)
    title = team.title or say.DEFAULT_TITLE
    sent = 0
    for user in due:
        entry = people.get(user)
        if entry is None or not entry.chat:
            continue
        text = say.REMINDER.format(facilitator=facilitator, title=title)
        try:
            await here.tell(text, entry.chat)
            sent += 1
        except ConnectorFailed:
            continue  # one unreachable member does not stop the others' reminders
    await here.tell(say.REMINDED.format(count=sent))
