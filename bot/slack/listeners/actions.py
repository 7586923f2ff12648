"""Buttons: answers, commands (back, skip, yes, no...), editing an answer, sharing a summary,
"was this useful" votes, and the App Home's buttons (start, decide as a team). One listener
matches every action id the app emits."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.feedback import TEXTS as VOTE_TEXTS
from bot.feedback import Vote, cast
from bot.slack.delivery import Place
from bot.slack.listeners import team
from bot.slack.listeners.manifest import ACTIONS
from bot.slack.payloads import (
    CHANNEL_ID,
    USER_ID,
    action_place,
    as_obj,
    as_text,
    button_value,
    team_id,
)
from bot.slack.render import ANSWER_PREFIX, COMMAND_ACTIONS, HOME_START, SUMMARY_EDIT, SUMMARY_SHARE
from bot.slack.team_home import HOME_TEAM, open_modal
from bot.slack.team_member import TEAM_COPY
from bot.slack.team_render import TEAM_ACTIONS
from bot.slack.texts import (
    CANNOT_SHARE,
    FOREIGN,
    NOTHING_TO_SHARE,
    SHARED,
    UNREADABLE,
)
from dialogs.turn import Click

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

log = logging.getLogger(__name__)

# "Was this useful?" under the summary (templates/slack/_feedback.j2, bot.feedback).
FEEDBACK_ACTIONS = {"feedback_useful": Vote.USEFUL, "feedback_not_useful": Vote.NOT_USEFUL}
_NAMED = (*ACTIONS, *FEEDBACK_ACTIONS, *TEAM_ACTIONS, TEAM_COPY, HOME_TEAM)
ACTION_PATTERN = re.compile(
    "^(?:" + "|".join([f"{ANSWER_PREFIX}[0-9]+", *(re.escape(a) for a in _NAMED)]) + ")$"
)
# Errors of chat.postMessage that mean "not allowed to post there", not "something broke".
ALREADY_SHARED = "This summary is in <#{channel}> already."
CANNOT_POST = ("not_in_channel", "channel_not_found", "is_archived", "restricted_action")


async def on_home(
    slack: SlackAdvisor, body: dict[str, Any], client: AsyncWebClient, action_id: str
) -> None:
    """The App Home's buttons (start is also on a DM's "start again"): they need no channel,
    which a click in the Home tab does not have."""
    user = as_text(as_obj(body.get("user")).get("id"))
    if not user:
        log.warning("home button without a person: ignored")
        return
    located = action_place(body)
    place = located[0] if located else None

    async def work() -> None:
        if action_id == HOME_TEAM:
            await open_modal(slack, body, client)
            return
        action = as_obj((body.get("actions") or [{}])[0])
        event_id = "act:" + str(body.get("trigger_id") or action.get("action_ts") or "")
        dm = await slack.dm_place(client, team_id(body), user)
        await slack.turn(client, dm, event_id)

    await slack.safely(client, place, work, ephemeral=True)


async def on_action(slack: SlackAdvisor, body: dict[str, Any], client: AsyncWebClient) -> None:
    action = as_obj((body.get("actions") or [{}])[0])
    action_id = str(action.get("action_id", ""))
    if action_id in (HOME_START, HOME_TEAM):
        await on_home(slack, body, client, action_id)
        return
    located = action_place(body)
    if located is None:
        log.warning("block action without a place: ignored")
        return
    place, ts = located
    event_id = "act:" + str(body.get("trigger_id") or action.get("action_ts") or ts)

    async def tell(text: str) -> None:
        await slack.delivery.ephemeral(client, place, {"text": text})

    async def work() -> None:
        data = button_value(body)
        if team.handles(action_id, data):  # a team card's control, or a team question
            tap = team.Tap(
                slack=slack,
                client=client,
                place=place,
                ts=ts,
                action_id=action_id,
                data=data,
                event_id=event_id,
            )
            await team.on_action(tap)
            return
        if action_id == SUMMARY_SHARE:
            await share(slack, client, place, action, data)
            return
        if data is None:
            await tell(UNREADABLE)
            return
        owner = data.get("u", "")
        if owner != place.user:
            await tell(
                FOREIGN.format(who=f"<@{owner}>" if USER_ID.match(owner) else "someone else")
            )
            return
        if action_id in FEEDBACK_ACTIONS:
            # Counted once per person and summary; the thanks goes to the clicker only.
            metrics = slack.metrics
            outcome = await cast(
                slack.advisor,
                place.key,
                stamp=data.get("s", ""),
                vote=FEEDBACK_ACTIONS[action_id],
                count=metrics.vote if metrics is not None else None,
            )
            await tell(VOTE_TEXTS[outcome])
        elif action_id.startswith(ANSWER_PREFIX):
            q, o, s = data.get("q"), data.get("o"), data.get("s")
            if not (q and o and s):
                await tell(UNREADABLE)
                return
            click = Click(question=q, option=o, stamp=s)
            await slack.turn(client, place, event_id, click=click, clicked_ts=ts)
        elif action_id in COMMAND_ACTIONS or action_id == SUMMARY_EDIT:
            # Bound to the message it was on: a button without a stamp (or an old one) is stale.
            command = COMMAND_ACTIONS.get(action_id) or f"edit {data.get('q', '')}".strip()
            click = Click(command=command, stamp=data.get("s", ""))
            result = await slack.turn(client, place, event_id, click=click, clicked_ts=ts)
            if team.forgot(result):  # their answers leave the teams they were in, too
                await team.forget_member(slack, client, place, event_id)

    await slack.safely(client, place, work, ephemeral=True)


async def share(
    slack: SlackAdvisor,
    client: AsyncWebClient,
    place: Place,
    action: dict[str, Any],
    data: dict[str, str] | None,
) -> None:
    """Post the person's summary in the channel they picked (the app must be a member)."""
    target = action.get("selected_conversation")
    if not isinstance(target, str) or not CHANNEL_ID.match(target):
        await slack.delivery.ephemeral(client, place, {"text": UNREADABLE})
        return
    session = await slack.advisor.peek(place.key)
    summary = slack.advisor.summary(session) if session else None
    if summary is None:
        await slack.delivery.ephemeral(client, place, {"text": NOTHING_TO_SHARE})
        return
    # One summary (by its stamp) is posted to one channel once, however often it is picked.
    if not await slack.advisor.once(
        place.key, f"share:{summary.stamp}:{target}", ttl_seconds=86400
    ):
        text = ALREADY_SHARED.format(channel=target)
        await slack.delivery.ephemeral(client, place, {"text": text})
        return
    try:
        await client.chat_postMessage(
            channel=target, **slack.renderer.shared(summary, sharer=place.user)
        )
    except SlackApiError as exc:
        if exc.response.get("error") in CANNOT_POST:
            text = CANNOT_SHARE.format(channel=target)
            await slack.delivery.ephemeral(client, place, {"text": text})
            return
        raise
    await slack.delivery.ephemeral(client, place, {"text": SHARED.format(channel=target)})
    # Its chart follows (drawn and uploaded there once, shown again after that).
    await slack.delivery.chart(
        client, team=place.team, channel=target, thread_ts="", summary=summary
    )


def register(app: AsyncApp, slack: SlackAdvisor) -> None:
    @app.action(ACTION_PATTERN)
    async def on_click(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await on_action(slack, body, client)
