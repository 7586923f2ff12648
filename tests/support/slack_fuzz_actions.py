"""The Slack fuzz's click cases (tests/bot/slack/test_fuzz*.py) and the strategies that draw them:
forged block actions, malformed `actions`, and share targets. Each case is a scenario for `run`
in tests/support/slack_fuzz.py; events and slash commands are in slack_fuzz_cases.py."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from hypothesis import strategies as st

from bot.slack.render import COMMAND_ACTIONS, HOME_START, SUMMARY_EDIT, SUMMARY_SHARE
from tests.support.fuzz_strategies import SLACK_LIVE, Plan, apply_plan, junk, odd_text, plans
from tests.support.slack_fuzz import SlackFuzz
from tests.support.slack_signing import block_actions_payload, next_ts

#: Another person's id in a forged button: the bot may name them (privately, to the clicker).
OTHER_USER: Final = "UFZOTHER1"

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
