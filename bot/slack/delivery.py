"""Send the engine's replies to Slack: post questions, update answered ones in place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chart import start_chart
from bot.delivery import deliver
from bot.slack.chart import share_chart
from bot.slack.render import SlackRenderer
from dialogs.advisor import Advisor
from dialogs.replies import Reply, TurnResult
from dialogs.turn import SessionKey

log = logging.getLogger(__name__)


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
    def __init__(self, *, advisor: Advisor, renderer: SlackRenderer) -> None:
        self.advisor = advisor
        self.renderer = renderer

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
    ) -> None:
        """Carry out the screen steps of a turn (see bot.delivery) with Slack's Web API."""
        surface = _SlackSurface(delivery=self, client=client, place=place)
        await deliver(self.advisor, place.key, result, surface, clicked=clicked_ts)

    def render_one(self, reply: Reply, place: Place) -> dict[str, Any]:
        return self.renderer.reply(reply, owner=place.user, in_thread=place.in_thread)


class _SlackSurface:
    """One conversation's messages, as bot.delivery.Surface."""

    def __init__(self, *, delivery: Delivery, client: AsyncWebClient, place: Place) -> None:
        self.delivery = delivery
        self.client = client
        self.place = place

    async def post(self, reply: Reply) -> str:
        payload = self.delivery.render_one(reply, self.place)
        drawing = start_chart(self.delivery.advisor.engine.costs, reply)  # a summary's chart
        ts = await self.delivery.post(self.client, self.place, payload)
        if drawing is not None:  # after the summary, into the same place; never raises
            place = self.place
            await share_chart(
                self.client, channel=place.channel, thread_ts=place.thread_ts, drawing=drawing
            )
        return ts

    async def update(self, target: str, reply: Reply) -> None:
        payload = self.delivery.render_one(reply, self.place)
        await self.client.chat_update(channel=self.place.channel, ts=target, **payload)

    async def private(self, reply: Reply) -> None:
        payload = self.delivery.render_one(reply, self.place)
        await self.delivery.ephemeral(self.client, self.place, payload)

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
