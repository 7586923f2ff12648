"""Fixtures of the engine's tests: each store a person can run on, and a conversation through
the pure step function."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.stores.base import SessionStore
from dialogs.stores.memory import MemoryStore
from dialogs.stores.redis_store import RedisStore, create_redis_client
from tests.support.conversation import Conversation


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[SessionStore]:
    """The in-memory store and a Redis store on the test session's server, in turn."""
    if request.param == "memory":
        yield MemoryStore()
        return
    redis = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.5))
    yield redis
    await redis.close()


@pytest.fixture
def chat(flow: Flow, engine_config: EngineConfig) -> Conversation:
    """A conversation through the pure step function (tests that need another define their own)."""
    return Conversation(flow=flow, config=engine_config)
