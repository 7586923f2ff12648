"""The Slack app: Bolt listeners that turn Slack events into engine turns.

Every listener acknowledges first and does the slow work after; `SlackAdvisor.safely` is the
adapter's one error boundary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.lifecycle import Drainer
from bot.observe import Metrics, hashed
from bot.slack.delivery import Delivery, Place
from bot.slack.render import (
    ANSWER_PREFIX,
    COMMAND_ACTIONS,
    HOME_START,
    SUMMARY_EDIT,
    SUMMARY_SHARE,
    SlackRenderer,
)
from dialogs.errors import AdvisorError, StoreUnavailable
from dialogs.runner import Advisor
from dialogs.turn import Click, Status, Summary, Turn, TurnResult

log = logging.getLogger(__name__)

COMMAND = "/llm-advisor"
# Bolt event type -> the manifest's bot events and the OAuth scopes they need.
EVENTS: dict[str, dict[str, str]] = {
    "message": {
        "message.im": "im:history",
        "message.channels": "channels:history",
        "message.groups": "groups:history",
    },
    "app_mention": {"app_mention": "app_mentions:read"},
    "app_home_opened": {"app_home_opened": ""},
}
# Web API methods the adapter calls -> the scope each needs ("" when none).
WEB_API_SCOPES: dict[str, str] = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "conversations_open": "im:write",
    "views_publish": "",
}
COMMAND_SCOPE = "commands"
ACTIONS: tuple[str, ...] = (*COMMAND_ACTIONS, SUMMARY_EDIT, SUMMARY_SHARE, HOME_START)
ACTION_PATTERN = re.compile(
    "^(?:" + "|".join([f"{ANSWER_PREFIX}[0-9]+", *(re.escape(a) for a in ACTIONS)]) + ")$"
)

USAGE = (
    "*/llm-advisor* walks you through building your own LLM versus using a hosted one.\n"
    "• `/llm-advisor` start or continue your assessment in a direct message\n"
    "• `/llm-advisor here` run it in a thread in this channel, visible to the channel\n"
    "• `/llm-advisor status` your progress\n"
    "• `/llm-advisor results` your latest summary\n"
    "• `/llm-advisor restart` start over\n"
    "• `/llm-advisor forget` delete all your saved assessments in this workspace\n"
    "• `/llm-advisor help` this message\n"
    "You can also mention me in a channel to start in a thread."
)
UNAVAILABLE = (
    ":hourglass: The advisor is briefly unavailable (its session store did not answer). "
    "Your progress is kept; please try again in a minute."
)
FAILED = ":warning: Something went wrong on our side. Your progress is kept; please try again."
FOREIGN = (
    "That assessment belongs to {who}. To get your own, mention me in a channel or type "
    "`/llm-advisor`."
)
UNREADABLE = "That button could not be read. Type `status` to see where you are."
MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")


def _where(place: Place | None) -> str:
    """The conversation's pseudonym for a log line (worked out only when there is one)."""
    return hashed("slack", place.team, place.channel, place.thread_ts) if place else "-"


def _now() -> datetime:
    return datetime.now(UTC)


def _obj(value: object) -> dict[str, Any]:
    """A payload field as an object; anything else (a forged string, a list) counts as empty."""
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")


def _team(body: dict[str, Any]) -> str:
    team = _obj(body.get("team"))
    if _text(team.get("id")):
        return str(team["id"])
    return _text(body.get("team_id")) or _text(_obj(body.get("user")).get("team_id"))


def _button_value(body: dict[str, Any]) -> dict[str, str] | None:
    """The small JSON object a button carries; None when it is missing or forged."""
    actions = body.get("actions") or []
    if not actions or not isinstance(actions[0], dict):
        return None
    action = actions[0]
    raw = action.get("value")
    if raw is None and isinstance(action.get("selected_option"), dict):
        raw = action["selected_option"].get("value")
    if not isinstance(raw, str) or len(raw) > 2000:
        return None
    try:
        data = orjson.loads(raw)  # stricter than json (no lone surrogates, no NaN) and quicker
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    return data


def _action_place(body: dict[str, Any]) -> tuple[Place, str] | None:
    """Where a clicked message lives and its ts; None for malformed payloads."""
    user = _text(_obj(body.get("user")).get("id"))
    container = _obj(body.get("container"))
    message = _obj(body.get("message"))
    channel = _text(container.get("channel_id")) or _text(_obj(body.get("channel")).get("id"))
    ts = _text(container.get("message_ts")) or _text(message.get("ts"))
    if not (user and channel and ts):
        return None
    thread = _text(message.get("thread_ts")) or _text(container.get("thread_ts"))
    if channel.startswith("D"):
        thread = ""
    return Place(team=_team(body), channel=channel, thread_ts=str(thread), user=user), ts


class SlackAdvisor:
    """Translates Slack events to turns and replies to Slack messages."""

    def __init__(
        self,
        *,
        advisor: Advisor,
        renderer: SlackRenderer,
        drainer: Drainer | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.advisor = advisor
        self.renderer = renderer
        self.delivery = Delivery(advisor=advisor, renderer=renderer)
        self.drainer = drainer or Drainer()
        self.metrics = metrics

    async def safely(
        self,
        client: AsyncWebClient,
        place: Place | None,
        work: Callable[[], Awaitable[None]],
        *,
        ephemeral: bool = False,
    ) -> None:
        """The adapter's error boundary: log with the traceback, tell the person plainly."""
        try:
            async with self.drainer.track():
                await work()
            return
        except StoreUnavailable as exc:
            log.warning("store unavailable in conversation %s: %s", _where(place), exc)
            text = UNAVAILABLE
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", None)
            if self.metrics is not None:
                self.metrics.api_error("slack", status)
            error = exc.response.get("error")
            log.error(
                "slack api error %s (%s) in conversation %s",
                status,
                error,
                _where(place),
                exc_info=True,
            )
            text = FAILED
        except (AdvisorError, Exception):
            log.exception("turn failed in conversation %s", _where(place))
            text = FAILED
        if place is None:
            return
        try:
            payload = {"text": text}
            if ephemeral:
                await self.delivery.ephemeral(client, place, payload)
            else:
                await self.delivery.post(client, place, payload)
        except Exception:
            log.exception("could not tell %s about the failure", place)

    async def turn(
        self,
        client: AsyncWebClient,
        place: Place,
        event_id: str,
        *,
        text: str | None = None,
        click: Click | None = None,
        clicked_ts: str | None = None,
    ) -> TurnResult:
        turn = Turn(key=place.key, event_id=event_id, at=_now(), text=text, click=click)
        result = await self.advisor.handle(turn)
        await self.delivery.deliver(client, place, result, clicked_ts=clicked_ts)
        return result

    async def dm_place(self, client: AsyncWebClient, team: str, user: str) -> Place:
        response = await client.conversations_open(users=user)
        channel = str((response.get("channel") or {}).get("id", ""))
        return Place(team=team, channel=channel, thread_ts="", user=user)

    # ------------------------------------------------------------------ slash command

    async def command(
        self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        text = " ".join(str(body.get("text", "")).split()).lower()
        team, user = _text(body.get("team_id")), _text(body.get("user_id"))
        event_id = "cmd:" + str(
            body.get("trigger_id") or body.get("command_ts") or _now().timestamp()
        )
        channel = _text(body.get("channel_id"))
        if not (user and channel):
            log.warning("slash command without a user or channel: ignored")
            return
        here = Place(team=team, channel=channel, thread_ts="", user=user)

        async def work() -> None:
            if text == "here":
                await self.start_here(client, respond, here, event_id)
                return
            place = await self.dm_place(client, team, user)
            if text in ("", "start", "resume", "continue"):
                await self.turn(client, place, event_id)
            elif text in ("restart", "forget"):
                await self.turn(client, place, event_id, text=text)
            elif text == "status":
                result = await self.advisor.handle(
                    Turn(key=place.key, event_id=event_id, at=_now(), text="status")
                )
                status = next((r for r in result.replies if isinstance(r, Status)), None)
                if status is not None:
                    await respond(
                        response_type="ephemeral", **self.delivery.render_one(status, place)
                    )
            elif text == "results":
                session = await self.advisor.peek(place.key)
                summary = self.advisor.summary(session) if session else None
                if summary is None:
                    await respond(
                        response_type="ephemeral",
                        text="No summary yet. Type `/llm-advisor` to continue your assessment.",
                    )
                else:
                    await respond(
                        response_type="ephemeral", **self.delivery.render_one(summary, place)
                    )

        await self.safely(client, here, work, ephemeral=True)

    async def start_here(
        self, client: AsyncWebClient, respond: AsyncRespond, here: Place, event_id: str
    ) -> None:
        try:
            root = await client.chat_postMessage(
                channel=here.channel,
                text=f"<@{here.user}> is working through the build-vs-buy assessment here.",
            )
        except SlackApiError as exc:
            if exc.response.get("error") in ("not_in_channel", "channel_not_found", "is_archived"):
                await respond(
                    response_type="ephemeral",
                    text="I can't post in this channel. Invite me first (`/invite @LLM Advisor`) "
                    "or type `/llm-advisor` to continue in a direct message.",
                )
                return
            raise
        place = Place(
            team=here.team, channel=here.channel, thread_ts=str(root["ts"]), user=here.user
        )
        await self.turn(client, place, event_id)

    # ------------------------------------------------------------------ events

    async def message(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, bot posts: not a person typing an answer
        if not (_text(event.get("user")) and _text(event.get("channel"))):
            log.warning("message event without a user or channel: ignored")
            return
        text = str(event.get("text") or "")
        team = _team(body) or str(event.get("team", ""))
        channel = str(event.get("channel", ""))
        user = str(event["user"])
        event_id = str(body.get("event_id") or event.get("client_msg_id") or event.get("ts"))
        if event.get("channel_type") == "im":
            place = Place(team=team, channel=channel, thread_ts="", user=user)
            await self.safely(client, place, lambda: self._text_turn(client, place, event_id, text))
            return
        thread = event.get("thread_ts")
        if not thread or MENTION.search(text):
            return  # top-level channel chatter, or a mention that app_mention handles
        place = Place(team=team, channel=channel, thread_ts=str(thread), user=user)

        async def work() -> None:
            if await self.advisor.peek(place.key) is not None:
                await self._text_turn(client, place, event_id, text)

        await self.safely(client, place, work)

    async def _text_turn(
        self, client: AsyncWebClient, place: Place, event_id: str, text: str
    ) -> None:
        await self.turn(client, place, event_id, text=text)

    async def mention(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user = _text(event.get("user"))
        if not user or not _text(event.get("channel")) or event.get("bot_id"):
            return
        thread = str(event.get("thread_ts") or event.get("ts") or "")
        place = Place(
            team=_team(body),
            channel=str(event.get("channel", "")),
            thread_ts=thread,
            user=str(user),
        )
        text = MENTION.sub("", str(event.get("text") or "")).strip()
        event_id = str(body.get("event_id") or event.get("ts"))

        async def work() -> None:
            known = await self.advisor.peek(place.key) is not None
            await self.turn(client, place, event_id, text=text if known and text else None)

        await self.safely(client, place, work)

    async def home_opened(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab") not in (None, "home") or not event.get("user"):
            return
        user = str(event["user"])

        async def work() -> None:
            summary: Summary | None = None
            try:
                place = await self.dm_place(client, _team(body), user)
                session = await self.advisor.peek(place.key)
                summary = self.advisor.summary(session) if session else None
            except StoreUnavailable:
                log.warning("store unavailable while publishing the home tab of %s", user)
            await client.views_publish(user_id=user, view=self.renderer.home(summary))

        await self.safely(client, None, work)

    # ------------------------------------------------------------------ buttons

    async def action(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        located = _action_place(body)
        if located is None:
            log.warning("block action without a place: ignored")
            return
        place, ts = located
        action = (body.get("actions") or [{}])[0]
        action_id = str(action.get("action_id", ""))
        event_id = "act:" + str(body.get("trigger_id") or action.get("action_ts") or ts)

        async def work() -> None:
            if action_id == HOME_START:
                dm = await self.dm_place(client, place.team, place.user)
                await self.turn(client, dm, event_id)
                return
            data = _button_value(body)
            if action_id == SUMMARY_SHARE:
                await self.share(client, place, action, data)
                return
            if data is None:
                await self.delivery.ephemeral(client, place, {"text": UNREADABLE})
                return
            owner = data.get("u", "")
            if owner != place.user:
                who = f"<@{owner}>" if USER_ID.match(owner) else "someone else"
                await self.delivery.ephemeral(client, place, {"text": FOREIGN.format(who=who)})
                return
            if action_id.startswith(ANSWER_PREFIX):
                q, o, s = data.get("q"), data.get("o"), data.get("s")
                if not (q and o and s):
                    await self.delivery.ephemeral(client, place, {"text": UNREADABLE})
                    return
                await self.turn(
                    client,
                    place,
                    event_id,
                    click=Click(question=q, option=o, stamp=s),
                    clicked_ts=ts,
                )
            elif action_id == SUMMARY_EDIT:
                question = data.get("q", "")
                await self.turn(client, place, event_id, text=f"edit {question}")
            elif action_id in COMMAND_ACTIONS:
                await self.turn(client, place, event_id, text=COMMAND_ACTIONS[action_id])

        await self.safely(client, place, work, ephemeral=True)

    async def share(
        self,
        client: AsyncWebClient,
        place: Place,
        action: dict[str, Any],
        data: dict[str, str] | None,
    ) -> None:
        target = action.get("selected_conversation")
        if not isinstance(target, str) or not CHANNEL_ID.match(target):
            await self.delivery.ephemeral(client, place, {"text": UNREADABLE})
            return
        session = await self.advisor.peek(place.key)
        summary = self.advisor.summary(session) if session else None
        if summary is None:
            await self.delivery.ephemeral(
                client, place, {"text": "There is no finished summary to share yet."}
            )
            return
        try:
            await client.chat_postMessage(
                channel=target, **self.renderer.shared(summary, sharer=place.user)
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in ("not_in_channel", "channel_not_found", "is_archived", "restricted_action"):
                await self.delivery.ephemeral(
                    client,
                    place,
                    {
                        "text": f"I can't post in <#{target}>. Invite me there first "
                        "(`/invite @LLM Advisor`), then share again."
                    },
                )
                return
            raise
        await self.delivery.ephemeral(
            client, place, {"text": f"Shared your summary in <#{target}>."}
        )


EventHandler = Callable[[dict[str, Any], dict[str, Any], AsyncWebClient], Awaitable[None]]


def _event_listener(handler: EventHandler) -> Callable[..., Awaitable[None]]:
    """Bolt passes listener arguments by name, so each listener declares the ones it uses."""

    async def listener(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        await handler(body, event, client)

    return listener


def create_slack_app(
    *,
    advisor: Advisor,
    renderer: SlackRenderer,
    client: AsyncWebClient,
    signing_secret: str | None,
    drainer: Drainer | None = None,
    metrics: Metrics | None = None,
) -> AsyncApp:
    """A Bolt AsyncApp wired to the advisor. No globals: several can live in one process.

    `signing_secret` None means Socket Mode, where requests arrive over the authenticated socket.
    """
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        process_before_response=False,
    )
    slack = SlackAdvisor(advisor=advisor, renderer=renderer, drainer=drainer, metrics=metrics)

    # One listener for every action id, registered first: Bolt tries listeners in order and
    # prepares each candidate's arguments, and clicks are most of the traffic.
    @app.action(ACTION_PATTERN)
    async def on_action(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await slack.action(body, client)

    @app.command(COMMAND)
    async def on_command(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        text = " ".join(str(body.get("text", "")).split()).lower()
        if text in ("help", "?") or text not in (
            "",
            "start",
            "resume",
            "continue",
            "here",
            "status",
            "results",
            "restart",
            "forget",
        ):
            await ack(response_type="ephemeral", text=USAGE)
            return
        if text in ("", "start", "resume", "continue"):
            await ack(
                response_type="ephemeral", text="Your assessment is waiting in our direct messages."
            )
        elif text in ("restart", "forget"):
            what = "starting over" if text == "restart" else "deleting your saved assessments"
            await ack(
                response_type="ephemeral", text=f"Check our direct messages to confirm {what}."
            )
        else:
            await ack()
        await slack.command(body, client, respond)

    handlers: dict[str, EventHandler] = {
        "message": slack.message,
        "app_mention": slack.mention,
        "app_home_opened": slack.home_opened,
    }
    for event_type in EVENTS:
        app.event(event_type)(_event_listener(handlers[event_type]))

    return app
