"""`export`: a person's stored assessments, for an operator (`llm-advisor admin export`) and
for the person in chat (the `export` command)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from dialogs.cost import load_assumptions
from dialogs.engine import EngineConfig
from dialogs.export import FIELDS, MAX_SHOWN
from dialogs.flow import Flow
from dialogs.flow_loader import load_flow
from dialogs.replies import Ask, Notice, Reply
from dialogs.stores.memory import MemoryStore
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import SessionKey, Turn
from tests.conftest import make_advisor
from tests.dialogs.stores.test_forget import key, say

ROOT = Path(__file__).resolve().parents[2]


def cli(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_admin_export_prints_that_persons_sessions_as_json(redis_url: str) -> None:
    team, user = "T" + uuid.uuid4().hex[:6], "U" + uuid.uuid4().hex[:6]
    mine = [key(team, "D1", user), key(team, "C2", user, thread="171.1")]
    theirs = key(team, "D1", "U-other")

    async def seed() -> None:
        redis = RedisStore(client=create_redis_client(redis_url, timeout_seconds=0.5))
        config = EngineConfig(session_ttl_seconds=86400, costs=load_assumptions())
        for where in [*mine, theirs]:
            await say(redis, load_flow(), config, where, None)
        await say(redis, load_flow(), config, mine[0], "1")
        await redis.close()

    asyncio.run(seed())
    result = cli(redis_url, "admin", "export", "--user", user, "--workspace", team)

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["platform"], data["workspace"], data["user"]) == ("slack", team, user)
    assert len(data["sessions"]) == 2
    assert sorted(len(s["answers"]) for s in data["sessions"]) == [0, 1]
    assert all(s["flow"] == load_flow().id for s in data["sessions"])

    nobody = cli(redis_url, "admin", "export", "--user", "U-none", "--workspace", team)
    assert nobody.returncode == 0 and json.loads(nobody.stdout)["sessions"] == []


def test_admin_export_needs_a_shared_store() -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "admin", "export", "--user", "U", "--workspace", "T"],
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "REDIS_URL" in result.stderr


# ------------------------------------------------------------------------------ in chat


async def test_export_in_chat_replies_with_the_persons_assessments_as_json(
    flow: Flow, engine_config: EngineConfig
) -> None:
    """`export` answers with a count, then each of the person's assessments in this workspace
    as JSON (answers and dates, no internals), and the question again; nobody else's."""
    store = MemoryStore()
    advisor = make_advisor(flow, store, engine_config)
    here, elsewhere = key("T1", "D1", "U1"), key("T1", "C9", "U1", thread="17.1")
    other = key("T1", "D2", "U2")

    async def say(where: SessionKey, text: str | None) -> list[Reply]:
        turn = Turn(key=where, event_id=uuid.uuid4().hex, at=datetime.now(UTC), text=text)
        return list((await advisor.handle(turn)).replies)

    for where in (here, elsewhere, other):
        await say(where, None)
    await say(here, "1")

    replies = await say(here, "export")

    notices = [r for r in replies if isinstance(r, Notice)]
    assert notices[0].code == "exported" and "2 saved assessments" in notices[0].text
    items = [json.loads(n.text) for n in notices if n.code == "export_item"]
    assert len(items) == 2
    assert sorted(len(i["answers"]) for i in items) == [0, 1]
    assert all(set(i) <= {*FIELDS} and "seen" not in i for i in items)
    assert isinstance(replies[-1], Ask)  # and the question again
    after = await say(here, "status")
    assert not any(isinstance(r, Notice) and r.code == "export_item" for r in after)


async def test_export_of_many_shows_the_most_recent(
    flow: Flow, engine_config: EngineConfig
) -> None:
    store = MemoryStore()
    advisor = make_advisor(flow, store, engine_config)
    wheres = [key("T1", f"C{i}", "U1", thread=f"{i}.1") for i in range(MAX_SHOWN + 2)]
    for where in wheres:
        turn = Turn(key=where, event_id=uuid.uuid4().hex, at=datetime.now(UTC), text=None)
        await advisor.handle(turn)
    turn = Turn(key=wheres[0], event_id="x", at=datetime.now(UTC), text="export")
    replies = (await advisor.handle(turn)).replies
    notices = [r for r in replies if isinstance(r, Notice)]
    assert (
        f"{MAX_SHOWN + 2} saved" in notices[0].text and f"the {MAX_SHOWN} most" in notices[0].text
    )
    assert len([n for n in notices if n.code == "export_item"]) == MAX_SHOWN
