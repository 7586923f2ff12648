"""The harness for fuzzing the Slack endpoint (tests/bot/slack/test_fuzz*.py): random and
hostile signed payloads through the real Bolt app. The cases and their strategies are in
tests/support/slack_fuzz_cases.py.

Every example goes over HTTP to the real aiohttp + Bolt app (signature check included), and
the bot's replies go to the stand-in Web API, which validates every card. After each example:

- every response is 2xx, or 404 where Bolt has no listener for it (never a 5xx or a 401);
- nothing was logged at ERROR by any logger (the adapter's error boundary logs there, so an
  exception that reached it counts as escaped), and the stand-in found no card problems;
- every session document written since the module started loads, with valid option ids;
- no mrkdwn text and no top-level `text` the bot sent carries live markup a person typed.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from redis import asyncio as aioredis

from bot.slack.delivery import Place
from dialogs.flow import Flow
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, slack_settings, start_harness
from tests.support.answers import FULL_ANSWERS
from tests.support.block_kit import MESSAGE_METHODS, RESPONSE_URL_METHOD, VIEW_METHODS
from tests.support.fuzz_harness import ErrorRecords, LoopThread, SessionAudit, clip, eventually
from tests.support.fuzz_strategies import SLACK_LIVE, Plan, apply_plan
from tests.support.payloads import walk
from tests.support.slack_signing import event_payload, message_event
from tests.support.slack_standin import PROXY_ENV_VARS, SlackStandIn

FORM: Final = "application/x-www-form-urlencoded"
#: A `<…>` token Slack turns into something live. The bot itself only mentions the person
#: Slack says is talking (any id Slack sends, however odd) and channels; typed mentions are
#: caught by the SLACK_LIVE fragments.
MARKUP: Final = re.compile(r"<[^<>]*>")
BOT_MARKUP: Final = re.compile(r"<[@#][^<>!]*>")


def new_user() -> str:
    return "UFZ" + uuid.uuid4().hex[:10].upper()


# ------------------------------------------------------------------------------ the harness


@dataclass(repr=False)
class SlackFuzz:
    loop: LoopThread
    standin: SlackStandIn
    harness: SlackHarness
    runner: web.AppRunner
    http: aiohttp.ClientSession
    store: RedisStore
    redis: aioredis.Redis
    flow: Flow
    audit: SessionAudit
    errors: ErrorRecords = field(default_factory=ErrorRecords)
    done_user: str = ""
    acks: list[dict[str, Any]] = field(default_factory=list)
    users: list[str] = field(default_factory=list)  # made up by the running example

    def __repr__(self) -> str:
        return f"<SlackFuzz {self.harness.url}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis prints fixtures with failing examples

    @classmethod
    async def start(cls, loop: LoopThread, redis_url: str, flow: Flow) -> SlackFuzz:
        standin = await SlackStandIn().start()
        store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=1.0))
        harness, runner, http = await start_harness(
            standin, slack_settings(standin, redis_url), store
        )
        redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
        audit = await SessionAudit(redis, flow).start()
        return cls(loop, standin, harness, runner, http, store, redis, flow, audit)

    async def stop(self) -> None:
        if self.harness.drainer is not None:  # turns still running end before Slack goes away
            await self.harness.drainer.drain(30.0)
        await self.runner.cleanup()
        await self.http.close()
        await self.store.close()
        await self.redis.aclose()
        await self.standin.stop()

    # -------------------------------------------------------------------------- sending

    async def post(self, body: str, content_type: str) -> int:
        status, text = await self.harness.post(body, content_type=content_type)
        try:
            answer = json.loads(text) if text.strip() else {}
        except ValueError:
            answer = {"text": text}
        if isinstance(answer, dict):  # an ack with a message in it: Slack shows that too
            self.acks.append(answer)
        await self.settle()
        return status

    async def event(self, event: Any, envelope: Plan | None = None) -> int:
        payload = event_payload({}, "Ev" + uuid.uuid4().hex[:10])
        payload["event"] = event
        ts = event.get("ts") if isinstance(event, dict) else None
        if isinstance(ts, str) and ts.replace(".", "", 1).isdigit():
            payload["event_time"] = int(float(ts))
        if envelope is not None:
            payload = apply_plan(payload, envelope)
        return await self.post(json.dumps(payload), "application/json")

    async def action(self, payload: dict[str, Any]) -> int:
        return await self.post(urlencode({"payload": json.dumps(payload)}), FORM)

    async def settle(self) -> None:
        """Wait for the listeners Bolt runs after its acknowledgement."""

        def idle() -> bool:
            return not any(
                "run_ack_function_asynchronously" in getattr(t.get_coro(), "__qualname__", "")
                for t in asyncio.all_tasks()
                if not t.done()
            )

        assert await eventually(idle, within=15.0), "a listener is still running after 15 s"

    async def start_dm(self, user: str) -> dict[str, Any]:
        """Open `user`'s DM assessment; the first question message the bot posted."""
        await self.event(message_event(user, "hi", "D" + user))
        questions = self.harness.questions("D" + user)
        assert questions, f"no first question for {user}: {self.problems(0)}"
        return {"ts": questions[0].result["ts"], "buttons": questions[0].payload["blocks"]}

    async def finish(self, user: str) -> None:
        """Walk `user` through the whole DM assessment by typing answers."""
        key = self.harness.advisor
        for _ in range(40):
            session = await key.peek(_dm_key(user))
            if session is not None and session.state == "done":
                return
            answer = FULL_ANSWERS.get(session.current or "", "skip") if session else "hi"
            await self.event(message_event(user, answer, "D" + user))
        raise AssertionError(f"{user} did not finish the assessment")

    # -------------------------------------------------------------------------- checking

    def begin(self) -> int:
        self.errors.records.clear()
        self.standin.card_problems.clear()
        self.acks.clear()
        self.users.clear()
        return len(self.standin.calls)

    def new_user(self) -> str:
        user = "UFZ" + uuid.uuid4().hex[:10].upper()
        self.users.append(user)
        return user

    def problems(self, mark: int) -> list[str]:
        found = [f"card: {p}" for p in self.standin.card_problems]
        found += [f"logged: {line}" for line in self.errors.describe()]
        sent = [(c.method, c.payload) for c in self.standin.calls[mark:]]
        sent += [(RESPONSE_URL_METHOD, ack) for ack in self.acks]
        for method, payload in sent:
            for where, text in mrkdwn_texts(method, payload):
                found += [f"{method} {where}: {p}" for p in live_markup(text)]
        return found

    async def check(self, mark: int, statuses: list[int]) -> list[str]:
        # Signed requests are accepted (2xx); Bolt answers 404 when no listener matches.
        found = [f"HTTP {s}" for s in statuses if not (200 <= s < 300 or s == 404)]
        found += self.problems(mark)
        found += await self.audit.problems()
        self.audit.retire(self.users)
        return found


def _dm_key(user: str) -> SessionKey:
    return Place(team="T1", channel="D" + user, thread_ts="", user=user).key


def mrkdwn_texts(method: str, payload: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The strings Slack parses for markup in one call: `text` and every mrkdwn object."""
    if method in MESSAGE_METHODS and isinstance(payload.get("text"), str):
        yield "text", payload["text"]
    if method in MESSAGE_METHODS | VIEW_METHODS:
        for node in walk([payload.get("blocks"), payload.get("view"), payload.get("attachments")]):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                yield "mrkdwn", node["text"]


def live_markup(text: str) -> Iterator[str]:
    for fragment in SLACK_LIVE:
        if fragment in text:
            yield f"typed markup {fragment!r} is live in {clip(text, 200)!r}"
    for token in MARKUP.findall(text):
        if not BOT_MARKUP.fullmatch(token) and token not in SLACK_LIVE:
            yield f"live markup {clip(token, 80)!r} in {clip(text, 200)!r}"


@contextmanager
def fuzz_environment(redis_url: str, flow: Flow) -> Iterator[SlackFuzz]:
    """The harness on a loop of its own, with `done_user` through the whole assessment: the
    body of each fuzz module's `fuzz` fixture."""
    with pytest.MonkeyPatch.context() as patch:
        for name in PROXY_ENV_VARS:
            patch.delenv(name, raising=False)
        loop = LoopThread()
        env = loop.run(SlackFuzz.start(loop, redis_url, flow))
        env.done_user = new_user()
        loop.run(env.finish(env.done_user))
        env.errors.install()
        try:
            yield env
        finally:
            env.errors.remove()
            loop.run(env.stop())
            loop.close()


def run(fuzz: SlackFuzz, scenario: Any) -> None:
    """Run one example on the fuzz loop and fail with everything it found."""

    async def go() -> list[str]:
        mark = fuzz.begin()
        statuses = await scenario(fuzz)
        return await fuzz.check(mark, statuses)

    found = fuzz.loop.run(go())
    assert not found, "\n".join(found[:20])
