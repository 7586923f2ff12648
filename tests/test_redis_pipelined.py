"""The pipelined Redis connection behind a turn's commands: replies matched in order, one
connection for every turn, and redis-py's failure rules (a deadline per command, one retry on a
new connection, redis-py's exceptions), against a real redis-server and the fault proxy."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.app import create_store
from bot.settings import Settings
from dialogs.stores.redis_client import create_redis_client
from dialogs.stores.redis_pipelined import PipelinedRedis
from dialogs.stores.redis_store import RedisStore
from tests.support.fault_proxy import FaultProxy
from tests.support.redis_server import RedisServer, command

TIMEOUT = 0.3
ECHO = "return ARGV[1]"


def pipelined(url: str, timeout: float = TIMEOUT) -> PipelinedRedis:
    connection = PipelinedRedis.serving(create_redis_client(url, timeout_seconds=timeout))
    assert connection is not None
    return connection


@pytest.fixture
async def proxy(private_redis: RedisServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy("127.0.0.1", private_redis.port, scheme="redis") as started:
        yield started


def key() -> str:
    return f"test:pipelined:{uuid.uuid4().hex}"


# ------------------------------------------------------------------------------ which clients


def test_plain_tcp_clients_get_a_pipelined_connection_and_others_keep_redis_py() -> None:
    plain = create_redis_client("redis://:pw@127.0.0.1:6390/2?client_name=adv", timeout_seconds=1)
    found = PipelinedRedis.serving(plain)
    assert found is not None
    assert (found.host, found.port, found.timeout_seconds) == ("127.0.0.1", 6390, 1.0)

    for url in (
        "rediss://127.0.0.1:6390/0",  # TLS
        "unix:///tmp/redis.sock",
        "redis+sentinel://127.0.0.1:26379/mymaster",
        "redis+cluster://127.0.0.1:7000",
        "redis://127.0.0.1:6390/0?socket_keepalive=true",  # an option this path does not use
        "redis://127.0.0.1:6390/0?protocol=3",
    ):
        assert PipelinedRedis.serving(create_redis_client(url, timeout_seconds=1)) is None, url
    untimed = aioredis.Redis.from_url("redis://127.0.0.1:6390/0", decode_responses=True)
    assert PipelinedRedis.serving(untimed) is None  # this path always has a deadline
    undecoded = aioredis.Redis.from_url("redis://127.0.0.1:6390/0", socket_timeout=1)
    assert PipelinedRedis.serving(undecoded) is None


def test_the_production_store_pipelines_a_single_server_but_not_with_wait_replicas() -> None:
    store = create_store(Settings(redis_url="redis://127.0.0.1:6390/0"))
    assert isinstance(store, RedisStore) and store.pipelined is not None
    waiting = create_store(Settings(redis_url="redis://127.0.0.1:6390/0?wait_replicas=1"))
    assert isinstance(waiting, RedisStore) and waiting.pipelined is None  # WAIT blocks a socket


# ------------------------------------------------------------------------------ replies


async def test_concurrent_commands_share_one_connection_and_each_gets_its_own_reply(
    redis_url: str,
) -> None:
    connection = pipelined(redis_url)
    name = f"adv-pipelined-{uuid.uuid4().hex[:8]}"
    try:
        await connection.execute("CLIENT", "SETNAME", name)
        keys = [key() for _ in range(300)]
        writes = connection.writes
        await asyncio.gather(*(connection.execute("SET", k, k, "EX", 60) for k in keys))
        assert connection.writes - writes < 10  # sent in one pass of the loop: written together
        got = await asyncio.gather(*(connection.execute("GET", k) for k in keys))
        assert got == keys
        echoed = await asyncio.gather(
            *(connection.execute("EVAL", ECHO, 0, f"é{i}") for i in range(100))
        )
        assert echoed == [f"é{i}" for i in range(100)]
        clients = str(await connection.execute("CLIENT", "LIST"))
        assert clients.count(f"name={name}") == 1  # one socket served all of them
        assert connection.sent == 1 + 300 + 300 + 100 + 1
        await connection.execute("DEL", *keys)
    finally:
        await connection.aclose()


async def test_an_error_reply_raises_and_the_connection_keeps_serving(redis_url: str) -> None:
    connection = pipelined(redis_url)
    k = key()
    try:
        await connection.execute("SET", k, "text", "EX", 60)
        with pytest.raises(ResponseError, match="not an integer"):
            await connection.execute("INCR", k)
        with pytest.raises(ResponseError, match="unknown command"):
            await connection.execute("NO-SUCH-COMMAND")
        assert await connection.execute("GET", k) == "text"
        assert await connection.execute("GET", key()) is None
    finally:
        await connection.aclose()


async def test_evalsha_loads_a_script_the_server_does_not_have(private_redis: RedisServer) -> None:
    connection = pipelined(private_redis.url)
    try:
        sha = str(await connection.execute("SCRIPT", "LOAD", ECHO))
        await connection.execute("SCRIPT", "FLUSH")
        assert await connection.evalsha(sha, ECHO, [], ["back"]) == "back"
        assert await connection.execute("SCRIPT", "EXISTS", sha) == [1]
    finally:
        await connection.aclose()


async def test_password_and_database_from_the_url_are_used(private_redis: RedisServer) -> None:
    port = private_redis.port
    command(port, "CONFIG", "SET", "requirepass", "s3cret")
    good = pipelined(f"redis://:s3cret@127.0.0.1:{port}/3")
    try:
        await good.execute("SET", "where", "db3")
        assert "db=3" in str(await good.execute("CLIENT", "INFO"))
    finally:
        await good.aclose()
    bad = pipelined(f"redis://:wrong@127.0.0.1:{port}/0")
    try:
        with pytest.raises(RedisConnectionError, match="refused"):
            await bad.execute("PING")
    finally:
        await bad.aclose()


async def test_a_cancelled_command_does_not_shift_the_replies_of_the_others(
    private_redis: RedisServer, proxy: FaultProxy
) -> None:
    connection = pipelined(proxy.rebase(private_redis.url), timeout=2.0)
    try:
        await connection.execute("SET", "a", "A")
        await connection.execute("SET", "b", "B")
        proxy.delay(0.2)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await connection.execute("GET", "a")  # the turn gave up; its reply still comes
        assert await connection.execute("GET", "b") == "B"
        proxy.pass_through()
        assert await connection.execute("GET", "a") == "A"
    finally:
        await connection.aclose()


# ------------------------------------------------------------------------------ failures


async def test_a_reset_connection_is_replaced_and_the_command_sent_again(
    private_redis: RedisServer, proxy: FaultProxy
) -> None:
    connection = pipelined(proxy.rebase(private_redis.url))
    try:
        await connection.execute("PING")
        proxy.reset(times=1, matching=b"GET")
        assert await connection.execute("GET", "nothing") is None  # retried on a new socket
        assert proxy.counters.resets == 1
        assert proxy.counters.connections == 2
    finally:
        await connection.aclose()


async def test_a_lost_reply_fails_every_command_waiting_on_the_socket_once_then_they_retry(
    private_redis: RedisServer, proxy: FaultProxy
) -> None:
    connection = pipelined(proxy.rebase(private_redis.url))
    k = key()
    try:
        await connection.execute("SET", k, "0")
        proxy.drop_replies(times=1, matching=b"INCR")
        began = time.monotonic()
        # Both are sent on the deaf socket; both executed; both are sent once more.
        first, second = await asyncio.gather(
            connection.execute("INCR", k), connection.execute("INCR", k)
        )
        assert time.monotonic() - began >= TIMEOUT
        assert sorted([first, second]) == [3, 4]  # INCR is not idempotent: each ran twice
        assert await connection.execute("GET", k) == "4"
    finally:
        await connection.aclose()


async def test_a_hung_server_fails_a_command_within_two_deadlines_and_then_recovers(
    private_redis: RedisServer, proxy: FaultProxy
) -> None:
    connection = pipelined(proxy.rebase(private_redis.url))
    try:
        await connection.execute("PING")
        proxy.black_hole()
        began = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            await connection.execute("GET", "x")
        took = time.monotonic() - began
        assert 2 * TIMEOUT <= took < 2 * TIMEOUT + 1.0
        proxy.pass_through()
        assert await connection.execute("PING") == "PONG"
    finally:
        await connection.aclose()


async def test_a_stopped_server_is_a_connection_error_and_its_return_is_noticed(
    private_redis: RedisServer,
) -> None:
    connection = pipelined(private_redis.url)
    try:
        await connection.execute("SET", "kept", "yes")
        private_redis.stop()
        with pytest.raises(RedisConnectionError):
            await connection.execute("GET", "kept")
        private_redis.start()
        assert await connection.execute("GET", "kept") == "yes"  # append-only file
    finally:
        await connection.aclose()


async def test_a_server_closing_the_socket_between_turns_is_invisible(
    private_redis: RedisServer,
) -> None:
    connection = pipelined(private_redis.url)
    try:
        first = await connection.execute("CLIENT", "ID")
        assert command(private_redis.port, "CLIENT", "KILL", "ID", str(first)) == 1
        await asyncio.sleep(0.05)
        assert await connection.execute("PING") == "PONG"  # sent again on a new socket
        assert await connection.execute("CLIENT", "ID") != first
    finally:
        await connection.aclose()


async def test_after_close_commands_fail_plainly(redis_url: str) -> None:
    connection = pipelined(redis_url)
    await connection.execute("PING")
    await connection.aclose()
    with pytest.raises(RedisConnectionError, match="closed"):
        await connection.execute("PING")
