"""Shared fixtures: the flow, a real Redis (REDIS_URL, or a private server), and factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis import asyncio as aioredis

from dialogs.advisor import Advisor, AdvisorConfig
from dialogs.cost import CostAssumptions, load_assumptions
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.flow_loader import load_flow
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import SessionKey
from tests.support.redis_server import RedisServer

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def flow() -> Flow:
    return load_flow()


@pytest.fixture(scope="session")
def costs() -> CostAssumptions:
    return load_assumptions()


@pytest.fixture(scope="session")
def engine_config(costs: CostAssumptions) -> EngineConfig:
    return EngineConfig(session_ttl_seconds=30 * 86400, costs=costs)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when given (tests only touch their own random keys), else a private server."""
    given = os.environ.get("REDIS_URL", "").strip()
    if given:
        yield given
        return
    server = RedisServer(directory=tmp_path_factory.mktemp("redis")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of this test's own, for stopping, pausing and killing."""
    server = RedisServer(directory=tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisStore]:
    store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.5))
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def raw_redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


def unique_key(platform: str = "test", user: str = "u1") -> SessionKey:
    """A key no other test (or other user of a shared REDIS_URL) will touch."""
    return SessionKey(
        platform=platform,
        workspace="T-" + uuid.uuid4().hex[:8],
        conversation="C-" + uuid.uuid4().hex[:8],
        thread="",
        user=user,
    )


def make_advisor(flow: Flow, store: object, config: EngineConfig, **runner: float) -> Advisor:
    return Advisor(
        flow=flow,
        store=store,  # type: ignore[arg-type]
        engine=config,
        runner=AdvisorConfig(**runner),  # type: ignore[arg-type]
    )
