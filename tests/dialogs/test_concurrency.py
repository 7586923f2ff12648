"""Concurrent deliveries through the real Advisor: redelivered clicks apply once, racing answers
all land.

Each simulated delivery has its own Advisor and its own Redis client (its own connection), like
several app processes receiving Slack's retries of one event. Every connection is opened before
the race starts, so the deliveries really overlap instead of queueing behind connection set-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Literal

import pytest

from dialogs.advisor import Advisor
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.replies import Answered, Ask, TurnResult
from dialogs.session import Session, event_key
from dialogs.stores.base import SessionStore
from dialogs.stores.memory import MemoryStore
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import Click, SessionKey, Turn
from tests.conftest import T0, make_advisor, unique_key

DELIVERIES = 8
Form = Literal["click", "text"]


@pytest.fixture
async def redis_stores(redis_url: str) -> AsyncIterator[list[RedisStore]]:
    """DELIVERIES Redis stores, each with its own client, connected before the test starts."""
    stores = [
        RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.5))
        for _ in range(DELIVERIES)
    ]
    try:
        await asyncio.gather(*(s.ping() for s in stores))
        yield stores
    finally:
        await asyncio.gather(*(s.close() for s in stores))


def advisors_for(
    stores: list[RedisStore], flow: Flow, engine_config: EngineConfig
) -> list[Advisor]:
    return [make_advisor(flow, s, engine_config, max_attempts=16) for s in stores]


async def open_session(advisor: Advisor, key: SessionKey) -> Ask:
    """Start the conversation and return the first question as shown."""
    result = await advisor.handle(Turn(key=key, event_id="open", at=T0))
    return next(r for r in result.replies if isinstance(r, Ask))


def answer_turn(key: SessionKey, ask: Ask, form: Form, event_id: str) -> Turn:
    """Answer `ask` with its first option, by clicking its button or by typing "1"."""
    if form == "click":
        click = Click(question=ask.question, option=ask.options[0].id, stamp=ask.stamp)
        return Turn(key=key, event_id=event_id, at=T0, click=click)
    return Turn(key=key, event_id=event_id, at=T0, text="1")


async def stored_session(store: SessionStore, key: SessionKey) -> Session:
    doc = await store.load(key)
    assert doc is not None
    return Session.from_document(doc)


async def race_same_event(
    advisors: list[Advisor], store: SessionStore, form: Form
) -> tuple[Ask, Session, Session, list[TurnResult]]:
    """Open a session, then deliver one answer event from every advisor at once."""
    key = unique_key()
    ask = await open_session(advisors[0], key)
    before = await stored_session(store, key)
    turn = answer_turn(key, ask, form, event_id="Ev-same")
    results = list(await asyncio.gather(*(a.handle(turn) for a in advisors)))
    after = await stored_session(store, key)
    return ask, before, after, results


def assert_applied_once(
    ask: Ask, before: Session, after: Session, results: list[TurnResult]
) -> None:
    """One answer recorded once, one version step; one delivery shows the replies, the others
    are duplicates that show nothing (it was shown already)."""
    assert after.version == before.version + 1
    assert after.answers == {**before.answers, ask.question: ask.options[0].id}
    assert after.history == (*before.history, ask.question)
    assert after.seen.count(event_key("Ev-same")) == 1
    [applied] = [r for r in results if not r.duplicate]
    assert any(isinstance(r, Answered) and r.question == ask.question for r in applied.replies)
    assert all(r.replies == () for r in results if r.duplicate)


@pytest.mark.parametrize("form", ["click", "text"])
async def test_redis_same_event_from_eight_connections_applies_once(
    redis_stores: list[RedisStore], flow: Flow, engine_config: EngineConfig, form: Form
) -> None:
    """Eight deliveries of one answer event at once: the session changes exactly once (answers
    once, version + 1) and all eight return the same replies."""
    advisors = advisors_for(redis_stores, flow, engine_config)
    ask, before, after, results = await race_same_event(advisors, redis_stores[0], form)
    assert_applied_once(ask, before, after, results)


@pytest.mark.parametrize("form", ["click", "text"])
async def test_redis_same_event_from_eight_connections_seven_are_duplicates(
    redis_stores: list[RedisStore], flow: Flow, engine_config: EngineConfig, form: Form
) -> None:
    """Of eight simultaneous deliveries of one event, one is the turn and seven are reported
    as duplicates, so the adapter shows the replies once."""
    advisors = advisors_for(redis_stores, flow, engine_config)
    _, _, _, results = await race_same_event(advisors, redis_stores[0], form)
    duplicates = [r.duplicate for r in results]
    assert duplicates.count(True) == DELIVERIES - 1, f"duplicate flags: {duplicates}"


async def test_redis_redelivery_after_the_turn_is_a_duplicate(
    redis_stores: list[RedisStore], flow: Flow, engine_config: EngineConfig
) -> None:
    """A redelivery that arrives after the turn committed (Slack's retry after 3 s) changes
    nothing and shows nothing, flagged duplicate."""
    first, retry = advisors_for(redis_stores[:2], flow, engine_config)
    key = unique_key()
    ask = await open_session(first, key)
    turn = answer_turn(key, ask, "click", event_id="Ev-retried")
    applied = await first.handle(turn)
    version = (await stored_session(redis_stores[0], key)).version
    again = await retry.handle(turn)
    assert (applied.duplicate, again.duplicate) == (False, True)
    assert again.replies == ()
    assert (await stored_session(redis_stores[0], key)).version == version


@pytest.mark.parametrize("form", ["click", "text"])
async def test_memory_same_event_eight_times_at_once_applies_once(
    flow: Flow, engine_config: EngineConfig, form: Form
) -> None:
    """The MemoryStore keeps the same promise: one applies, seven are duplicates, same replies."""
    store = MemoryStore()
    advisors = [make_advisor(flow, store, engine_config) for _ in range(DELIVERIES)]
    ask, before, after, results = await race_same_event(advisors, store, form)
    assert_applied_once(ask, before, after, results)
    duplicates = [r.duplicate for r in results]
    assert duplicates.count(True) == DELIVERIES - 1, f"duplicate flags: {duplicates}"


async def test_redis_eight_different_answers_at_once_all_land_once(
    redis_stores: list[RedisStore], flow: Flow, engine_config: EngineConfig
) -> None:
    """Eight different events typing "1" at once: the compare-and-set makes the losers reload
    and answer the then-current question, so every turn applies exactly once; the session stays
    valid, and versions, answers, history and seen events all count the same eight turns."""
    advisors = advisors_for(redis_stores, flow, engine_config)
    key = unique_key()
    await open_session(advisors[0], key)
    before = await stored_session(redis_stores[0], key)
    turns = [Turn(key=key, event_id=f"Ev-{i}", at=T0, text="1") for i in range(DELIVERIES)]
    outcomes = await asyncio.gather(
        *(a.handle(t) for a, t in zip(advisors, turns, strict=True)), return_exceptions=True
    )
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, f"turns raised: {errors!r}"
    results = [o for o in outcomes if isinstance(o, TurnResult)]
    assert all(r.replies and not r.duplicate for r in results)

    answered = [r for res in results for r in res.replies if isinstance(r, Answered)]
    assert len(answered) == DELIVERIES, "each typed answer answers exactly one question"
    after = await stored_session(redis_stores[0], key)  # from_document: the session is valid
    assert after.version == before.version + DELIVERIES
    assert len(after.answers) == len(before.answers) + DELIVERIES
    assert len(after.history) == len(before.history) + DELIVERIES
    assert sorted(a.question for a in answered) == sorted(after.answers)
    assert all(after.answers[a.question] == a.option for a in answered)
    assert set(after.seen) >= {event_key(t.event_id) for t in turns}


async def test_a_burst_beyond_the_connection_pool_queues_instead_of_failing(
    redis_url: str, flow: Flow, engine_config: EngineConfig
) -> None:
    """More people at once than the Redis client has connections (100): turns wait their turn
    (AdvisorConfig.max_concurrent_turns) rather than failing with 'too many connections'."""
    store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=2.0))
    advisor = make_advisor(flow, store, engine_config, turn_timeout_seconds=30.0)
    try:
        keys = [unique_key(user=f"u{i}") for i in range(250)]
        turns = [Turn(key=k, event_id=f"burst-{i}", at=T0, text=None) for i, k in enumerate(keys)]
        results = await asyncio.gather(*(advisor.handle(t) for t in turns), return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert all(not r.duplicate for r in results if isinstance(r, TurnResult))
    finally:
        await store.close()
