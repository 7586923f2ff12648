"""The screen note: claimed by the commit of a turn that shows a new question, recorded once
the question is posted, put back if the post fails."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from bot.screen import ClaimGuard, plan
from dialogs.engine import EngineConfig
from dialogs.errors import StoreUnavailable
from dialogs.flow import Flow
from dialogs.notes import ScreenRef
from dialogs.runner import Advisor
from dialogs.stores.base import SessionStore
from dialogs.stores.memory import MemoryStore
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import Ask, SessionKey, Turn, TurnResult
from tests.conftest import T0, make_advisor, unique_key
from tests.support.fault_proxy import FaultProxy
from tests.support.redis_server import RedisServer


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[SessionStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    redis = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.5))
    yield redis
    await redis.close()


async def say(advisor: Advisor, key: SessionKey, text: str | None) -> TurnResult:
    return await advisor.handle(Turn(key=key, event_id=uuid.uuid4().hex, at=T0, text=text))


def asks(result: TurnResult) -> list[Ask]:
    """The questions the screen plan posts for this turn."""
    return [s.reply for s in plan(result) if s.kind == "ask" and isinstance(s.reply, Ask)]


async def test_a_question_is_claimed_once_and_recorded(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    first = await say(advisor, key, None)
    [ask] = asks(first)
    assert ScreenRef.load(first.claim) == ScreenRef(
        stamp=ask.stamp, message_id="", prompt=ask.prompt, claim=ScreenRef.load(first.claim).claim
    )

    async def post() -> str:
        return "m1"

    async with ClaimGuard(store, key, first, 60) as screen:
        await screen.show(ask, post)
    recorded = ScreenRef(stamp=ask.stamp, message_id="m1", prompt=ask.prompt)
    assert ScreenRef.load(await store.get_ref(key)) == recorded

    again = await say(advisor, key, "help")  # the question stays on screen
    assert again.claim is None and asks(again) == []
    assert ScreenRef.load(again.ref) == recorded

    moved = await say(advisor, key, "1")
    [next_ask] = asks(moved)
    assert next_ask.stamp != ask.stamp
    assert ScreenRef.load(moved.ref) == recorded  # what to update in place
    assert [s.target for s in plan(moved) if s.kind == "update"] == ["m1"]


async def test_a_failed_post_gives_the_note_back(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    first = await say(advisor, key, None)
    [ask] = asks(first)

    async def working() -> str:
        return "m1"

    async with ClaimGuard(store, key, first, 60) as screen:
        await screen.show(ask, working)
    shown = await store.get_ref(key)

    moved = await say(advisor, key, "1")
    [second] = asks(moved)

    async def broken() -> str:
        raise ConnectionError("platform down")

    with pytest.raises(ConnectionError):
        async with ClaimGuard(store, key, moved, 60) as screen:
            await screen.show(second, broken)
    assert ScreenRef.load(await store.get_ref(key)) == ScreenRef.load(shown)  # as before

    # The next turn on that question (here "status") claims it again and posts it.
    retry = await say(advisor, key, "status")
    assert [a.stamp for a in asks(retry)] == [second.stamp]


async def test_a_delivery_that_fails_before_the_post_gives_the_note_back(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    """The answered question's update fails (say the message was deleted): the next question
    was claimed but never posted, and the next turn posts it at once, not after the claim
    expires."""
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    await say(advisor, key, None)
    moved = await say(advisor, key, "1")
    [second] = asks(moved)
    with pytest.raises(LookupError):
        async with ClaimGuard(store, key, moved, 60):
            raise LookupError("message_not_found")  # e.g. chat.update, before the post
    retry = await say(advisor, key, "help")
    assert [a.stamp for a in asks(retry)] == [second.stamp]


async def test_a_late_record_does_not_overwrite_a_newer_claim(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    """Turn one's post is slow; turn two moves on and claims the next question. Turn one's
    record then must not put its question back in the note."""
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    first = await say(advisor, key, None)
    [ask] = asks(first)
    second = await say(advisor, key, "1")  # claims the next question meanwhile

    async def slow() -> str:
        return "m1"

    async with ClaimGuard(store, key, first, 60) as screen:
        await screen.show(ask, slow)
    assert await store.get_ref(key) == second.claim


async def test_a_question_posted_but_not_recorded_is_not_posted_again(
    private_redis: RedisServer, flow: Flow, engine_config: EngineConfig
) -> None:
    """The post goes through, the write recording it never reaches Redis (black-holed). The
    guard must not put the earlier message back in the note: the question is on screen, and
    the next turn would post it a second time."""
    async with FaultProxy("127.0.0.1", private_redis.port, scheme="redis") as proxy:
        store = RedisStore(
            client=create_redis_client(proxy.rebase(private_redis.url), timeout_seconds=0.3)
        )
        try:
            advisor = make_advisor(flow, store, engine_config)
            key = unique_key()
            first = await say(advisor, key, None)
            [ask] = asks(first)

            async def one() -> str:
                return "message-one"

            async with ClaimGuard(store, key, first, 60) as screen:
                await screen.show(ask, one)
            moved = await say(advisor, key, "1")
            [second] = asks(moved)

            async def two() -> str:
                return "message-two"

            proxy.black_hole(matching=b"message-two")
            with pytest.raises(StoreUnavailable):
                async with ClaimGuard(store, key, moved, 60) as screen:
                    await screen.show(second, two)
            proxy.pass_through()
            again = await say(advisor, key, "status")
            assert asks(again) == [], "the question on screen was posted a second time"
        finally:
            await store.close()
