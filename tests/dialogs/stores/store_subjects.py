"""The stores the SessionStore contract runs on (the MemoryStore and every Redis topology), as
parametrized fixtures, and helpers to build and commit session documents; used by
test_store_contract*.py and test_team_store.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dialogs.session import Session
from dialogs.stores.base import (
    Commit,
    CommitOutcome,
    SessionStore,
)
from dialogs.stores.memory import MemoryStore
from dialogs.stores.redis_store import RedisClient, RedisStore, create_redis_client
from dialogs.turn import SessionKey
from tests.conftest import T0

TTL = 600


@dataclass
class StoreUnderTest:
    """A store plus a way to see a key's remaining TTL (None when the key does not exist)."""

    name: str
    store: SessionStore
    ttl: Callable[[str], Awaitable[float | None]]


# Test ids: "redis" is the single server (REDIS_URL when given), as before.
REDIS_TOPOLOGIES = ("redis", "redis-cluster", "redis-sentinel")


def topology_url(request: pytest.FixtureRequest, name: str) -> str:
    """The REDIS_URL of one topology, started on first use and kept for the session."""
    if name == "redis":
        return str(request.getfixturevalue("redis_url"))
    return str(request.getfixturevalue(name.replace("-", "_")).url)


@dataclass
class RedisUnderTest:
    store: RedisStore
    raw: RedisClient  # a plain client of the same topology, to look at what the store wrote


@pytest.fixture(params=REDIS_TOPOLOGIES)
async def redis_subject(request: pytest.FixtureRequest) -> AsyncIterator[RedisUnderTest]:
    url = topology_url(request, request.param)
    # Generous: on a busy machine a replica's WAIT answer can miss 250 ms, and that is a test
    # of the contract, not of failover timing (test_redis_sentinel.py has those).
    store = RedisStore.from_url(url, timeout_seconds=2.0)
    raw = create_redis_client(url, timeout_seconds=2.0)
    try:
        yield RedisUnderTest(store=store, raw=raw)
    finally:
        await raw.aclose()
        await store.close()


@pytest.fixture(params=["memory", *REDIS_TOPOLOGIES])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[StoreUnderTest]:
    if request.param == "memory":
        memory = MemoryStore()

        async def memory_ttl(name: str) -> float | None:
            return memory.ttl(name)

        yield StoreUnderTest(name="memory", store=memory, ttl=memory_ttl)
        return
    url = topology_url(request, request.param)
    # Generous: on a busy machine a replica's WAIT answer can miss 250 ms, and that is a test
    # of the contract, not of failover timing (test_redis_sentinel.py has those).
    store = RedisStore.from_url(url, timeout_seconds=2.0)
    raw = create_redis_client(url, timeout_seconds=2.0)

    async def redis_ttl(name: str) -> float | None:
        seconds = await raw.ttl(name)
        return None if seconds == -2 else float(seconds)  # -2: no such key; -1: no TTL

    try:
        yield StoreUnderTest(name=request.param, store=store, ttl=redis_ttl)
    finally:
        await raw.aclose()
        await store.close()


def document(
    version: int, *, seen: tuple[str, ...], answers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A realistic session document (what the runner writes) at `version`."""
    answers = answers or {}
    return Session(
        id="s-contract",
        flow="contract-flow",
        flow_version=1,
        state="asking",
        current="q" + str(len(answers) + 1),
        asked=len(answers) + 1,
        answers=answers,
        history=tuple(answers),
        started_at=T0.isoformat(),
        updated_at=T0.isoformat(),
        version=version,
        seen=seen,
    ).to_document()


async def commit(
    store: SessionStore,
    key: SessionKey,
    *,
    expected: int,
    doc: dict[str, Any],
    event_id: str,
    ttl: int = TTL,
) -> Commit:
    outcome = await commit_with(store, key, expected=expected, doc=doc, event_id=event_id, ttl=ttl)
    return outcome.status


async def commit_with(
    store: SessionStore,
    key: SessionKey,
    *,
    expected: int,
    doc: dict[str, Any],
    event_id: str,
    ttl: int = TTL,
    expected_commit: str = "",
) -> CommitOutcome:
    return await store.commit(
        key,
        expected_version=expected,
        document=doc,
        event_id=event_id,
        ttl_seconds=ttl,
        expected_commit=expected_commit,
    )


def cluster_hash_part(name: str) -> str:
    """The part of a key Redis Cluster hashes: between the first '{' and the next '}'."""
    start = name.find("{")
    end = name.find("}", start + 1) if start != -1 else -1
    if start == -1 or end == -1 or end == start + 1:
        return name
    return name[start + 1 : end]
