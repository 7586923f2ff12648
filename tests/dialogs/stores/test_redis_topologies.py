"""Redis as users run it: a Cluster (a Sentinel failover is in test_redis_sentinel.py, the
REDIS_URL forms in test_redis_url.py).

Cluster (three masters): a whole assessment runs with every key of the session in one slot;
sessions spread over all masters; `forget` finds a person's keys on every master.

The topologies run the real redis-server on free loopback ports (tests/support/redis_topologies).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from redis.crc import key_slot

from dialogs.engine import EngineConfig
from dialogs.errors import StoreUnavailable
from dialogs.flow import Flow
from dialogs.stores.base import session_key
from dialogs.stores.redis_store import RedisStore
from dialogs.turn import SessionKey
from tests.conftest import make_advisor
from tests.dialogs.stores.topology_turns import assess, new_key, say

if TYPE_CHECKING:  # the fixtures come from the plugin; importing it here first would stop
    # pytest from rewriting its asserts
    from tests.support.redis_topologies import LocalCluster

pytest_plugins = ["tests.support.redis_topologies"]


# ------------------------------------------------------------------------------ Cluster


@pytest.fixture
async def cluster_store(redis_cluster: LocalCluster) -> AsyncIterator[RedisStore]:
    store = RedisStore.from_url(redis_cluster.url, timeout_seconds=0.5)
    try:
        yield store
    finally:
        await store.close()


async def test_cluster_runs_a_whole_assessment_in_one_slot(
    redis_cluster: LocalCluster, cluster_store: RedisStore, flow: Flow, engine_config: EngineConfig
) -> None:
    """Every command of a whole assessment (the Lua commit, the GET of the session) is accepted
    by the Cluster, and the session's key sits in one slot on one master, as does that of
    someone else in the same conversation."""
    advisor = make_advisor(flow, cluster_store, engine_config)
    key = new_key("W-" + uuid.uuid4().hex[:8])
    answered = await assess(advisor, key)
    stored = await cluster_store.load(key)
    assert stored is not None and stored["state"] == "done"
    assert list(stored["history"]) == answered
    neighbour = SessionKey(
        platform=key.platform,
        workspace=key.workspace,
        conversation=key.conversation,
        thread="171.2",
        user="u2",
    )
    await say(advisor, neighbour, None)
    names = [session_key(k) for k in (key, neighbour)]
    assert len({key_slot(n.encode()) for n in names}) == 1
    home = redis_cluster.node_of(names[0])
    on_home = redis_cluster.keys_on(home, f"*{key.conversation}*")
    assert on_home == set(names)


async def test_cluster_spreads_sessions_over_every_master_and_forget_finds_them_all(
    redis_cluster: LocalCluster, cluster_store: RedisStore, flow: Flow, engine_config: EngineConfig
) -> None:
    """A person's sessions in many conversations land on all three masters (each conversation
    its own slot); `forget` scans every master and deletes them all, slot by slot, and nobody
    else's."""
    advisor = make_advisor(flow, cluster_store, engine_config)
    workspace = "W-" + uuid.uuid4().hex[:8]
    mine = [new_key(workspace, "me") for _ in range(24)]
    theirs = [new_key(workspace, "them") for _ in range(6)]
    await asyncio.gather(*(say(advisor, k, None) for k in mine + theirs))

    def spread(user: str) -> list[int]:
        return [
            len(redis_cluster.keys_on(node, f"adv:?:{{test:{workspace}:*}}:*:{user}"))
            for node in redis_cluster.nodes
        ]

    before = spread("me")
    assert sum(before) == len(mine)  # one session key each
    assert all(count > 0 for count in before), f"keys per master: {before}"
    assert await cluster_store.forget(platform="test", workspace=workspace, user="me") == len(mine)
    assert spread("me") == [0, 0, 0]
    assert sum(spread("them")) == len(theirs)
    for key in theirs:
        assert await cluster_store.load(key) is not None


async def test_cluster_ping_fails_when_any_master_is_silent(redis_cluster: LocalCluster) -> None:
    """Readiness on a Cluster means every master answers (each holds a third of the sessions):
    one hung master (SIGSTOP, shorter than the Cluster's node timeout) fails the ping, fast."""
    store = RedisStore.from_url(redis_cluster.url, timeout_seconds=0.2)
    silent = redis_cluster.nodes[2]
    try:
        await store.ping()
        silent.pause()
        started = time.monotonic()
        try:
            with pytest.raises(StoreUnavailable):
                await store.ping()
        finally:
            silent.resume()
        assert time.monotonic() - started < 1.5
    finally:
        await store.close()
