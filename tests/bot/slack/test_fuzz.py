"""Fuzzing the Slack endpoint: random and hostile signed payloads through the real Bolt app.

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
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from hypothesis import example, given, settings
from hypothesis import strategies as st
from redis import asyncio as aioredis

from bot.slack.delivery import Place
from bot.slack.render import COMMAND_ACTIONS, HOME_START, SUMMARY_EDIT, SUMMARY_SHARE
from dialogs.flow import Flow
from dialogs.session import Session
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, slack_settings, start_harness
from tests.support.answers import FULL_ANSWERS
from tests.support.fuzz_strategies import (
    FUZZ,
    NO_SHRINK,
    SLACK_LIVE,
    TRUTHY_SCALARS,
    ErrorRecords,
    LoopThread,
    Plan,
    SessionAudit,
    apply_plan,
    clip,
    eventually,
    ids,
    junk,
    odd_text,
    plans,
)
from tests.support.payloads import walk
from tests.support.slack_signing import (
    app_home_opened_event,
    app_mention_event,
    block_actions_payload,
    event_payload,
    message_event,
    next_ts,
    slash_command_payload,
)
from tests.support.slack_standin import (
    MESSAGE_METHODS,
    PROXY_ENV_VARS,
    RESPONSE_URL_METHOD,
    VIEW_METHODS,
    SlackStandIn,
)

FORM: Final = "application/x-www-form-urlencoded"
#: A `<…>` token Slack turns into something live. The bot itself only mentions the person
#: Slack says is talking (any id Slack sends, however odd) and channels; typed mentions are
#: caught by the SLACK_LIVE fragments.
MARKUP: Final = re.compile(r"<[^<>]*>")
BOT_MARKUP: Final = re.compile(r"<[@#][^<>!]*>")
#: Another person's id in a forged button: the bot may name them (privately, to the clicker).
OTHER_USER: Final = "UFZOTHER1"
#: Examples per property; together they keep this file well under 40 s on two cores.
#: Event and action tests run once per focus field (19 and 16 of them), command tests once
#: per command (12).
EVENT_EXAMPLES: Final = 18
COMMAND_EXAMPLES: Final = 12
ACTION_EXAMPLES: Final = 14
SHARE_EXAMPLES: Final = 30


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


@pytest.fixture(scope="module")
def fuzz(redis_url: str, flow: Flow) -> Iterator[SlackFuzz]:
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


# ------------------------------------------------------------------------------ events

EVENT_KEYS: Final = (
    "type",
    "user",
    "text",
    "channel",
    "channel_type",
    "ts",
    "thread_ts",
    "team",
    "subtype",
    "bot_id",
    "blocks",
    "client_msg_id",
    "event_ts",
    "tab",
)
#: Envelope fields the fuzz varies; junk `authorizations` is among the known failures (below).
ENVELOPE_KEYS: Final = ("event_id", "team_id", "event_time", "api_app_id", "event_context")
#: Fields Bolt itself reads to build its context: the fuzz gives them id-like junk only.
BOLT_IDS: Final = frozenset({"user", "channel", "team", "enterprise"})
EVENT_KINDS: Final = (
    "dm",
    "thread_reply",
    "channel_top_level",
    "mention",
    "mention_in_thread",
    "home",
)


KEEP: Final = "<keep>"


@dataclass(frozen=True)
class EventCase:
    kind: str
    text: str
    opened: bool
    plan: Plan
    envelope: Plan | None = None
    event: Any = KEEP  # the whole `event`, replaced
    channel: Any = KEEP  # `event.channel`, replaced (None: dropped)

    async def __call__(self, fuzz: SlackFuzz) -> list[int]:
        user = fuzz.new_user()
        statuses: list[int] = []
        channel, root = "C" + uuid.uuid4().hex[:8].upper(), next_ts()
        if self.opened:  # an assessment already running where the event lands
            if self.kind in ("dm", "home"):
                statuses.append(await fuzz.event(message_event(user, "hi", "D" + user)))
            else:
                statuses.append(await fuzz.event(app_mention_event(user, "", channel, ts=root)))
        base: dict[str, Any]
        match self.kind:
            case "dm":
                base = message_event(user, self.text, "D" + user)
            case "thread_reply":
                base = message_event(
                    user, self.text, channel, channel_type="channel", thread_ts=root
                )
            case "channel_top_level":
                base = message_event(user, self.text, channel, channel_type="channel")
            case "mention":
                base = app_mention_event(user, self.text, channel)
            case "mention_in_thread":
                base = app_mention_event(user, self.text, channel, thread_ts=root)
            case _:
                base = app_home_opened_event(user)
        event = apply_plan(base, self.plan)
        if self.channel is None:
            event.pop("channel", None)
        elif self.channel != KEEP:
            event["channel"] = self.channel
        statuses.append(
            await fuzz.event(event if self.event == KEEP else self.event, self.envelope)
        )
        return statuses


#: `event.channel` is fuzzed on its own: a missing or blank one is a known failure (below).
EVENT_FIELDS: Final = tuple(k for k in EVENT_KEYS if k != "channel")
EVENT_FOCUS: Final = (None, *(f"event.{k}" for k in EVENT_FIELDS), *ENVELOPE_KEYS)


@cache
def event_cases(focus: str | None) -> st.SearchStrategy[EventCase]:
    """Hostile events that change `focus` (an event or envelope field) among other things."""
    field = focus.removeprefix("event.") if focus and focus.startswith("event.") else None
    envelope = plans(ENVELOPE_KEYS, focus=focus, id_keys=BOLT_IDS)
    return st.builds(
        EventCase,
        kind=st.sampled_from(EVENT_KINDS),
        text=odd_text(SLACK_LIVE),
        opened=st.booleans(),
        plan=plans(EVENT_FIELDS, focus=field, id_keys=BOLT_IDS),
        envelope=envelope if focus in ENVELOPE_KEYS else st.none() | envelope,
        channel=st.just(KEEP) | ids().filter(lambda v: v not in (None, "")),
    )


@pytest.mark.parametrize("focus", EVENT_FOCUS)
@settings(FUZZ, max_examples=EVENT_EXAMPLES)
@given(data=st.data())
def test_hostile_events(fuzz: SlackFuzz, focus: str | None, data: st.DataObject) -> None:
    run(fuzz, data.draw(event_cases(focus), label="case"))


NOTHING: Final[Plan] = ((), {})
not_text = junk().filter(lambda v: v is not None and not isinstance(v, (str, dict, list)))


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=EventCase("dm", "hi", False, NOTHING, event=[]))
@example(case=EventCase("dm", "hi", False, ((("user", "junk", 1),), {})))
@example(
    case=EventCase("mention", "hi", False, NOTHING, envelope=((("authorizations", "junk", 0),), {}))
)
@given(
    case=st.one_of(
        st.builds(
            EventCase,
            kind=st.sampled_from(EVENT_KINDS),
            text=st.just("hi"),
            opened=st.just(False),
            plan=st.just(NOTHING),
            event=junk().filter(lambda v: v is not None and not isinstance(v, dict)),
        ),
        st.builds(
            EventCase,
            kind=st.sampled_from(EVENT_KINDS),
            text=st.just("hi"),
            opened=st.just(False),
            plan=st.tuples(
                st.tuples(st.tuples(st.sampled_from(["user", "team"]), st.just("junk"), not_text)),
                st.just({}),
            ),
        ),
    )
)
def test_events_bolt_cannot_parse(fuzz: SlackFuzz, case: EventCase) -> None:
    run(fuzz, case)


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=EventCase("dm", "hi", False, NOTHING, channel=None))
@given(
    case=st.builds(
        EventCase,
        kind=st.sampled_from(["dm", "mention", "mention_in_thread"]),
        text=odd_text(SLACK_LIVE, max_huge=3_000),
        opened=st.booleans(),
        plan=st.just(NOTHING),
        channel=st.sampled_from([None, ""]),
    )
)
def test_events_without_a_channel(fuzz: SlackFuzz, case: EventCase) -> None:
    run(fuzz, case)


# ------------------------------------------------------------------------------ slash commands

#: `user_id` is fuzzed on its own: a missing or blank one is a known failure (above).
COMMAND_KEYS: Final = (
    "channel_id",
    "team_id",
    "trigger_id",
    "channel_name",
    "user_name",
    "text",
)
COMMAND_TEXTS: Final = (
    "",
    "help",
    "?",
    "here",
    "status",
    "results",
    "restart",
    "forget",
    "start",
    "resume",
    "continue",
)


@dataclass(frozen=True)
class CommandCase:
    text: str
    channel: str
    opened: bool
    plan: Plan
    user_id: Any = KEEP  # the `user_id` field, replaced (None: dropped)

    async def __call__(self, fuzz: SlackFuzz) -> list[int]:
        user = fuzz.new_user()
        statuses: list[int] = []
        if self.opened:
            statuses.append(await fuzz.event(message_event(user, "hi", "D" + user)))
        channel = {"dm": "D" + user, "channel": "C" + uuid.uuid4().hex[:8].upper()}.get(
            self.channel, self.channel
        )
        fields = slash_command_payload(
            text=self.text,
            user_id=user,
            channel_id=channel,
            trigger_id="trig" + uuid.uuid4().hex,
            response_url=fuzz.standin.response_url(uuid.uuid4().hex[:8]),
        )
        fields = apply_plan(fields, self.plan)
        if self.user_id is None:
            fields.pop("user_id", None)
        elif self.user_id != KEEP:
            fields["user_id"] = self.user_id
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        statuses.append(await fuzz.post(urlencode(form), FORM))
        return statuses


def _shout(text: str, upper: bool, pad: str) -> str:
    return pad + (text.upper() if upper else text) + pad


@cache
def command_cases(command: str | None) -> st.SearchStrategy[CommandCase]:
    """`/llm-advisor <command>` in odd spellings (None: odd text), with fields changed."""
    text = (
        odd_text(SLACK_LIVE)
        if command is None
        else st.builds(_shout, st.just(command), st.booleans(), st.sampled_from(PADS))
    )
    return st.builds(
        CommandCase,
        text=text,
        channel=st.sampled_from(["dm", "channel", "channel", "", "C\u202eX", "Cx" * 200]),
        opened=st.booleans(),
        plan=st.sampled_from((None, *COMMAND_KEYS)).flatmap(
            lambda focus: plans(COMMAND_KEYS, focus=focus)
        ),
        user_id=st.just(KEEP) | ids().filter(lambda v: v not in (None, "")),
    )


PADS: Final = ("", " ", "\t\n  ", "\u200b")


@pytest.mark.parametrize("command", (*COMMAND_TEXTS, None))
@settings(FUZZ, max_examples=COMMAND_EXAMPLES)
@given(data=st.data())
def test_hostile_slash_commands(fuzz: SlackFuzz, command: str | None, data: st.DataObject) -> None:
    run(fuzz, data.draw(command_cases(command), label="case"))


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=CommandCase("", "dm", False, NOTHING, user_id=None))
@given(
    case=st.builds(
        CommandCase,
        text=st.sampled_from(["", "start", "restart", "status", "results", "forget"]),
        channel=st.sampled_from(["dm", "channel"]),
        opened=st.just(False),
        plan=st.just(NOTHING),
        user_id=st.sampled_from([None, ""]),
    )
)
def test_commands_without_a_user(fuzz: SlackFuzz, case: CommandCase) -> None:
    run(fuzz, case)


# ------------------------------------------------------------------------------ block actions

KNOWN_ACTIONS: Final = (
    "answer_1",
    "answer_2",
    "answer_9",
    *COMMAND_ACTIONS,
    SUMMARY_EDIT,
    HOME_START,
)
UNKNOWN_ACTIONS: Final = (
    "answer_",
    "answer_x",
    "answer_99999999999999999999",
    "cmd_evil",
    "x" * 300,
)
#: Payload and action fields the fuzz drops, blanks or replaces. `actions` itself and a
#: non-string `action_id` have a test of their own (a known failure, below).
PAYLOAD_KEYS: Final = (
    "user",
    "container",
    "channel",
    "message",
    "team",
    "trigger_id",
    "state",
    "response_url",
    "type",
)
ACTION_KEYS: Final = ("block_id", "value", "type", "action_ts", "text", "selected_option")


@st.composite
def forged_values(draw: st.DrawFn) -> Any:
    """How a button value is forged: a tuple saying how to build it from the real one."""
    return draw(
        st.one_of(
            st.just(("real",)),
            st.tuples(st.just("field"), st.sampled_from("qosu"), junk()),
            st.tuples(st.just("field"), st.sampled_from("qosu"), odd_text(SLACK_LIVE)),
            st.tuples(st.just("owner"), st.sampled_from([OTHER_USER, "W0ADMIN", "", "U"])),
            st.tuples(st.just("truncate"), st.integers(0, 80)),
            st.tuples(st.just("json"), junk()),
            st.tuples(st.just("text"), odd_text(SLACK_LIVE, max_huge=4_000)),
            st.tuples(
                st.just("none"),
            ),
        )
    )


def forge(recipe: tuple[Any, ...], real: str | None) -> Any:
    real = real or json.dumps({"u": ""})
    kind = recipe[0]
    if kind == "real":
        return real
    if kind == "field":
        data = json.loads(real)
        data[recipe[1]] = recipe[2]
        return json.dumps(data)
    if kind == "owner":
        return json.dumps({**json.loads(real), "u": recipe[1]})
    if kind == "truncate":
        return real[: recipe[1]]
    if kind == "json":
        return json.dumps(recipe[1])
    if kind == "text":
        return recipe[1]
    return None


@dataclass(frozen=True)
class ActionCase:
    action_id: str
    button: int
    value: tuple[Any, ...]
    raw_value: Any | None
    thread: bool
    plan: Plan
    action_plan: Plan

    async def __call__(self, fuzz: SlackFuzz) -> list[int]:
        user = fuzz.new_user()
        question = await fuzz.start_dm(user)
        buttons = [
            element
            for block in question["buttons"]
            if block.get("type") == "actions"
            for element in block.get("elements", [])
        ]
        real = next((b for b in buttons if b["action_id"] == self.action_id), None)
        if real is None and buttons:
            real = buttons[self.button % len(buttons)]
        value = forge(self.value, real.get("value") if real else None)
        if self.raw_value is not None:
            value = self.raw_value
        payload = block_actions_payload(
            user_id=user,
            action_id=self.action_id,
            value=None,
            channel_id="D" + user,
            message_ts=question["ts"],
            trigger_id="trig" + uuid.uuid4().hex,
            response_url=fuzz.standin.response_url(uuid.uuid4().hex[:8]),
        )
        action = dict(payload["actions"][0])
        if value is not None:
            action["value"] = value
        if self.thread:
            payload["message"]["thread_ts"] = next_ts()
        payload["actions"] = [apply_plan(action, self.action_plan)]
        payload = apply_plan(payload, self.plan)
        return [await fuzz.action(payload)]


#: Payload fields Slack always sends as objects; anything else there is a known failure (below).
ACTION_OBJECTS: Final = frozenset({"user", "channel", "team", "container", "message"})
ACTION_FOCUS: Final = (None, *PAYLOAD_KEYS, *(f"action.{k}" for k in ACTION_KEYS))


@cache
def action_cases(focus: str | None) -> st.SearchStrategy[ActionCase]:
    """Forged clicks that change `focus` (a payload or action field) among other things."""
    field = focus.removeprefix("action.") if focus and focus.startswith("action.") else None
    return st.builds(
        ActionCase,
        action_id=st.one_of(
            st.sampled_from(KNOWN_ACTIONS), st.sampled_from(UNKNOWN_ACTIONS), st.text(max_size=10)
        ),
        button=st.integers(0, 30),
        value=forged_values(),
        raw_value=st.none() | st.none() | st.none() | junk(),
        thread=st.booleans(),
        plan=plans(PAYLOAD_KEYS, focus=None if field else focus, object_keys=ACTION_OBJECTS),
        action_plan=plans(ACTION_KEYS, focus=field),
    )


@pytest.mark.parametrize("focus", ACTION_FOCUS)
@settings(FUZZ, max_examples=ACTION_EXAMPLES)
@given(data=st.data())
def test_forged_block_actions(fuzz: SlackFuzz, focus: str | None, data: st.DataObject) -> None:
    run(fuzz, data.draw(action_cases(focus), label="case"))


@settings(FUZZ, max_examples=3, phases=NO_SHRINK)
@example(
    case=ActionCase(
        "answer_1", 0, ("real",), None, False, ((("container", "junk", "x"),), {}), NOTHING
    )
)
@given(
    case=st.builds(
        ActionCase,
        action_id=st.sampled_from(KNOWN_ACTIONS),
        button=st.integers(0, 5),
        value=st.just(("real",)),
        raw_value=st.none(),
        thread=st.booleans(),
        plan=st.tuples(
            st.tuples(
                st.tuples(
                    st.sampled_from(sorted(ACTION_OBJECTS)),
                    st.just("junk"),
                    st.sampled_from(TRUTHY_SCALARS),
                )
            ),
            st.just({}),
        ),
        action_plan=st.just(NOTHING),
    )
)
def test_actions_whose_objects_are_not_objects(fuzz: SlackFuzz, case: ActionCase) -> None:
    run(fuzz, case)


@dataclass(frozen=True)
class MalformedActions:
    """A block_actions payload whose `actions` list or `action_id` is not what Slack sends."""

    actions: Any

    async def __call__(self, fuzz: SlackFuzz) -> list[int]:
        user = fuzz.new_user()
        payload = block_actions_payload(
            user_id=user,
            action_id="answer_1",
            value="{}",
            channel_id="D" + user,
            message_ts=next_ts(),
            trigger_id="trig" + uuid.uuid4().hex,
            response_url=fuzz.standin.response_url(uuid.uuid4().hex[:8]),
        )
        payload["actions"] = self.actions
        return [await fuzz.action(payload)]


malformed_actions = st.one_of(
    st.builds(lambda a: [a], st.fixed_dictionaries({}, optional={"value": st.text(max_size=5)})),
    st.builds(lambda i: [{"action_id": i}], junk().filter(lambda v: not isinstance(v, str))),
    junk().filter(lambda v: not isinstance(v, list)),
    st.lists(junk().filter(lambda v: not isinstance(v, dict)), min_size=1, max_size=2),
)


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=MalformedActions([{}]))
@given(case=st.builds(MalformedActions, malformed_actions))
def test_actions_without_a_string_action_id(fuzz: SlackFuzz, case: MalformedActions) -> None:
    run(fuzz, case)


@dataclass(frozen=True)
class ShareCase:
    """`Share` on a finished summary, with a forged or odd target conversation."""

    target: Any
    value: Any
    plan: Plan

    async def __call__(self, fuzz: SlackFuzz) -> list[int]:
        user = fuzz.done_user
        payload = block_actions_payload(
            user_id=user,
            action_id=SUMMARY_SHARE,
            value=None,
            channel_id="D" + user,
            message_ts=next_ts(),
            action_type="conversations_select",
            selected_conversation="C0PLACEHOLDER",
            trigger_id="trig" + uuid.uuid4().hex,
            response_url=fuzz.standin.response_url(uuid.uuid4().hex[:8]),
        )
        action = payload["actions"][0]
        action["selected_conversation"] = self.target
        if self.value is not None:
            action["value"] = self.value
        payload["actions"] = [apply_plan(action, self.plan)]
        return [await fuzz.action(payload)]


share_cases = st.builds(
    ShareCase,
    target=st.one_of(
        st.sampled_from(["C0SHARE1", "G0SHARE1", "D0SHARE1", "U0SHARE1", ""]),
        junk().filter(lambda v: not isinstance(v, str)),
    ),
    value=st.none() | junk(),
    plan=plans(("block_id", "type", "action_ts"), max_steps=1),
)


@settings(FUZZ, max_examples=SHARE_EXAMPLES)
@given(case=share_cases)
def test_forged_share_targets(fuzz: SlackFuzz, case: ShareCase) -> None:
    run(fuzz, case)


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=ShareCase("C0X> <!channel", None, ((), {})))
@given(
    case=st.builds(
        ShareCase,
        target=odd_text(SLACK_LIVE, max_huge=3_000).filter(lambda t: t.strip() != ""),
        value=st.none(),
        plan=st.just(((), {})),
    )
)
def test_share_targets_that_are_not_conversation_ids(fuzz: SlackFuzz, case: ShareCase) -> None:
    run(fuzz, case)


def test_the_done_user_still_has_a_valid_finished_session(fuzz: SlackFuzz) -> None:
    """The share fuzz only reads the finished session; it must still be intact."""
    session = fuzz.loop.run(fuzz.harness.advisor.peek(_dm_key(fuzz.done_user)))
    assert isinstance(session, Session) and session.state == "done"


def test_the_fuzz_reached_the_bot(fuzz: SlackFuzz) -> None:
    """Guard against a fuzz that only ever hit 404s: the bot answered in every way it can, and
    typed markup did reach its messages (escaped, or in plain_text)."""
    methods = {c.method for c in fuzz.standin.calls}
    wanted = {"chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish"}
    assert wanted | {RESPONSE_URL_METHOD} <= methods
    echoed = [
        c
        for c in fuzz.standin.calls
        if any(fragment in json.dumps(c.payload) for fragment in SLACK_LIVE)
    ]
    assert echoed, "no typed markup ever reached a message"
