"""Scale figures for the engine on Redis: concurrency, stored sessions, memory, commands.

    python -m bench.bench_scale [--quick]

Prints, for one process: turns per second and median / p99 turn latency at 1, 10, 100 and
1,000 concurrent simulated users; the same with three processes against one Redis; per-turn
latency with 1,000 and with 100,000 stored sessions; Redis memory per stored session; and
Redis commands (and client round trips) per turn. Starts its own redis-server on a free port
unless REDIS_URL is set. Each simulated user runs the real Advisor (load, step, commit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis import asyncio as aioredis

from bench.common import bench_store, redis_url, round_trips
from dialogs.advisor import Advisor, AdvisorConfig
from dialogs.cost import load_assumptions
from dialogs.engine import EngineConfig
from dialogs.flow_loader import load_flow
from dialogs.stores.base import session_key
from dialogs.stores.redis_store import RedisStore
from dialogs.turn import SessionKey, Turn

ANSWERS = [
    "live", "core_feature", "inconsistent_behavior", "rarely", "regulated", "interactive",
    "500m_10b", "2B", "single_task", "citations", "portability", "labelled_set", "100_10k",
    "10m_1b", "ml_eng", "serverless", "10k_100k",
]  # fmt: skip


@dataclass
class Run:
    turns: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
        return {
            "turns": self.turns,
            "seconds": round(self.seconds, 3),
            "turns_per_s": round(self.rate, 1),
            "median_ms": round(statistics.median(ordered) * 1000, 2) if ordered else 0.0,
            "p99_ms": round(p99 * 1000, 2),
        }


def make_advisor(url: str) -> tuple[Advisor, RedisStore]:
    store = bench_store(url, timeout_seconds=5.0)
    advisor = Advisor(
        flow=load_flow(),
        store=store,
        engine=EngineConfig(session_ttl_seconds=30 * 86400, costs=load_assumptions()),
        runner=AdvisorConfig(turn_timeout_seconds=30.0, max_attempts=16),
    )
    return advisor, store


def key_for(prefix: str, user: int) -> SessionKey:
    return SessionKey(
        platform="bench", workspace=prefix, conversation=f"c{user}", thread="", user=f"u{user}"
    )


async def simulate(advisor: Advisor, prefix: str, users: int, turns_per_user: int) -> Run:
    """`users` people at once, each taking `turns_per_user` turns of a real assessment."""
    latencies: list[float] = []

    async def person(index: int) -> None:
        key = key_for(prefix, index)
        texts: list[str | None] = [None, *ANSWERS][:turns_per_user]
        for text in texts:
            turn = Turn(key=key, event_id=uuid.uuid4().hex, at=datetime.now(UTC), text=text)
            started = time.perf_counter()
            await advisor.handle(turn)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(person(i) for i in range(users)))
    return Run(turns=len(latencies), seconds=time.perf_counter() - started, latencies=latencies)


async def command_stats(client: aioredis.Redis) -> dict[str, int]:
    info = await client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in info.items()}


async def populate(client: aioredis.Redis, advisor: Advisor, prefix: str, count: int) -> None:
    """Store `count` realistic sessions (copies of a real mid-assessment document)."""
    probe = key_for(prefix + "-probe", 0)
    for text in [None, *ANSWERS[:8]]:
        await advisor.handle(
            Turn(key=probe, event_id=uuid.uuid4().hex, at=datetime.now(UTC), text=text)
        )
    template = await client.get(session_key(probe))
    assert template is not None
    batch = 2000
    for start in range(0, count, batch):
        async with client.pipeline(transaction=False) as pipe:
            for i in range(start, min(count, start + batch)):
                pipe.set(session_key(key_for(prefix, i)), template, ex=30 * 86400)
            await pipe.execute()


async def clear(client: aioredis.Redis, prefix: str) -> None:
    async for name in client.scan_iter(match=f"adv:*:{{bench:{prefix}:*", count=5000):
        await client.delete(name)


async def main_async(url: str, quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    advisor, store = make_advisor(url)
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        # Warm up the script cache and code paths.
        await simulate(advisor, "warm", 10, 5)
        await clear(client, "warm")

        levels = [1, 10, 100, 1000]
        results["one_process"] = {}
        for users in levels:
            turns = 18 if users <= 100 else 6
            prefix = f"conc{users}"
            run = await simulate(advisor, prefix, users, turns if not quick else 4)
            results["one_process"][users] = run.summary()
            await clear(client, prefix)

        # Commands and round trips per turn.
        before = await command_stats(client)
        sends = round_trips()
        run = await simulate(advisor, "cmds", 50, 18)
        sends = round_trips() - sends
        after = await command_stats(client)
        calls = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        calls = {k: v for k, v in calls.items() if v > 0 and k not in ("info",)}
        results["commands_per_turn"] = {
            k: round(v / run.turns, 2) for k, v in sorted(calls.items())
        }
        results["round_trips_per_turn"] = round(sends / run.turns, 2)

        # Memory per stored session: finished assessments, all their keys.
        await client.memory_purge() if hasattr(client, "memory_purge") else None
        used_before = int((await client.info("memory"))["used_memory"])
        finishers = 200 if not quick else 50
        await simulate(advisor, "mem", finishers, 18)
        used_after = int((await client.info("memory"))["used_memory"])
        sample = [n async for n in client.scan_iter(match="adv:*:{bench:mem:*", count=1000)]
        by_kind: dict[str, list[int]] = {}
        for name in sample[:300]:
            size = await client.memory_usage(name) or 0
            by_kind.setdefault(name.split(":")[1], []).append(int(size))
        results["memory"] = {
            "bytes_per_finished_session_used_memory": round((used_after - used_before) / finishers),
            "memory_usage_by_key_kind": {k: round(statistics.mean(v)) for k, v in by_kind.items()},
        }
        await clear(client, "mem")

        # Latency as stored sessions grow.
        results["stored_sessions"] = {}
        for stored in [1000, 100_000] if not quick else [1000, 10_000]:
            await populate(client, advisor, "fill", stored)
            run = await simulate(advisor, f"grow{stored}", 100, 10)
            results["stored_sessions"][stored] = {**run.summary(), "dbsize": await client.dbsize()}
            await clear(client, f"grow{stored}")
            await clear(client, "fill")
            await clear(client, "fill-probe")
    finally:
        await client.aclose()
        await store.close()
    return results


async def worker_async(
    url: str, prefix: str, users: int, turns: int, start_at: float
) -> dict[str, Any]:
    advisor, store = make_advisor(url)
    try:
        await simulate(advisor, prefix + "-warm", 5, 3)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        run = await simulate(advisor, prefix, users, turns)
        return {"turns": run.turns, "seconds": run.seconds, "latencies": run.latencies}
    finally:
        await store.close()


def three_processes(url: str, total_users: int, turns: int) -> dict[str, float]:
    start_at = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.bench_scale", "--worker", url, f"p{i}-{total_users}",
             str(total_users // 3), str(turns), str(start_at)],
            stdout=subprocess.PIPE, text=True,
        )
        for i in range(3)
    ]  # fmt: skip
    outputs = [json.loads(p.communicate()[0]) for p in procs]
    latencies = [x for o in outputs for x in o["latencies"]]
    run = Run(
        turns=sum(o["turns"] for o in outputs),
        seconds=max(o["seconds"] for o in outputs),
        latencies=latencies,
    )
    return run.summary()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller figures, for a smoke run")
    parser.add_argument("--worker", nargs=5, metavar=("URL", "PREFIX", "USERS", "TURNS", "START"))
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    if args.worker:
        url, prefix, users, turns, start = args.worker
        print(
            json.dumps(asyncio.run(worker_async(url, prefix, int(users), int(turns), float(start))))
        )
        return 0
    given = os.environ.get("REDIS_URL", "").strip()
    with redis_url(appendonly=False) as (url, _):
        results = asyncio.run(main_async(url, args.quick))
        results["three_processes"] = {
            users: three_processes(url, users, 18 if users <= 100 else 6)
            for users in ([30, 300] if not args.quick else [30])
        }
    where = "REDIS_URL" if given else "private redis-server, no persistence"
    print(f"redis: {where}; python {sys.version.split()[0]}")
    row = "  {0:>6} {1:>7} {2:>9} {3:>10} {4:>9}"
    for title, table in (
        ("one process (real Advisor turns on Redis)", results["one_process"]),
        ("three processes against one Redis", results["three_processes"]),
    ):
        print(f"\n{title}:")
        print(row.format("users", "turns", "turns/s", "median ms", "p99 ms"))
        for users, r in table.items():
            print(row.format(users, r["turns"], r["turns_per_s"], r["median_ms"], r["p99_ms"]))
    print("\nper-turn latency as stored sessions grow (100 users x 10 turns):")
    for stored, r in results["stored_sessions"].items():
        print(
            f"  {stored:>7} stored (dbsize {r['dbsize']}): median {r['median_ms']} ms, "
            f"p99 {r['p99_ms']} ms, {r['turns_per_s']} turns/s"
        )
    print("\nRedis memory per finished session:", results["memory"])
    print(
        "Redis commands per turn (server-side, script internals included):",
        results["commands_per_turn"],
    )
    print("client round trips per turn (counted):", results["round_trips_per_turn"])
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
