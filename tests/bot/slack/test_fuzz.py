"""Fuzzing the Slack endpoint: random and hostile signed payloads through the real Bolt app.

Every example goes over HTTP to the real aiohttp + Bolt app (signature check included), and
the bot's replies go to the stand-in Web API, which validates every card. After each example:

- every response is 2xx, or 404 where Bolt has no listener for it (never a 5xx or a 401);
- nothing was logged at ERROR by any logger (the adapter's error boundary logs there, so an
  exception that reached it counts as escaped), and the stand-in found no card problems;
- every session document written since the module started loads, with valid option ids;
- no mrkdwn text and no top-level `text` the bot sent carries live markup a person typed.

The harness, which checks all this, is in tests/support/slack_fuzz.py, the cases and their
strategies in tests/support/slack_fuzz_cases.py; payloads Slack would never send are fuzzed in
test_fuzz_known_failures.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.flow import Flow
from dialogs.session import Session
from tests.support.block_kit import RESPONSE_URL_METHOD
from tests.support.fuzz_strategies import FUZZ, SLACK_LIVE
from tests.support.slack_fuzz import SlackFuzz, _dm_key, fuzz_environment, run
from tests.support.slack_fuzz_actions import (
    ACTION_FOCUS,
    ShareCase,
    action_cases,
    share_cases,
)
from tests.support.slack_fuzz_cases import (
    COMMAND_TEXTS,
    EVENT_FOCUS,
    NOTHING,
    EventCase,
    command_cases,
    event_cases,
)

#: Examples per property; together they keep this file well under 40 s on two cores.
#: Event and action tests run once per focus field (19 and 16 of them), command tests once
#: per command (12).
EVENT_EXAMPLES: Final = 18
COMMAND_EXAMPLES: Final = 12
ACTION_EXAMPLES: Final = 14
SHARE_EXAMPLES: Final = 30


@pytest.fixture(scope="module")
def fuzz(redis_url: str, flow: Flow) -> Iterator[SlackFuzz]:
    with fuzz_environment(redis_url, flow) as env:
        yield env


# ------------------------------------------------------------------------------ events


@pytest.mark.parametrize("focus", EVENT_FOCUS)
@settings(FUZZ, max_examples=EVENT_EXAMPLES)
@given(data=st.data())
def test_hostile_events(fuzz: SlackFuzz, focus: str | None, data: st.DataObject) -> None:
    run(fuzz, data.draw(event_cases(focus), label="case"))


# ------------------------------------------------------------------------------ slash commands


@pytest.mark.parametrize("command", (*COMMAND_TEXTS, None))
@settings(FUZZ, max_examples=COMMAND_EXAMPLES)
@given(data=st.data())
def test_hostile_slash_commands(fuzz: SlackFuzz, command: str | None, data: st.DataObject) -> None:
    run(fuzz, data.draw(command_cases(command), label="case"))


# ------------------------------------------------------------------------------ block actions


@pytest.mark.parametrize("focus", ACTION_FOCUS)
@settings(FUZZ, max_examples=ACTION_EXAMPLES)
@given(data=st.data())
def test_forged_block_actions(fuzz: SlackFuzz, focus: str | None, data: st.DataObject) -> None:
    run(fuzz, data.draw(action_cases(focus), label="case"))


# ------------------------------------------------------------------------------ share


@settings(FUZZ, max_examples=SHARE_EXAMPLES)
@given(case=share_cases)
def test_forged_share_targets(fuzz: SlackFuzz, case: ShareCase) -> None:
    run(fuzz, case)


@pytest.mark.parametrize("kind", ["dm", "thread_reply", "mention_in_thread"])
def test_typed_markup_in_an_answer_is_echoed_inertly(fuzz: SlackFuzz, kind: str) -> None:
    """A fixed case beside the random ones, so that the guard below does not hang on which
    examples the seed drew: every live fragment typed as an answer in a running assessment."""
    text = " ".join(SLACK_LIVE)
    run(fuzz, EventCase(kind=kind, text=text, opened=True, plan=NOTHING))


# ------------------------------------------------------------------------------ the guards


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
