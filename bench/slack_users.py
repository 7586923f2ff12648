"""Simulated Slack users: signed requests to one app, as Slack sends them, and their turns.

A click carries the clicked message's text and blocks, as Slack's block_actions payloads do, so
the apps parse bodies of the size they get in production (a question's blocks are a few KB).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
import orjson

from bench import common
from bench.common import ANSWERS, TYPED_ANSWER, BenchError
from bench.slack_standin import BenchStandIn, answer_buttons, is_summary
from tests.support.slack_signing import (
    block_actions_payload,
    event_body,
    message_event,
    next_ts,
    sign,
)
from tests.support.slack_standin import Call

SECRET: Final = "bench-signing-secret"
BOT_TOKEN: Final = "xoxb-bench"

Assessment = common.Assessment[Call]


@dataclass
class Client:
    """Signed requests to one app, as Slack sends them.

    A request's HTTP answer is awaited in the background: Bolt runs the listener as a task and
    answers once the listener has acknowledged, which it checks every 10 ms, so the answer
    often comes after the listener's Web API calls. A user clicks the next question once it is
    posted, as in Slack, whether or not the last click's answer has arrived; `acks` keeps how
    long each answer took (request to HTTP response).
    """

    http: aiohttp.ClientSession
    url: str
    standin: BenchStandIn
    acks: list[float] = field(default_factory=list)
    sent_bytes: int = 0  # request bodies
    errors: list[BaseException] = field(default_factory=list)
    pending: set[asyncio.Task[None]] = field(default_factory=set)

    def post(self, body: str, content_type: str) -> float:
        """Send a signed request; returns when it was sent (the turn's clock starts there)."""
        headers = {**sign(body, SECRET), "Content-Type": content_type}
        data = body.encode()
        self.sent_bytes += len(data)
        began = time.perf_counter()
        task = asyncio.ensure_future(self._send(data, headers, began))
        self.pending.add(task)
        task.add_done_callback(self._done)
        return began

    async def _send(self, data: bytes, headers: dict[str, str], began: float) -> None:
        async with self.http.post(self.url, data=data, headers=headers) as response:
            if response.status != 200:
                raise BenchError(f"{self.url} answered {response.status}: {await response.text()}")
            await response.read()
        self.acks.append(time.perf_counter() - began)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.errors.append(task.exception() or BenchError("request failed"))

    def check(self) -> None:
        """Raise the first request that failed."""
        if self.errors:
            raise self.errors[0]

    async def settle(self) -> None:
        """Wait for the HTTP answers still on their way."""
        await asyncio.gather(*self.pending, return_exceptions=True)
        self.check()

    def click(
        self, user: str, channel: str, button: tuple[str, str], ts: str, message: dict[str, Any]
    ) -> float:
        action_id, value = button
        payload = block_actions_payload(
            user_id=user,
            action_id=action_id,
            value=value,
            channel_id=channel,
            message_ts=ts,
            trigger_id=f"trig-{uuid.uuid4().hex}",
            response_url=self.standin.response_url(uuid.uuid4().hex[:8]),
            message_text=str(message.get("text", "")),
            message_blocks=message.get("blocks"),
        )
        # Compact JSON, as Slack sends it (orjson: the driver's CPU is not the apps' to share).
        body = urlencode({"payload": orjson.dumps(payload).decode()})
        return self.post(body, "application/x-www-form-urlencoded")

    def dm(self, user: str, channel: str, text: str) -> float:
        body = event_body(message_event(user, text, channel), f"Ev{uuid.uuid4().hex[:12]}")
        return self.post(body, "application/json")


def new_user() -> str:
    return "U" + uuid.uuid4().hex[:10].upper()


async def advisor_assessment(client: Client, user: str) -> Assessment:
    """Open a DM, answer every question (clicks; the number question typed) up to the summary."""
    standin = client.standin
    channel = "D" + user
    inbox = standin.watch(channel)
    done = Assessment()
    try:
        began = client.dm(user, channel, "hello")
        seen = await inbox.seen(None)
        while True:
            client.check()
            done.latencies.append(seen.done - began)
            done.post_latencies.append(seen.posted - began)
            post = seen.post
            if is_summary(post):
                break
            done.posts.append(post)
            ts = str(post.result["ts"])
            buttons = answer_buttons(post)
            if buttons:
                first = next(iter(buttons.values()))  # its question id is the question's
                _, action_id, value = buttons.get(ANSWERS.get(first[0], ""), first)
                began = client.click(user, channel, (action_id, value), ts, post.payload)
            else:
                began = client.dm(user, channel, TYPED_ANSWER)
            seen = await inbox.seen(ts)
        done.updates = [c for _, c in inbox.received if c.method == "chat.update"]
    finally:
        standin.inboxes.pop(channel, None)
    return done


@dataclass
class BareClicks:
    """What the bare side's users click: one of the advisor's question buttons, on a message
    like the advisor's question (the bare app posts that question back each time)."""

    button: tuple[str, str] = ("", "{}")  # action_id, value
    message: dict[str, Any] = field(default_factory=dict)


async def bare_assessment(client: Client, user: str, turns: int, clicks: BareClicks) -> Assessment:
    """As many clicks as an advisor assessment has turns, each on the message posted last."""
    standin = client.standin
    channel = "D" + user
    inbox = standin.watch(channel)
    done = Assessment()
    ts = next_ts()  # the first click is on a message the stand-in never posted; it does not mind
    message = clicks.message
    try:
        for _ in range(turns):
            began = client.click(user, channel, clicks.button, ts, message)
            seen = await inbox.seen(ts)
            client.check()
            done.latencies.append(seen.done - began)
            done.post_latencies.append(seen.posted - began)
            ts, message = str(seen.post.result["ts"]), seen.post.payload
    finally:
        standin.inboxes.pop(channel, None)
    return done
