"""Fuzzing the Teams endpoint with what Teams would never send, through the real CloudAdapter:
activities botbuilder cannot deserialize, conversation updates without `channelData`, invokes
the bot does not implement, activities without a usable sender or conversation, and bodies
that are not activities at all. The harness, and what it checks after each example, is in
tests/support/teams_fuzz.py; the cases in tests/support/teams_fuzz_cases.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dialogs.flow import Flow
from tests.bot.teams.conftest import SDKS
from tests.support.fuzz_strategies import FUZZ, NO_SHRINK, apply_plan, junk
from tests.support.teams_fuzz import (
    DROP_CONVERSATION,
    DROP_FROM,
    DROP_SERVICE_URL,
    KEEP,
    NOTHING,
    TeamsFuzz,
    channel_data_ok,
    fuzz_environment,
    parseable,
    refused,
    run,
)
from tests.support.teams_fuzz_cases import (
    _SAMPLE,
    INVOKE_NAMES,
    TYPED_FIELDS,
    MessageCase,
    OtherCase,
    TypedJunk,
    unparseable,
)


@pytest.fixture(scope="module", params=SDKS)
def fuzz(redis_url: str, flow: Flow, request: pytest.FixtureRequest) -> Iterator[TeamsFuzz]:
    """The fuzz on each Teams adapter in turn (botbuilder, the Agents SDK)."""
    with fuzz_environment(redis_url, flow, str(request.param)) as env:
        yield env


# ------------------------------------------------------------------------------ known failures


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=TypedJunk(((("timestamp", "junk", []),), {})))
@example(case=TypedJunk(((("entities", "junk", False),), {})))
@given(
    case=st.builds(
        TypedJunk,
        st.tuples(
            st.tuples(st.tuples(st.sampled_from(TYPED_FIELDS), st.just("junk"), junk())),
            st.just({}),
        ),
    ).filter(unparseable)
)
def test_activities_botbuilder_cannot_deserialize_get_400(fuzz: TeamsFuzz, case: TypedJunk) -> None:
    """botbuilder's own model rejects them (it would answer 500): a 400, nothing logged. The
    Agents SDK's model reads some of them (a number as a timestamp): it serves those."""
    if fuzz.sdk == "agents" and parseable(apply_plan(_SAMPLE, case.plan), "agents", strict=False):
        run(fuzz, case)
        return
    run(fuzz, refused(case))


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=OtherCase("install", "", None, KEEP, NOTHING, channel_data=None))
@given(
    case=st.builds(
        OtherCase,
        kind=st.sampled_from(["install", "team_install", "conversationUpdate"]),
        name=st.just(""),
        value=st.none(),
        members=st.just(KEEP),
        plan=st.just(NOTHING),
        channel_data=st.none() | junk().filter(lambda v: v is not None and not channel_data_ok(v)),
    )
)
def test_conversation_updates_without_channel_data(fuzz: TeamsFuzz, case: OtherCase) -> None:
    """Read as if `channelData` were empty: a personal install still gets its welcome card."""

    async def scenario(f: TeamsFuzz) -> list[int]:
        mark = len(f.connector.calls)
        statuses = await case(f)
        if case.kind == "install":
            sent = [c for c in f.connector.calls[mark:] if c.cards]
            assert sent, "no welcome card"
        return statuses

    run(fuzz, scenario)


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=OtherCase("invoke", "adaptiveCard/action", None, KEEP, NOTHING))
@example(case=OtherCase("invoke", "task/fetch", [], KEEP, NOTHING))
@given(
    case=st.builds(
        OtherCase,
        kind=st.just("invoke"),
        name=st.sampled_from(INVOKE_NAMES) | junk(),
        value=junk(),
        members=st.just(KEEP),
        plan=st.just(NOTHING),
    )
)
def test_invokes_the_bot_does_not_implement(fuzz: TeamsFuzz, case: OtherCase) -> None:
    run(fuzz, case)


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=MessageCase("personal", "hi", "Ann", False, None, KEEP, DROP_CONVERSATION))
@example(case=MessageCase("personal", "hi", "Ann", False, None, KEEP, DROP_FROM))
@example(case=MessageCase("personal", "hi", "Ann", False, None, "a:🙂", NOTHING))
@example(case=MessageCase("personal", "hi", "Ann", False, None, None, NOTHING))
@example(case=MessageCase("personal", "hi", "Ann", False, None, "\x1b", NOTHING))
@example(case=OtherCase("install", "", None, KEEP, ((("recipient", "drop", None),), {})))
@example(case=MessageCase("personal", "hi", "Ann", True, None, KEEP, DROP_SERVICE_URL))
@given(
    case=st.builds(
        MessageCase,
        scope=st.sampled_from(["personal", "channel"]),
        text=st.just("hi"),
        name=st.just("Ann"),
        opened=st.booleans(),
        entities=st.none(),
        conversation=st.sampled_from([KEEP, None, "", "a:🙂", "\x1b", "a:x\r\ny"]),
        plan=st.sampled_from([NOTHING, DROP_FROM, DROP_CONVERSATION, DROP_SERVICE_URL]),
    ).filter(lambda c: c.conversation != KEEP or c.plan != NOTHING)
)
def test_activities_without_a_usable_sender_or_conversation_get_400(
    fuzz: TeamsFuzz, case: MessageCase | OtherCase
) -> None:
    """Teams always sends these; without them no reply can be sent: a 400, no session."""
    run(fuzz, refused(case))


# ------------------------------------------------------------------------------ not activities


@settings(FUZZ, max_examples=40)
@given(body=junk().filter(lambda v: not (isinstance(v, dict) and v.get("type"))))
def test_bodies_that_are_not_activities_get_400(fuzz: TeamsFuzz, body: Any) -> None:
    async def scenario(f: TeamsFuzz) -> list[int]:
        status = await f.post(body, parseable_only=False)
        assert status == 400, status
        return []

    run(fuzz, scenario)
