"""Send the engine's replies to Slack: post questions, update answered ones in place.

A question shows the assessment's progress as a plan (bot.slack.blocks.progress) where the
workspace has Slack's agent features; one that refuses the plan is remembered as without
them, and the question goes again as before.

A summary (the slow reply: its assessment, then its chart) has a status line in the thread
while it is put together, and is streamed where the workspace can (bot.slack.agent and
bot.slack.stream); elsewhere it is posted whole, as before. A stream needs a thread: a channel
thread the app runs, or in the DM (the Messages tab, where each message the person sends
starts a thread) the thread the person typed in. A turn typed at the top of the DM, or a
click, gets its summary at the top of the DM, beside the questions.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapter import SlowPlatform
from bot.chart import start_chart
from bot.delivery import deliver
from bot.slack.agent import SUMMARY_STATUS, AgentFeatures
from bot.slack.blocks import progress, upgraded, with_progress
from bot.slack.chart import ChartShelf
from bot.slack.render import SlackRenderer, fitted
from bot.slack.stream import Target, stream
from dialogs.advisor import Advisor
from dialogs.replies import Ask, Reply, Summary, TurnResult
from dialogs.turn import SessionKey

log = logging.getLogger(__name__)

# Looking for a question whose post timed out: how far before its claim to look (clock
# differences), and how many messages to read (it is among the last few of the conversation).
LOOKUP_SKEW_SECONDS = 600.0
LOOKUP_LIMIT = 50


@dataclass(frozen=True, kw_only=True)
class Place:
    """Where a session lives in Slack: a DM (thread "") or a channel thread."""

    team: str
    channel: str
    thread_ts: str
    user: str

    @property
    def key(self) -> SessionKey:
        return SessionKey(
            platform="slack",
            workspace=self.team,
            conversation=self.channel,
            thread=self.thread_ts,
            user=self.user,
        )

    @property
    def in_thread(self) -> bool:
        return bool(self.thread_ts)


class Delivery:
    def __init__(
        self, *, advisor: Advisor, renderer: SlackRenderer, agent: AgentFeatures | None = None
    ) -> None:
        self.advisor = advisor
        self.renderer = renderer
        self.agent = agent or AgentFeatures()
        self.charts = ChartShelf()

    async def post(self, client: AsyncWebClient, place: Place, payload: dict[str, Any]) -> str:
        kwargs: dict[str, Any] = {"channel": place.channel, **payload}
        if place.thread_ts:
            kwargs["thread_ts"] = place.thread_ts
        response = await client.chat_postMessage(**kwargs)
        return str(response.get("ts", ""))

    async def ephemeral(
        self, client: AsyncWebClient, place: Place, payload: dict[str, Any]
    ) -> None:
        kwargs: dict[str, Any] = {"channel": place.channel, "user": place.user, **payload}
        if place.thread_ts:
            kwargs["thread_ts"] = place.thread_ts
        await client.chat_postEphemeral(**kwargs)

    async def deliver(
        self,
        client: AsyncWebClient,
        place: Place,
        result: TurnResult,
        *,
        clicked_ts: str | None = None,
        anchor_ts: str | None = None,
        dm_thread: str | None = None,
    ) -> None:
        """Carry out the screen steps of a turn (see bot.delivery) with Slack's Web API.
        `anchor_ts` is the message the turn answers (typed or clicked): outside a thread, the
        status line of a slow reply hangs there. `dm_thread` is the thread of the DM the
        person typed in (its first message), where a summary is streamed."""
        reply_in = place.thread_ts or dm_thread or ""
        anchor = reply_in or anchor_ts or clicked_ts or ""
        surface = _SlackSurface(
            delivery=self, client=client, place=place, anchor=anchor, reply_in=reply_in
        )
        await deliver(self.advisor, place.key, result, surface, clicked=clicked_ts)

    async def chart(
        self, client: AsyncWebClient, *, team: str, channel: str, thread_ts: str, summary: Summary
    ) -> None:
        """The summary's chart after it (shown again where it was uploaded already); never
        raises. Also for a summary shared to a channel."""
        drawing = start_chart(self.advisor.engine.costs, summary)
        if drawing is not None:
            await self.charts.show(
                client,
                team=team,
                channel=channel,
                thread_ts=thread_ts,
                cost=summary.assessment["cost"],
                drawing=drawing,
            )

    def render_one(self, reply: Reply, place: Place) -> dict[str, Any]:
        return self.renderer.reply(reply, owner=place.user, in_thread=place.in_thread)


@contextlib.contextmanager
def _timing(what: str) -> Iterator[None]:
    """A Web API call that timed out may have been carried out all the same (Slack answered
    too late): say so (bot.adapter.SlowPlatform), rather than that something went wrong."""
    try:
        yield
    except TimeoutError as exc:
        raise SlowPlatform(f"{what} timed out (Slack may have done it all the same)") from exc


def _shows(message: dict[str, Any], stamp: str) -> bool:
    """Whether a message (as conversations.history gives it) is ours and is question `stamp`:
    its "answers" block (ask.json.j2; every question has one) holds buttons with that stamp.
    Confirmations and summaries carry the same stamp in other blocks, and do not count."""
    if not message.get("bot_id"):
        return False
    for block in message.get("blocks") or ():
        if not isinstance(block, dict) or block.get("block_id") != "answers":
            continue
        for element in block.get("elements") or ():
            raw = element.get("value") if isinstance(element, dict) else None
            if not isinstance(raw, str) or stamp not in raw:
                continue
            with contextlib.suppress(ValueError):
                data = json.loads(raw)
                if isinstance(data, dict) and data.get("s") == stamp:
                    return True
    return False


class _SlackSurface:
    """One conversation's messages, as bot.delivery.Surface."""

    def __init__(
        self,
        *,
        delivery: Delivery,
        client: AsyncWebClient,
        place: Place,
        anchor: str = "",
        reply_in: str = "",
    ) -> None:
        self.delivery = delivery
        self.client = client
        self.place = place
        self.anchor = anchor
        # The thread a summary may be streamed into ("": none, it is posted whole).
        self.reply_in = reply_in

    async def post(self, reply: Reply) -> str:
        if isinstance(reply, Summary):
            return await self._summary(reply)
        payload = self.delivery.render_one(reply, self.place)
        if isinstance(reply, Ask) and self.delivery.agent.available(self.place.team):
            ts = await self._with_plan(reply, payload)
            if ts is not None:
                return ts
        with _timing("chat.postMessage"):
            return await self.delivery.post(self.client, self.place, payload)

    async def _with_plan(self, ask: Ask, payload: dict[str, Any]) -> str | None:
        """Post the question with its progress plan; None (nothing posted) where the workspace
        refused the plan: it is then remembered as without the newer blocks."""
        question = self.delivery.renderer.flow.question(ask.question)
        plan = progress(ask, short=question.short if question else "")
        newer = with_progress(payload, plan)
        try:
            with _timing("chat.postMessage"):
                return await self.delivery.post(self.client, self.place, newer)
        except SlackApiError as exc:
            if not self.delivery.agent.refused_blocks(self.place.team, exc):
                raise
        return None

    async def _summary(self, summary: Summary) -> str:
        """The summary: a status line while it is rendered, streamed (or posted) and its chart
        drawn and shared; cleared once all have landed, whatever happened."""
        place, agent = self.place, self.delivery.agent
        where = {"team": place.team, "channel": place.channel, "thread_ts": self.anchor}
        shown = await agent.status(self.client, text=SUMMARY_STATUS, **where)
        try:
            payload = self.delivery.render_one(summary, place)
            ts, thread = None, place.thread_ts
            if self.reply_in and agent.available(place.team):  # where a stream may start
                target = Target(
                    team=place.team,
                    channel=place.channel,
                    thread_ts=self.reply_in,
                    user=place.user,
                )
                # A stream that starts proves the workspace has the newer blocks too.
                newer = fitted(upgraded(payload, summary))
                with _timing("chat.startStream"):
                    ts = await stream(self.client, agent, target, newer)
                if ts is not None:
                    thread = self.reply_in
            if ts is None:  # nothing was streamed: the whole summary, where the session is
                with _timing("chat.postMessage"):
                    ts = await self.delivery.post(self.client, place, payload)
            # After the summary, into the same place; never raises.
            await self.delivery.chart(
                self.client,
                team=place.team,
                channel=place.channel,
                thread_ts=thread,
                summary=summary,
            )
        finally:
            if shown:
                await agent.status(self.client, text="", **where)
        return ts

    async def update(self, target: str, reply: Reply) -> None:
        payload = self.delivery.render_one(reply, self.place)
        with _timing("chat.update"):
            await self.client.chat_update(channel=self.place.channel, ts=target, **payload)

    async def private(self, reply: Reply) -> None:
        payload = self.delivery.render_one(reply, self.place)
        with _timing("chat.postEphemeral"):
            await self.delivery.ephemeral(self.client, self.place, payload)

    async def find(self, ask: Ask, *, since: float) -> str | None:
        """Our message showing `ask`, among the conversation's (or thread's) messages since
        a little before the question was claimed (clocks differ), newest first."""
        place = self.place
        window: dict[str, Any] = {
            "channel": place.channel,
            "oldest": f"{max(since - LOOKUP_SKEW_SECONDS, 0.0):.6f}",
            "limit": LOOKUP_LIMIT,
        }
        with _timing("conversations.history"):
            if place.thread_ts:
                response = await self.client.conversations_replies(ts=place.thread_ts, **window)
            else:
                response = await self.client.conversations_history(**window)
        messages = response.get("messages") or []
        for message in sorted(messages, key=lambda m: str(m.get("ts", "")), reverse=True):
            if isinstance(message, dict) and _shows(message, ask.stamp):
                return str(message.get("ts", "")) or None
        return None

    async def close(self, target: str, prompt: str) -> None:
        """Take the buttons off a question the person moved away from (back, skip, edit)."""
        place = self.place
        payload = self.delivery.renderer.closed(
            prompt, owner=place.user, in_thread=place.in_thread, note="(moved on)"
        )
        try:
            await self.client.chat_update(channel=place.channel, ts=target, **payload)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("could not close question message %s: %s", target, error)
