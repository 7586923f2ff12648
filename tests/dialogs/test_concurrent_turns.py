"""Many turns of one person at once through one Advisor: they queue in the process instead of
racing each other through the compare-and-set, so none runs out of attempts."""

from __future__ import annotations

import asyncio

import pytest

from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.replies import TurnResult
from dialogs.session import Session
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import Turn
from tests.conftest import T0, make_advisor, unique_key


@pytest.mark.parametrize("count", [10, 20])
async def test_concurrent_typed_messages_of_one_person_all_land(
    redis_url: str, flow: Flow, engine_config: EngineConfig, count: int
) -> None:
    """`count` typed messages to one session at once, through one Advisor on Redis (with the
    default attempts): every one is applied and answered, none fails."""
    store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=2.0))
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    try:
        await advisor.handle(Turn(key=key, event_id="open", at=T0))
        opened = await store.load(key)
        assert opened is not None
        before = Session.from_document(opened).version
        texts = ["help", "status", "why", "1"] * (count // 4 + 1)
        turns = [Turn(key=key, event_id=f"m-{i}", at=T0, text=texts[i]) for i in range(count)]
        outcomes = await asyncio.gather(*(advisor.handle(t) for t in turns), return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        assert errors == []
        results = [o for o in outcomes if isinstance(o, TurnResult)]
        assert all(r.replies and not r.duplicate for r in results)
        stored = await store.load(key)
        assert stored is not None
        assert Session.from_document(stored).version == before + count
        assert advisor._queues == {}  # every queue is dropped once its turns are done
    finally:
        await store.close()


async def test_turns_of_different_people_do_not_wait_for_each_other(
    redis_url: str, flow: Flow, engine_config: EngineConfig
) -> None:
    """The queue is per session: a burst of many people still all lands, and leaves no queue."""
    store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=2.0))
    advisor = make_advisor(flow, store, engine_config, turn_timeout_seconds=10.0)
    try:
        keys = [unique_key(user=f"u{i}") for i in range(30)]
        turns = [Turn(key=k, event_id=f"o-{i}", at=T0) for i, k in enumerate(keys) for _ in (0, 1)]
        outcomes = await asyncio.gather(*(advisor.handle(t) for t in turns), return_exceptions=True)
        assert [o for o in outcomes if isinstance(o, BaseException)] == []
        assert advisor._queues == {}
    finally:
        await store.close()
