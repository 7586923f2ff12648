"""The screen note: claimed before a question is posted, put back if the post fails."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.screen import ScreenRef, show_question
from dialogs.stores.base import SessionStore
from dialogs.stores.memory import MemoryStore
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import Ask
from tests.conftest import unique_key


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[SessionStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    redis = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.5))
    yield redis
    await redis.close()


def ask(stamp: str) -> Ask:
    return Ask(
        question="stage", prompt="Where?", why="", position=1, total=16, options=(), stamp=stamp
    )


async def test_only_one_turn_posts_a_question(store: SessionStore) -> None:
    key = unique_key()
    posted: list[str] = []

    async def post() -> str:
        posted.append("x")
        return f"m{len(posted)}"

    assert await show_question(store, key, ask("s.1"), ttl_seconds=60, post=post)
    assert not await show_question(store, key, ask("s.1"), ttl_seconds=60, post=post)
    assert posted == ["x"]
    note = ScreenRef.load(await store.get_ref(key))
    assert note == ScreenRef(stamp="s.1", message_id="m1", prompt="Where?")
    assert await show_question(store, key, ask("s.2"), ttl_seconds=60, post=post)  # the next one


async def test_a_failed_post_gives_the_note_back(store: SessionStore) -> None:
    key = unique_key()
    shown = ScreenRef(stamp="s.1", message_id="m1", prompt="Before").dump()
    await store.put_ref(key, shown, 60)

    async def broken() -> str:
        raise ConnectionError("platform down")

    with pytest.raises(ConnectionError):
        await show_question(store, key, ask("s.2"), ttl_seconds=60, post=broken)
    assert await store.get_ref(key) == shown  # so the next turn posts s.2 again

    async def working() -> str:
        return "m2"

    assert await show_question(store, key, ask("s.2"), ttl_seconds=60, post=working)
