"""`/llm-advisor team history` (issue 14): the team assessments of a channel, newest first, each
with its result and what changed since the one before it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.render import labels
from bot.slack import team_texts as say
from bot.slack.team_desk import desk
from bot.slack.team_render import escape, mention
from dialogs.team_history import Row, history_lines

if TYPE_CHECKING:
    from bot.slack.listeners.commands import Invocation


async def history(call: Invocation) -> None:
    """The team assessments of this channel, newest first, each with its result and what
    changed since the one before it."""
    the_desk = desk(call.slack)
    listed = await the_desk.history.teams(replace(call.here.key, user=""))
    rows: list[Row] = []
    for joined in listed:
        team = await the_desk.book.load(joined.ref)
        result = the_desk.result(team) if team else None
        who = mention(team.facilitator) if team else ""
        rows.append(Row(title=joined.title, team=team, result=result, facilitator=who))
    names = labels(call.slack.advisor.flow)
    lines = [f"• *{escape(title)}*{rest}" for title, rest in history_lines(rows, names)]
    text = say.HISTORY.format(lines="\n".join(lines)) if lines else say.NO_HISTORY
    await call.respond(response_type="ephemeral", text=text)
