"""The real Bolt AsyncApp behind a real aiohttp server, talking to a stand-in Slack Web API."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_advisor
from bot.lifecycle import Drainer
from bot.settings import Settings
from bot.slack.server import add_slack_routes, build_slack_app
from dialogs.advisor import Advisor
from dialogs.stores.base import SessionStore
from dialogs.stores.redis_store import RedisStore, create_redis_client
from tests.support.block_kit import RESPONSE_URL_METHOD
from tests.support.slack_signing import (
    app_mention_event,
    block_actions_payload,
    event_body,
    message_event,
    sign,
    slash_command_body,
)
from tests.support.slack_standin import Call, SlackStandIn
from tests.support.slack_standin_rig import standin

__all__ = ["standin"]  # the fixture (tests/support/slack_standin_rig.py), for this folder

SECRET = "test-signing-secret"
DRAIN_SECONDS = 30.0
T = TypeVar("T")


def new_user() -> str:
    return "U" + uuid.uuid4().hex[:10].upper()


@dataclass
class SlackHarness:
    standin: SlackStandIn
    url: str
    http: aiohttp.ClientSession
    advisor: Advisor
    secret: str = SECRET
    counter: int = 0
    #: The app's in-flight turns (Bolt runs listeners after the ack): the `slack` fixture waits
    #: for them before the stand-in stops, so no turn of one test logs into the next.
    drainer: Drainer | None = None

    async def post(
        self, body: str, *, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        signed = {**sign(body, self.secret), "Content-Type": content_type, **(headers or {})}
        async with self.http.post(self.url, data=body.encode(), headers=signed) as response:
            return response.status, await response.text()

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}-{uuid.uuid4().hex[:6]}"

    async def command(self, user: str, text: str = "", channel: str = "C1") -> tuple[int, str]:
        body = slash_command_body(
            text=text,
            user_id=user,
            channel_id=channel,
            trigger_id=self.next_id("trig"),
            response_url=self.standin.response_url(self.next_id("r")),
        )
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        body = event_body(event, event_id or self.next_id("Ev"))
        return await self.post(body, content_type="application/json", headers=headers)

    async def dm(self, user: str, text: str) -> tuple[int, str]:
        return await self.event(message_event(user, text, "D" + user))

    async def mention(
        self, user: str, text: str, channel: str, thread_ts: str | None = None
    ) -> tuple[int, str]:
        return await self.event(app_mention_event(user, text, channel, thread_ts=thread_ts))

    async def thread_message(
        self, user: str, text: str, channel: str, thread_ts: str
    ) -> tuple[int, str]:
        event = message_event(user, text, channel, channel_type="channel", thread_ts=thread_ts)
        return await self.event(event)

    async def action(
        self,
        user: str,
        action_id: str,
        value: str | None,
        *,
        channel: str,
        message_ts: str,
        thread_ts: str | None = None,
        **extra: Any,
    ) -> tuple[int, str]:
        payload = block_actions_payload(
            user_id=user,
            action_id=action_id,
            value=value,
            channel_id=channel,
            message_ts=message_ts,
            trigger_id=self.next_id("trig"),
            response_url=self.standin.response_url(self.next_id("r")),
            **extra,
        )
        if thread_ts:
            payload["message"]["thread_ts"] = thread_ts
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def share(
        self, user: str, *, channel: str, summary: Call, target: str
    ) -> tuple[int, str]:
        """Pick `target` in the summary card's "Share to a channel" select."""
        return await self.action(
            user,
            "summary_share",
            None,
            channel=channel,
            message_ts=summary.result["ts"],
            action_type="conversations_select",
            selected_conversation=target,
        )

    # ---------------------------------------------------------------- reading what the bot sent

    def posts(self, channel: str | None = None) -> list[Call]:
        return [
            c
            for c in self.standin.calls_to("chat.postMessage")
            if channel is None or c.payload.get("channel") == channel
        ]

    async def eventually(self, check: Callable[[], T | None], within: float = 5.0) -> T:
        """Wait (bounded) until `check` returns something truthy; Bolt replies after the ack."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = check()
            if found:
                return found
            if asyncio.get_running_loop().time() > deadline:
                methods = [(c.method, c.payload.get("text", "")[:60]) for c in self.standin.calls]
                raise AssertionError(f"timed out waiting; calls so far: {methods}")
            await asyncio.sleep(0.01)

    def questions(self, channel: str) -> list[Call]:
        return [c for c in self.posts(channel) if self.is_question(c)]

    async def next_question(self, channel: str, after: int) -> Call:
        """The first question message posted in `channel` beyond the first `after` ones."""
        return await self.eventually(lambda: (self.questions(channel)[after:] or [None])[0])

    def updates(self, ts: str) -> list[Call]:
        return [c for c in self.standin.calls_to("chat.update") if c.payload.get("ts") == ts]

    def ephemerals(self, user: str) -> list[Call]:
        return [
            c for c in self.standin.calls_to("chat.postEphemeral") if c.payload.get("user") == user
        ]

    def responses(self) -> list[Call]:
        return self.standin.calls_to(RESPONSE_URL_METHOD)

    def summaries(self, channel: str) -> list[Call]:
        return [c for c in self.posts(channel) if self.is_summary(c)]

    @staticmethod
    def question_buttons(call: Call) -> dict[str, dict[str, str]]:
        """Option id -> {action_id, value} for a posted question message."""
        out: dict[str, dict[str, str]] = {}
        for block in call.payload.get("blocks", []):
            if block.get("type") == "actions" and block.get("block_id") == "answers":
                for element in block["elements"]:
                    if element["action_id"].startswith("answer_"):
                        value = json.loads(element["value"])
                        out[value["o"]] = {
                            "action_id": element["action_id"],
                            "value": element["value"],
                        }
        return out

    @staticmethod
    def is_question(call: Call) -> bool:
        return any(b.get("block_id") == "answers" for b in call.payload.get("blocks", []))

    @staticmethod
    def is_summary(call: Call) -> bool:
        return any(
            str(b.get("block_id", "")).startswith("summary_actions")
            for b in call.payload.get("blocks", [])
        )


def slack_settings(standin: SlackStandIn, redis_url: str) -> Settings:
    return Settings(
        redis_url=redis_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_app_token="xapp-test",
        slack_api_url=standin.base_url,
    )


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[SessionStore]:
    redis_store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.3))
    yield redis_store
    await redis_store.close()


async def start_harness(
    standin: SlackStandIn, settings: Settings, store: SessionStore
) -> tuple[SlackHarness, web.AppRunner, aiohttp.ClientSession]:
    advisor = create_advisor(settings, store=store)
    session = aiohttp.ClientSession()
    drainer = Drainer()
    app = build_slack_app(settings, advisor, session, drainer=drainer)
    web_app = web.Application()
    add_slack_routes(web_app, app)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    harness = SlackHarness(
        standin=standin,
        url=f"http://127.0.0.1:{port}/slack/events",
        http=session,
        advisor=advisor,
        drainer=drainer,
    )
    return harness, runner, session


@pytest.fixture
async def slack(
    standin: SlackStandIn, redis_url: str, store: SessionStore
) -> AsyncIterator[SlackHarness]:
    harness, runner, session = await start_harness(
        standin, slack_settings(standin, redis_url), store
    )
    try:
        yield harness
    finally:
        if harness.drainer is not None:  # a bound, not a timing: turns end well within it
            await harness.drainer.drain(DRAIN_SECONDS)
        await runner.cleanup()
        await session.close()
