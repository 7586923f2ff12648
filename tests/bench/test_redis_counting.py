"""The benchmarks' client-side round-trip count: one per write of commands, handshakes apart."""

from __future__ import annotations

from dataclasses import replace

from bench.redis_counting import SENDS, commands_between, counting_client, per_turn, snapshot


async def test_each_command_or_pipeline_is_one_round_trip(redis_url: str) -> None:
    client = counting_client(redis_url, timeout_seconds=2.0)
    if client is None:  # REDIS_URL names a Sentinel or a Cluster: not counted
        return
    try:
        opened = replace(SENDS)
        await client.ping()  # opens the connection: its handshake is counted apart
        first = SENDS.since(opened)
        assert (first.connections, first.round_trips) == (1, 1)
        assert first.handshakes >= 1

        before = replace(SENDS)
        await client.set("bench:counting", "1", ex=60)
        await client.get("bench:counting")
        async with client.pipeline(transaction=False) as pipe:
            pipe.get("bench:counting").get("bench:counting").delete("bench:counting")
            await pipe.execute()
        counted = SENDS.since(before)
        assert (counted.round_trips, counted.connections, counted.handshakes) == (3, 0, 0)
    finally:
        await client.aclose()


async def test_the_server_counts_commands_without_its_info_calls(redis_url: str) -> None:
    client = counting_client(redis_url, timeout_seconds=2.0)
    if client is None:
        return
    try:
        before = await snapshot(client)
        await client.eval("redis.call('SET', KEYS[1], '1', 'EX', 60); return 1", 1, "bench:x")
        after = await snapshot(client)
    finally:
        await client.aclose()
    ran = commands_between(before, after)
    # a shared REDIS_URL may run other clients' commands meanwhile
    assert ran.get("eval", 0) >= 1 and ran.get("set", 0) >= 1 and "info" not in ran
    assert per_turn({"evalsha": 2, "get": 1}, 2) == "1.50 (evalsha 1.00, get 0.50)"
