"""Fuzzing the Slack endpoint with payloads Slack would never send, through the real Bolt
app: events Bolt cannot parse or without a channel, commands without a user, block actions
whose objects are not objects or without a string `action_id`, share targets that are not
conversation ids. The harness, and what it checks after each example, is in
tests/support/slack_fuzz.py; the cases in tests/support/slack_fuzz_cases.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dialogs.flow import Flow
from tests.support.fuzz_strategies import (
    FUZZ,
    NO_SHRINK,
    SLACK_LIVE,
    TRUTHY_SCALARS,
    junk,
    odd_text,
)
from tests.support.slack_fuzz import SlackFuzz, fuzz_environment, run
from tests.support.slack_fuzz_actions import (
    ACTION_OBJECTS,
    KNOWN_ACTIONS,
    ActionCase,
    MalformedActions,
    ShareCase,
    malformed_actions,
)
from tests.support.slack_fuzz_cases import (
    EVENT_KINDS,
    NOTHING,
    CommandCase,
    EventCase,
    not_text,
)


@pytest.fixture(scope="module")
def fuzz(redis_url: str, flow: Flow) -> Iterator[SlackFuzz]:
    with fuzz_environment(redis_url, flow) as env:
        yield env


# ------------------------------------------------------------------------------ events


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


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=MalformedActions([{}]))
@given(case=st.builds(MalformedActions, malformed_actions))
def test_actions_without_a_string_action_id(fuzz: SlackFuzz, case: MalformedActions) -> None:
    run(fuzz, case)


# ------------------------------------------------------------------------------ share


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
