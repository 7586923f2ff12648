"""The per-process session cache: it saves the read, never correctness. Two Advisors on one
Redis stand for two processes behind a load balancer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from dialogs.advisor import Advisor
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.replies import Answered, Notice, TurnResult
from dialogs.session import Session
from dialogs.session_cache import SessionCache
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import SessionKey, Turn
from tests.conftest import T0, make_advisor, unique_key


@pytest.fixture
async def stores(redis_url: str) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    one = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.5))
    two = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.5))
    yield one, two
    await one.close()
    await two.close()


async def say(advisor: Advisor, key: SessionKey, text: str | None) -> TurnResult:
    return await advisor.handle(Turn(key=key, event_id=uuid.uuid4().hex, at=T0, text=text))


def answered(result: TurnResult) -> list[str]:
    return [r.question for r in result.replies if isinstance(r, Answered)]


async def test_turns_alternating_between_processes_all_land_in_order(
    stores: tuple[RedisStore, RedisStore], flow: Flow, engine_config: EngineConfig
) -> None:
    """Each process's cached copy is stale on every other turn: the commit's version check
    catches it and the turn steps again from the stored session, so no answer is lost or
    applied twice."""
    one, two = (make_advisor(flow, s, engine_config) for s in stores)
    key = unique_key()
    await say(one, key, None)
    told: list[str] = []
    for turn in range(8):
        told += answered(await say((two, one)[turn % 2], key, "1"))
    assert len(told) == 8 and len(set(told)) == 8
    doc = await stores[0].load(key)
    assert doc is not None and list(Session.from_document(doc).history) == told
    assert doc["version"] == 9


async def test_a_session_forgotten_elsewhere_is_not_brought_back(
    stores: tuple[RedisStore, RedisStore], flow: Flow, engine_config: EngineConfig
) -> None:
    """Process two holds the session when process one deletes it (`forget`): two's next turn
    starts a new assessment instead of writing the old answers back."""
    two = make_advisor(flow, stores[1], engine_config)
    key = unique_key()
    await say(two, key, None)
    await say(two, key, "1")
    assert await stores[0].forget(platform=key.platform, workspace=key.workspace, user=key.user)
    result = await say(two, key, None)
    assert not answered(result)
    doc = await stores[1].load(key)
    assert doc is not None and doc["version"] == 1 and not Session.from_document(doc).history


async def test_a_new_session_of_the_same_version_is_not_taken_for_the_cached_one(
    stores: tuple[RedisStore, RedisStore], flow: Flow, engine_config: EngineConfig
) -> None:
    """Versions start again at 1 after `forget`. Process one holds the person's old session at
    version 3; process two forgets it and the person answers a new assessment up to version 3
    too. Process one's next turn must not write the old answers back over the new ones."""
    one, two = (make_advisor(flow, s, engine_config) for s in stores)
    key = unique_key()
    for text in (None, "1", "1"):
        await say(one, key, text)
    await stores[1].forget(platform=key.platform, workspace=key.workspace, user=key.user)
    for text in (None, "2", "2"):
        await say(two, key, text)
    before = await stores[1].load(key)
    assert before is not None and before["version"] == 3
    new_answers = Session.from_document(before).answers

    await say(one, key, "1")
    after = await stores[0].load(key)
    assert after is not None and after["id"] == before["id"] and after["version"] == 4
    kept = Session.from_document(after).answers
    assert all(kept[q] == a for q, a in new_answers.items())


async def test_forget_drops_the_persons_cached_sessions(
    stores: tuple[RedisStore, RedisStore], flow: Flow, engine_config: EngineConfig
) -> None:
    advisor = make_advisor(flow, stores[0], engine_config)
    key = unique_key()
    await say(advisor, key, None)
    assert advisor._sessions.get(key) is not None
    await say(advisor, key, "forget")
    result = await say(advisor, key, "yes")
    assert any(isinstance(r, Notice) and r.code == "forgotten" for r in result.replies)
    assert advisor._sessions.get(key) is None


def test_the_cache_keeps_the_most_recent_within_its_size_and_age() -> None:
    now = [0.0]
    cache = SessionCache(capacity=2, max_age_seconds=10, clock=lambda: now[0])
    keys = [unique_key() for _ in range(3)]
    sessions = [Session(id=str(i), flow="f", flow_version=1) for i in range(3)]
    for key, session in zip(keys, sessions, strict=True):
        cache.put(key, session, "nonce-" + session.id)
    assert len(cache) == 2 and cache.get(keys[0]) is None  # the least recent went first
    assert cache.get(keys[1]) == (sessions[1], "nonce-1")
    now[0] = 11
    assert cache.get(keys[2]) is None  # too old
    cache.put(keys[0], sessions[0], "nonce-0")
    cache.drop_person(platform=keys[0].platform, workspace=keys[0].workspace, user="u1")
    assert len(cache) == 1  # unique_key gives each key its own workspace


def test_a_cached_session_is_the_one_a_read_would_give(flow: Flow) -> None:
    """What the runner caches after a commit equals the stored document read back."""
    session = Session(id="s1", flow=flow.id, flow_version=flow.version, version=3, seen=("e",))
    document = {**session.to_document(), "commit": "nonce"}
    assert Session.from_document(document) == session
