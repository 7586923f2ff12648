"""The cases of the Slack fuzz (tests/bot/slack/test_fuzz*.py) and the strategies that draw
them: hostile events and slash commands (forged block actions and share targets are in
slack_fuzz_actions.py). Each case is a scenario for `run` in tests/support/slack_fuzz.py."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any, Final
from urllib.parse import urlencode

from hypothesis import strategies as st

from tests.support.fuzz_strategies import SLACK_LIVE, Plan, apply_plan, ids, junk, odd_text, plans
from tests.support.slack_fuzz import FORM, SlackFuzz
from tests.support.slack_signing import (
    app_home_opened_event,
    app_mention_event,
    message_event,
    next_ts,
    slash_command_payload,
)

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


NOTHING: Final[Plan] = ((), {})
not_text = junk().filter(lambda v: v is not None and not isinstance(v, (str, dict, list)))


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
