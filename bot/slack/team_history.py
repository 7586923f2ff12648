"""`/llm-advisor team history` (issue 14): the team assessments of a channel, newest first, each
with its result and what changed since the one before it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.render import labels
from bot.slack import team_texts as say
from bot.slack.team_desk import desk
from bot.slack.team_render import escape, mention
from dialogs.team_index import Joined
from dialogs.team_session import Team

if TYPE_CHECKING:
    from bot.slack.listeners.commands import Invocation


async def history(call: Invocation) -> None:
    """The team assessments of this channel, newest first, each with its result and what
    changed since the one before it."""
    the_desk = desk(call.slack)
    listed = await the_desk.history.teams(replace(call.here.key, user=""))
    rows: list[tuple[Joined, Team | None, dict[str, Any] | None]] = []
    for joined in listed:
        team = await the_desk.book.load(joined.ref)
        rows.append((joined, team, the_desk.result(team) if team else None))
    names = labels(call.slack.advisor.flow)
    lines: list[str] = []
    for i, (joined, team, result) in enumerate(rows):
        title = escape(joined.title)
        if team is None:
            lines.append(f"• *{title}*: expired")
            continue
        if result is None:
            state = "closed" if team.closed else "answering"
            done = f"{len(team.finished)} of {len(team.members)} finished"
            lines.append(f"• *{title}* ({mention(team.facilitator)}): {state}, {done}")
            continue
        rec = result["recommendation"]
        advice = f"{names['depth'][rec['depth']]}, {names['hosting'][rec['hosting']]}"
        line = f"• *{title}* ({mention(team.facilitator)}): {advice}"
        earlier = next((r for _, _, r in rows[i + 1 :] if r is not None), None)
        if earlier is not None:
            old = earlier["recommendation"]
            if (old["depth"], old["hosting"]) == (rec["depth"], rec["hosting"]):
                line += "; the same advice as the one before"
            else:
                was = f"{names['depth'][old['depth']]}, {names['hosting'][old['hosting']]}"
                line += f"; changed from {was}"
        lines.append(line)
    text = say.HISTORY.format(lines="\n".join(lines)) if lines else say.NO_HISTORY
    await call.respond(response_type="ephemeral", text=text)
