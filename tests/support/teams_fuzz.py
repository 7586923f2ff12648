"""The harness for fuzzing the Teams endpoint (tests/bot/teams/test_fuzz*.py): random and
hostile activities through the real CloudAdapter. The cases and their strategies are in
tests/support/teams_fuzz_cases.py.

Every example is posted as JSON to the real aiohttp endpoint (CloudAdapter in dev mode); the
bot's replies go to the stand-in Bot Connector, which validates every Adaptive Card against the
1.5 schema. After each example:

- every activity gets a 2xx from /api/messages; a body that is not an activity, or one that
  Teams would never send (fields botbuilder cannot deserialize, no sender, conversation or
  serviceUrl, a conversation id no reply could carry), gets a 400 and no reply;
- nothing was logged at ERROR by any logger (the bot's error boundary logs there, so an
  exception that reached it counts as escaped), and the connector found no card problems;
- every session document written since the module started loads, with valid option ids;
- no TextBlock (nor fact, nor plain message text) the bot sent holds a live markdown link
  `](` or a `{{…}}` function: typed text belongs in TextRuns, where neither is rendered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import pytest
from aiohttp import web
from hypothesis import reject
from redis import asyncio as aioredis

from bot.settings import Settings
from bot.teams_agents.server import read_activity as read_agents_activity
from bot.teams_agents.server import without_nulls
from dialogs.flow import Flow
from dialogs.stores.redis_store import RedisStore, create_redis_client
from tests.bot.teams.conftest import TeamsHarness, start_teams
from tests.support.fuzz_harness import ErrorRecords, LoopThread, SessionAudit, clip
from tests.support.fuzz_strategies import Plan
from tests.support.payloads import walk
from tests.support.teams_activities import (
    new_aad_object_id,
    new_personal_conversation_id,
    new_user_id,
    personal_message,
)
from tests.support.teams_connector import ConnectorCall, Operation, TeamsConnector
from tests.support.teams_sdk import Activity, TeamsChannelData

TEAM: Final = "19:fuzz-team@thread.tacv2"
PROXY_ENV_VARS: Final = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
#: What Adaptive Card hosts render live in a TextBlock: a markdown link, a date/time function.
LIVE_LINK: Final = re.compile(r"\]\(")
LIVE_FUNCTION: Final = re.compile(r"\{\{[^{}]*\}\}")
KEEP: Final = "<keep>"
NOTHING: Plan = ((), {})
DROP_FROM: Plan = ((("from", "drop", None),), {})
DROP_CONVERSATION: Plan = ((("conversation", "drop", None),), {})
DROP_SERVICE_URL: Plan = ((("serviceUrl", "drop", None),), {})


# ------------------------------------------------------------------------------ the harness


class Unparseable(Exception):
    """The example built an activity botbuilder cannot deserialize (a known failure)."""


@dataclass
class Person:
    user_id: str = field(default_factory=new_user_id)
    aad: str = field(default_factory=new_aad_object_id)
    conversation: str = field(default_factory=new_personal_conversation_id)


@dataclass(repr=False)
class TeamsFuzz:
    loop: LoopThread
    connector: TeamsConnector
    harness: TeamsHarness
    runner: web.AppRunner
    store: RedisStore
    redis: aioredis.Redis
    audit: SessionAudit
    errors: ErrorRecords = field(default_factory=ErrorRecords)
    users: list[str] = field(default_factory=list)
    sdk: str = "botbuilder"

    def __repr__(self) -> str:
        return f"<TeamsFuzz {self.sdk} {self.harness.url}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis prints fixtures with failing examples

    @classmethod
    async def start(
        cls, loop: LoopThread, redis_url: str, flow: Flow, sdk: str = "botbuilder"
    ) -> TeamsFuzz:
        connector = await TeamsConnector().start()
        store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=1.0))
        settings_ = Settings(redis_url=redis_url, teams_dev_mode=True, teams_sdk=sdk)
        harness, runner = await start_teams(connector, settings_, store, sdk=sdk, dev=True)
        redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
        audit = await SessionAudit(redis, flow).start()
        return cls(loop, connector, harness, runner, store, redis, audit, sdk=sdk)

    async def stop(self) -> None:
        await self.harness.http.close()
        await self.runner.cleanup()
        await self.store.close()
        await self.redis.aclose()
        await self.connector.stop()

    def person(self) -> Person:
        person = Person()
        self.users += [person.user_id, person.aad]
        return person

    async def post(self, activity: Any, *, parseable_only: bool = True) -> int:
        """POST one activity. The main fuzz sends only activities botbuilder can deserialize;
        the ones it cannot are a known failure with a test of their own (below)."""
        if parseable_only and isinstance(activity, dict) and not parseable(activity, self.sdk):
            raise Unparseable  # rejected on the test's own thread: see `run`
        headers = {"Content-Type": "application/json"}
        body = json.dumps(activity)
        url = self.harness.url
        async with self.harness.http.post(url, data=body, headers=headers) as answer:
            await answer.read()
            return answer.status

    def begin(self) -> int:
        self.errors.records.clear()
        self.connector.card_problems.clear()
        self.users.clear()
        return len(self.connector.calls)

    async def check(self, mark: int, statuses: list[int]) -> list[str]:
        # Activities are accepted (2xx); only a body that is not an activity gets a 400.
        found = [f"HTTP {s}" for s in statuses if not 200 <= s < 300]
        found += [f"card: {p}" for p in self.connector.card_problems]
        found += [f"logged: {line}" for line in self.errors.describe()]
        for call in self.connector.calls[mark:]:
            found += [f"{call.operation}: {p}" for p in live_text(call)]
        found += await self.audit.problems()
        self.audit.retire(self.users)
        return found

    async def open_personal(self, person: Person) -> ConnectorCall:
        """Start `person`'s assessment in their personal chat; the first question card."""
        mark = len(self.connector.calls)
        await self.post(self.say(person, "hi"))
        for call in self.connector.calls[mark:]:
            # A question card: its buttons answer ("o"); the intro's are the two ways in.
            if call.operation in (Operation.SEND, Operation.REPLY) and any(
                "o" in data for data in _options(call)
            ):
                return call
        raise AssertionError(f"no question card for {person}: {self.connector.calls[mark:]}")

    def say(self, person: Person, text: str, **extra: Any) -> dict[str, Any]:
        return personal_message(
            text,
            user_id=person.user_id,
            aad_object_id=person.aad,
            conversation_id=person.conversation,
            service_url=self.connector.service_url,
            **extra,
        )


def parseable(activity: dict[str, Any], sdk: str = "botbuilder", *, strict: bool = True) -> bool:
    """Whether botbuilder's own Activity model accepts this JSON (msrest deserialization), and
    on the Agents SDK also its model (pydantic: a string field must be a string). With
    `strict=False`, on the Agents SDK, its model alone."""
    try:
        Activity().deserialize(json.loads(json.dumps(activity)))
    except Exception:
        if strict or sdk != "agents":
            return False
    if sdk == "agents":
        read = read_agents_activity(without_nulls(json.loads(json.dumps(activity))))
        return not (isinstance(read, str) and read.startswith("the activity's fields"))
    return True


def channel_data_ok(value: Any) -> bool:
    """Whether botbuilder's Teams handler can read this `channelData` (see the known failure)."""
    try:
        return TeamsChannelData().deserialize(value) is not None
    except Exception:
        return False


def _options(call: ConnectorCall) -> list[dict[str, Any]]:
    """The Action.Submit data of every button on the cards of one call."""
    return [
        node["data"]
        for card in call.cards
        for node in walk(card)
        if node.get("type") == "Action.Submit" and isinstance(node.get("data"), dict)
    ]


def live_text(call: ConnectorCall) -> Iterator[str]:
    """Markdown links and `{{…}}` functions where Teams would render them."""
    texts: list[tuple[str, str]] = []
    if call.operation in (Operation.SEND, Operation.REPLY, Operation.UPDATE):
        if isinstance(call.body.get("text"), str):
            texts.append(("message text", call.body["text"]))
        for card in call.cards:
            for node in walk(card):
                if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
                    texts.append(("TextBlock", node["text"]))
                if node.get("type") == "FactSet":
                    facts = [f for f in node.get("facts") or [] if isinstance(f, dict)]
                    texts += [
                        ("Fact", str(f.get(k, ""))) for f in facts for k in ("title", "value")
                    ]
    for where, text in texts:
        if LIVE_LINK.search(text):
            yield f"live markdown link in a {where}: {clip(text, 200)!r}"
        if LIVE_FUNCTION.search(text):
            yield f"live {{{{…}}}} function in a {where}: {clip(text, 200)!r}"


@contextmanager
def fuzz_environment(redis_url: str, flow: Flow, sdk: str = "botbuilder") -> Iterator[TeamsFuzz]:
    """The harness on a loop of its own: the body of each fuzz module's `fuzz` fixture, on
    the Teams adapter `sdk` (TEAMS_SDK)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in PROXY_ENV_VARS:
            patch.delenv(name, raising=False)
        loop = LoopThread()
        env = loop.run(TeamsFuzz.start(loop, redis_url, flow, sdk))
        env.errors.install()
        try:
            yield env
        finally:
            env.errors.remove()
            loop.run(env.stop())
            loop.close()


def run(fuzz: TeamsFuzz, scenario: Any) -> None:
    """Run one example on the fuzz loop and fail with everything it found."""

    async def go() -> list[str]:
        mark = fuzz.begin()
        statuses = await scenario(fuzz)
        return await fuzz.check(mark, statuses)

    try:
        found = fuzz.loop.run(go())
    except Unparseable:
        reject()
    assert not found, "\n".join(found[:20])


def refused(case: Any) -> Any:
    """`case`, whose last activity must be answered 400 (the ones before it, 2xx)."""

    async def scenario(fuzz: TeamsFuzz) -> list[int]:
        mark = len(fuzz.connector.calls)
        statuses: list[int] = await case(fuzz)
        assert statuses[-1] == 400, f"HTTP {statuses[-1]} for {case}"
        if len(statuses) == 1:
            assert fuzz.connector.calls[mark:] == [], "a refused activity was answered"
        return statuses[:-1]

    return scenario
