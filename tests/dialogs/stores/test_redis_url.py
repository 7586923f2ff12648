"""REDIS_URL as people write it: each form (single server, Sentinel, Cluster, with and
without TLS, Unix socket) gives the right client with the same short timeouts and bounded
retry; a malformed one is refused at start-up with a message that names the problem."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from redis import asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import SentinelConnectionPool

from bot.app import create_store
from bot.settings import Settings
from dialogs.errors import StoreUnavailable
from dialogs.stores.base import Commit
from dialogs.stores.redis_store import RedisStore, create_redis_client, parse_redis_url
from tests.conftest import unique_key
from tests.support.redis_server import RedisServer, free_port

# ------------------------------------------------------------------------------ REDIS_URL


ROOT = Path(__file__).resolve().parents[3]

S1, S2, V6 = ("s1", 26379), ("s2", 26380), ("::1", 26379)
N1, N2, N3 = ("n1", 7000), ("n2", 7001), ("n3", 6379)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # url -> (topology, TLS, sentinel or cluster nodes, master name, db, wait_replicas)
        ("redis://localhost:6379/2", ("standalone", False, (), "", 0, 0)),
        ("rediss://:pw@redis.example.com:6380/0", ("standalone", True, (), "", 0, 0)),
        ("unix:///run/redis.sock?db=1", ("standalone", False, (), "", 0, 0)),
        ("redis://r:6379/0?wait_replicas=1", ("standalone", False, (), "", 0, 1)),
        (
            "redis+sentinel://s1:26379,s2:26380,[::1]/mymaster",
            ("sentinel", False, (S1, S2, V6), "mymaster", 0, 1),
        ),
        (
            "rediss+sentinel://:secret@s1/my%20master/3?wait_replicas=0",
            ("sentinel", True, (S1,), "my master", 3, 0),
        ),
        ("redis+cluster://n1:7000,n2:7001,n3", ("cluster", False, (N1, N2, N3), "", 0, 0)),
        ("rediss+cluster://user:pw@n1:7000/0", ("cluster", True, (N1,), "", 0, 0)),
    ],
)
def test_each_redis_url_form_is_read(url: str, expected: tuple[object, ...]) -> None:
    """Single server, Sentinel (master name, optional db) and Cluster, each with TLS; Sentinel
    acknowledges a write once a replica holds it unless the URL says wait_replicas=0."""
    t = parse_redis_url(url)
    assert (t.topology, t.tls, t.nodes, t.master, t.db, t.wait_replicas) == expected
    assert Settings.read({"REDIS_URL": url})[1] == []


def test_credentials_are_read_from_the_url() -> None:
    target = parse_redis_url("redis+sentinel://app:p%40ss@s1:26379/main?sentinel_password=s%26cret")
    assert (target.username, target.password) == ("app", "p@ss")
    assert (target.sentinel_username, target.sentinel_password) == (None, "s&cret")
    cluster = parse_redis_url("rediss+cluster://:only-pw@n1:7000?ssl_cert_reqs=none")
    assert (cluster.username, cluster.password) == (None, "only-pw")
    assert cluster.tls_options == {"ssl_cert_reqs": "none"}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://nope", "must start with redis://, rediss://, unix://, redis+sentinel://"),
        ("redis+sentinel://s1:26379", "needs the master name Sentinel monitors"),
        ("redis+sentinel://s1:26379/", "needs the master name"),
        ("redis+sentinel://s1:26379/m/x", "database 'x'"),
        ("redis+sentinel://s1:26379/m/0/extra", "more than /master-name/db"),
        ("redis+sentinel://s1:2637x/m", "port '2637x'"),
        ("redis+sentinel://s1:26379,,s2/m", "empty entry"),
        ("redis+sentinel://s1:99999/m", "port '99999'"),
        ("redis+sentinel://s1/m?wait_replicas=many", "wait_replicas 'many'"),
        ("redis+sentinel://s1/m?foo=1", "unknown option 'foo'"),
        ("redis+sentinel://s1/m?ssl_cert_reqs=none", "not a TLS"),
        ("redis+cluster://n1:7000/2", "only database 0"),
        ("redis+cluster://n1:7000?wait_replicas=1", "unknown option 'wait_replicas'"),
        ("redis+cluster://::1:7000", "IPv6"),
        ("redis+cluster://:7000", "without a host name"),
        ("redis://localhost:port/0", "Port could not be cast"),
        ("redis://localhost:6379/zero", "database 'zero'"),
        ("redis://localhost:6379/0?socket_timeout=soon", "socket_timeout"),
        ("redis://localhost:6379/0?colour=blue", "unknown option 'colour'"),
    ],
)
def test_a_malformed_redis_url_is_refused_naming_the_problem(url: str, problem: str) -> None:
    """Start-up stops with REDIS_URL and what is wrong with it."""
    _, problems = Settings.read({"REDIS_URL": url})
    assert [p.where for p in problems] == ["REDIS_URL"]
    assert problem in problems[0].message, problems[0].message


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://:hunter2@s1:bad/m",
        "redis+cluster://app:hunter2@n1:7000/5",
        "redis://:hunter2@localhost:port/0",
        "rediss+sentinel://:hunter2@s1/m?colour=blue",
    ],
)
def test_the_message_never_shows_the_password(url: str) -> None:
    _, problems = Settings.read({"REDIS_URL": url})
    assert len(problems) == 1
    assert "hunter2" not in problems[0].message, problems[0].message


async def test_each_form_gets_its_client_with_short_timeouts_and_one_retry() -> None:
    """redis.asyncio's Redis, a Sentinel-managed primary, or RedisCluster; each with the
    configured connect and socket timeouts and redis.asyncio's Retry, bounded to one retry."""

    def check(kwargs: dict[str, Any], retry: Retry) -> None:
        assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 0.3
        assert isinstance(retry, Retry) and retry.get_retries() == 1

    single = create_redis_client("redis://127.0.0.1:1/0", timeout_seconds=0.3)
    assert type(single) is aioredis.Redis
    check(
        single.connection_pool.connection_kwargs, single.connection_pool.connection_kwargs["retry"]
    )

    primary = create_redis_client("redis+sentinel://127.0.0.1:1/main/2", timeout_seconds=0.3)
    assert isinstance(primary, aioredis.Redis)
    pool = primary.connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == "main"
    assert pool.connection_kwargs["db"] == 2
    check(pool.connection_kwargs, pool.connection_kwargs["retry"])
    for sentinel in pool.sentinel_manager.sentinels:
        assert sentinel.connection_pool.connection_kwargs["socket_timeout"] == 0.3

    cluster = create_redis_client("redis+cluster://127.0.0.1:1,127.0.0.1:2", timeout_seconds=0.3)
    assert isinstance(cluster, RedisCluster)
    check(cluster.connection_kwargs, cluster.retry)
    assert [n.port for n in cluster.startup_nodes] == [1, 2]
    for client in (single, primary, cluster):
        await client.aclose()


async def test_unreachable_sentinel_and_cluster_are_store_unavailable() -> None:
    """Nothing listening: the store says StoreUnavailable (the "progress is kept" path), not a
    raw redis or cluster exception, and quickly."""
    for url in (
        f"redis+sentinel://127.0.0.1:{free_port()}/main",
        f"redis+cluster://127.0.0.1:{free_port()}",
    ):
        store = create_store(Settings(redis_url=url, redis_timeout_seconds=0.2))
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await store.load(unique_key())
        with pytest.raises(StoreUnavailable):
            await store.ping()
        assert time.monotonic() - started < 2.0, url
        await store.close()


# ------------------------------------------------------------------------------ helpers


async def test_a_unix_socket_url_works_in_the_store_and_in_check(tmp_path: Path) -> None:
    """The documented `unix:///path/redis.sock?db=N` (it was rebuilt as `unix:/path`, which
    redis-py refuses): a turn's commit and read through the store, and `llm-advisor check`
    run as a person runs it."""
    sock = tmp_path / "redis.sock"
    server = RedisServer(
        directory=tmp_path / "redis", extra=("--unixsocket", str(sock), "--unixsocketperm", "700")
    ).start()
    try:
        url = f"unix://{sock}?db=2"
        store = RedisStore.from_url(url, timeout_seconds=2.0)
        try:
            key = unique_key()
            doc = {"version": 1, "seen": ["e1"], "commit": "n1"}
            outcome = await store.commit(
                key, expected_version=0, document=doc, event_id="e1", ttl_seconds=60
            )
            assert outcome.status is Commit.APPLIED
            assert await store.load(key) == doc
            await store.ping()
        finally:
            await store.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
        checked = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot.cli", "check"],
            env={**env, "REDIS_URL": url, "PYTHONPATH": str(ROOT)},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "all sound" in checked.stdout
    finally:
        server.stop()
