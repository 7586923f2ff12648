"""Send the engine's replies to Slack: post questions, update answered ones in place."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.render import SlackRenderer
from dialogs.runner import Advisor
from dialogs.turn import Answered, Ask, Notice, Reply, SessionKey, TurnResult

log = logging.getLogger(__name__)

# Notices about a click the person made on an old or foreign button go only to them.
EPHEMERAL_NOTICES = frozenset({"stale_click", "already_answered"})


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


@dataclass(frozen=True, kw_only=True)
class QuestionRef:
    """Which message shows the current question, so a typed answer can update it in place."""

    stamp: str
    ts: str
    prompt: str

    def dump(self) -> str:
        return json.dumps({"stamp": self.stamp, "ts": self.ts, "prompt": self.prompt})

    @classmethod
    def load(cls, raw: str | None) -> QuestionRef | None:
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(stamp=str(data["stamp"]), ts=str(data["ts"]), prompt=str(data["prompt"]))
        except (ValueError, KeyError, TypeError):
            return None


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
        """Send a turn's replies in order. A redelivered turn sends nothing again."""
        if result.duplicate:
            return
        store = self.advisor.store
        ref = QuestionRef.load(result.ref)
        ttl = self.advisor.engine.session_ttl_seconds
        render = self.renderer.reply
        updated: set[str] = set()
        for reply in result.replies:
            if isinstance(reply, Answered):
                ts = (
                    clicked_ts
                    if clicked_ts
                    else (ref.ts if ref and ref.stamp == reply.stamp else None)
                )
                if ts:
                    payload = render(reply, owner=place.user, in_thread=place.in_thread)
                    await client.chat_update(channel=place.channel, ts=ts, **payload)
                    updated.add(ts)
                continue
            if isinstance(reply, Ask):
                if reply.stamp in (result.previous_stamp, ref.stamp if ref else None):
                    continue  # that very question is still on screen with live buttons
                # Close the message of the question being left; a note written before a rival
                # turn moved on (ref older than this turn's start) is someone else's to close.
                leaving = ref is not None and ref.stamp == result.previous_stamp
                if ref is not None and leaving and ref.ts not in updated:
                    await self._close(client, place, ref)
                ts = await self.post(
                    client, place, render(reply, owner=place.user, in_thread=place.in_thread)
                )
                ref = QuestionRef(stamp=reply.stamp, ts=ts, prompt=reply.prompt)
                await store.put_ref(place.key, ref.dump(), ttl)
                continue
            payload = render(reply, owner=place.user, in_thread=place.in_thread)
            if isinstance(reply, Notice) and reply.code in EPHEMERAL_NOTICES and clicked_ts:
                await self.ephemeral(client, place, payload)
            else:
                await self.post(client, place, payload)

    async def _close(self, client: AsyncWebClient, place: Place, ref: QuestionRef) -> None:
        """Take the buttons off a question the person moved away from (back, skip, edit)."""
        payload = self.renderer.closed(
            ref.prompt, owner=place.user, in_thread=place.in_thread, note="(moved on)"
        )
        try:
            await client.chat_update(channel=place.channel, ts=ref.ts, **payload)
        except SlackApiError as exc:
            log.warning(
                "could not close question message %s: %s", ref.ts, exc.response.get("error")
            )

    def render_one(self, reply: Reply, place: Place) -> dict[str, Any]:
        return self.renderer.reply(reply, owner=place.user, in_thread=place.in_thread)
