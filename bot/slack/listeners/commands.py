"""The /llm-advisor slash command. Each sub-command is listed once, in `SUBCOMMANDS`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.delivery import Place
from bot.slack.listeners import team
from bot.slack.listeners.manifest import COMMAND
from bot.slack.payloads import as_text
from bot.slack.texts import (
    CANNOT_POST_HERE,
    CONFIRM_IN_DM,
    IN_DM,
    NO_SUMMARY,
    USAGE,
    WORKING_HERE,
)
from dialogs.replies import Status
from dialogs.turn import Turn

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

log = logging.getLogger(__name__)

# Errors of chat.postMessage that mean "not allowed to post here", not "something broke".
NOT_HERE = ("not_in_channel", "channel_not_found", "is_archived")
# How long a slash command's trigger is remembered, so a replay of it opens no second thread
# (Slack's signatures are accepted for five minutes).
TRIGGER_SECONDS = 3600
EXPORT_IN_DM = "A copy of your saved assessments is in our direct messages."


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """One use of the slash command, acknowledged already, as a sub-command needs it."""

    slack: SlackAdvisor
    client: AsyncWebClient
    respond: AsyncRespond
    here: Place  # the channel the command was typed in
    event_id: str
    word: str  # the sub-command
    rest: str = ""  # what follows the sub-command, as typed (a team's title)

    async def dm(self) -> Place:
        return await self.slack.dm_place(self.client, self.here.team, self.here.user)


async def _open(call: Invocation) -> None:
    """Start or continue the assessment in the person's DM."""
    await call.slack.turn(call.client, await call.dm(), call.event_id)


async def _confirm(call: Invocation) -> None:
    """restart or forget: the engine asks for confirmation in the DM (export: the copy)."""
    await call.slack.turn(call.client, await call.dm(), call.event_id, text=call.word)


async def _status(call: Invocation) -> None:
    place = await call.dm()
    turn = Turn(key=place.key, event_id=call.event_id, at=datetime.now(UTC), text="status")
    result = await call.slack.advisor.handle(turn)
    status = next((r for r in result.replies if isinstance(r, Status)), None)
    if status is not None:
        await call.respond(
            response_type="ephemeral", **call.slack.delivery.render_one(status, place)
        )


async def _results(call: Invocation) -> None:
    place = await call.dm()
    advisor = call.slack.advisor
    session = await advisor.peek(place.key)
    summary = advisor.summary(session) if session else None
    if summary is None:
        await call.respond(response_type="ephemeral", text=NO_SUMMARY)
    else:
        await call.respond(
            response_type="ephemeral", **call.slack.delivery.render_one(summary, place)
        )


async def _here(call: Invocation) -> None:
    """Run the assessment in a thread of this channel, under a message that says whose it is."""
    here = call.here
    if not await call.slack.advisor.once(here.key, call.event_id, ttl_seconds=TRIGGER_SECONDS):
        return  # the same command delivered again: its thread is open already
    try:
        root = await call.client.chat_postMessage(
            channel=here.channel, text=WORKING_HERE.format(user=here.user)
        )
    except SlackApiError as exc:
        if exc.response.get("error") in NOT_HERE:
            await call.respond(response_type="ephemeral", text=CANNOT_POST_HERE)
            return
        raise
    place = Place(team=here.team, channel=here.channel, thread_ts=str(root["ts"]), user=here.user)
    await call.slack.turn(call.client, place, call.event_id)


@dataclass(frozen=True, kw_only=True)
class SubCommand:
    """What the acknowledgement says (None: a silent one), and the work done after it."""

    ack: str | None
    run: Callable[[Invocation], Awaitable[None]]


SUBCOMMANDS: dict[str, SubCommand] = {
    "": SubCommand(ack=IN_DM, run=_open),
    "start": SubCommand(ack=IN_DM, run=_open),
    "resume": SubCommand(ack=IN_DM, run=_open),
    "continue": SubCommand(ack=IN_DM, run=_open),
    "here": SubCommand(ack=None, run=_here),
    "status": SubCommand(ack=None, run=_status),
    "results": SubCommand(ack=None, run=_results),
    "restart": SubCommand(ack=CONFIRM_IN_DM.format(what="starting over"), run=_confirm),
    "forget": SubCommand(
        ack=CONFIRM_IN_DM.format(what="deleting your saved assessments"), run=_confirm
    ),
    # A copy of the person's saved assessments, posted where only they see it: the DM.
    "export": SubCommand(ack=EXPORT_IN_DM, run=_confirm),
    # A team assessment in this channel (bot/slack/listeners/team.py); takes a title.
    "team": SubCommand(ack=None, run=team.start),
}
# Sub-commands followed by free text (the rest goes to `Invocation.rest`).
TAKES_TEXT = ("team",)


async def run_command(
    slack: SlackAdvisor,
    *,
    sub: SubCommand,
    word: str,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    rest: str = "",
) -> None:
    """The work after the acknowledgement, inside the adapter's error boundary."""
    team, user = as_text(body.get("team_id")), as_text(body.get("user_id"))
    channel = as_text(body.get("channel_id"))
    if not (user and channel):
        log.warning("slash command without a user or channel: ignored")
        return
    event_id = "cmd:" + str(
        body.get("trigger_id") or body.get("command_ts") or datetime.now(UTC).timestamp()
    )
    here = Place(team=team, channel=channel, thread_ts="", user=user)
    call = Invocation(
        slack=slack,
        client=client,
        respond=respond,
        here=here,
        event_id=event_id,
        word=word,
        rest=rest,
    )
    await slack.safely(client, here, lambda: sub.run(call), ephemeral=True)


def register(app: AsyncApp, slack: SlackAdvisor) -> None:
    @app.command(COMMAND)
    async def on_command(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        word = " ".join(str(body.get("text", "")).split()).lower()
        head, _, rest = " ".join(str(body.get("text", "")).split()).partition(" ")
        if head.lower() in TAKES_TEXT:
            word = head.lower()
        sub = SUBCOMMANDS.get(word)
        if sub is None:  # help, ?, or anything else
            await ack(response_type="ephemeral", text=USAGE)
            return
        if sub.ack is None:
            await ack()
        else:
            await ack(response_type="ephemeral", text=sub.ack)
        await run_command(
            slack, sub=sub, word=word, body=body, client=client, respond=respond, rest=rest
        )
