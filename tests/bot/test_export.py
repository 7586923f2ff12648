"""`export`: a person's stored assessments, for an operator (`llm-advisor admin export`)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from dialogs.cost import load_assumptions
from dialogs.engine import EngineConfig
from dialogs.flow_loader import load_flow
from dialogs.stores.redis_store import RedisStore, create_redis_client
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
