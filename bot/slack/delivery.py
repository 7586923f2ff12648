"""Send the engine's replies to Slack: post questions, update answered ones in place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.screen import ClaimGuard, closing_prompt, plan
from bot.slack.render import SlackRenderer
from dialogs.runner import Advisor
from dialogs.turn import Ask, Reply, SessionKey, TurnResult

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
        """Carry out the screen steps of a turn (bot.screen.plan) with Slack's Web API."""
        ttl = self.advisor.engine.session_ttl_seconds
        async with ClaimGuard(self.advisor.store, place.key, result, ttl) as screen:
            for step in plan(result, clicked=clicked_ts):
                if step.kind == "close":
                    await self._close(client, place, step.target, closing_prompt(result))
                    continue
                assert step.reply is not None
                payload = self.renderer.reply(
                    step.reply, owner=place.user, in_thread=place.in_thread
                )
                if step.kind == "update":
                    await client.chat_update(channel=place.channel, ts=step.target, **payload)
                elif step.kind == "private":
                    await self.ephemeral(client, place, payload)
                elif step.kind == "ask" and isinstance(step.reply, Ask):

                    async def post(payload: dict[str, Any] = payload) -> str:
                        return await self.post(client, place, payload)

                    await screen.show(step.reply, post)
                else:
                    await self.post(client, place, payload)

    async def _close(self, client: AsyncWebClient, place: Place, ts: str, prompt: str) -> None:
        """Take the buttons off a question the person moved away from (back, skip, edit)."""
        payload = self.renderer.closed(
            prompt, owner=place.user, in_thread=place.in_thread, note="(moved on)"
        )
        try:
            await client.chat_update(channel=place.channel, ts=ts, **payload)
        except SlackApiError as exc:
            log.warning("could not close question message %s: %s", ts, exc.response.get("error"))

    def render_one(self, reply: Reply, place: Place) -> dict[str, Any]:
        return self.renderer.reply(reply, owner=place.user, in_thread=place.in_thread)
