"""`forget`: a person deletes all their sessions in one workspace, after confirming."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from dialogs.cost import load_assumptions
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.flow_loader import load_flow
from dialogs.replies import Notice
from dialogs.stores.base import SessionStore
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import SessionKey, Turn
from tests.conftest import make_advisor

ROOT = Path(__file__).resolve().parents[3]


def key(workspace: str, conversation: str, user: str, thread: str = "") -> SessionKey:
    return SessionKey(
        platform="slack", workspace=workspace, conversation=conversation, thread=thread, user=user
    )


async def say(
    store: SessionStore, flow: Flow, config: EngineConfig, where: SessionKey, text: str | None
) -> list[str]:
    advisor = make_advisor(flow, store, config)
    turn = Turn(key=where, event_id=uuid.uuid4().hex, at=datetime.now(UTC), text=text)
    result = await advisor.handle(turn)
    return [getattr(r, "code", r.kind) for r in result.replies]


async def test_forget_deletes_only_that_persons_sessions_in_that_workspace(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    ws, other_ws = "T" + uuid.uuid4().hex[:6], "T" + uuid.uuid4().hex[:6]
    me, someone = "U*[odd]?" + uuid.uuid4().hex[:4], "U" + uuid.uuid4().hex[:6]
    mine = [key(ws, "D1", me), key(ws, "C1", me, thread="171.1"), key(ws, "C:2{x}", me, thread="9")]
    others = [
        key(ws, "D2", someone),
        key(other_ws, "D1", me),
        key(ws, "C1", someone, thread="171.1"),
    ]
    for where in mine + others:
        await say(store, flow, engine_config, where, None)
        await say(store, flow, engine_config, where, "live")
    assert await say(store, flow, engine_config, mine[0], "forget") == ["confirm_forget"]
    assert await say(store, flow, engine_config, mine[0], "no") == ["forget_kept", "ask"]
    assert await store.load(mine[1]) is not None
    await say(store, flow, engine_config, mine[0], "forget")
    codes = await say(store, flow, engine_config, mine[0], "yes")
    assert codes == ["forgotten"]
    for where in mine:
        assert await store.load(where) is None
    for where in others:
        assert await store.load(where) is not None


async def test_forgotten_reply_says_what_was_deleted(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    where = key("T" + uuid.uuid4().hex[:6], "D1", "U" + uuid.uuid4().hex[:6])
    await say(store, flow, engine_config, where, None)
    await say(store, flow, engine_config, where, "forget")
    advisor = make_advisor(flow, store, engine_config)
    result = await advisor.handle(
        Turn(key=where, event_id="yes-1", at=datetime.now(UTC), text="yes")
    )
    notice = result.replies[0]
    assert isinstance(notice, Notice) and "Deleted 1 saved assessment" in notice.text
    # Anything afterwards starts afresh.
    assert (await say(store, flow, engine_config, where, "hello"))[:2] == ["intro", "ask"]


def test_admin_forget_from_the_command_line(redis_url: str) -> None:
    flow_key = key("T" + uuid.uuid4().hex[:6], "D9", "U" + uuid.uuid4().hex[:6])

    async def seed() -> None:
        redis = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.5))
        config = EngineConfig(session_ttl_seconds=86400, costs=load_assumptions())
        await say(redis, load_flow(), config, flow_key, None)
        await redis.close()

    asyncio.run(seed())
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    args = ["admin", "forget", "--user", flow_key.user, "--workspace", flow_key.workspace]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "deleted 1 session(s)" in result.stdout
    again = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "deleted 0 session(s)" in again.stdout
