"""Engine benchmark: the same scripted conversations through the Advisor, in memory and on Redis.

    python -m bench.bench_engine [--turns N] [--users N]

Starts a private redis-server on a free port (or uses REDIS_URL when set) and runs `--users`
conversations of `--turns` turns each through the real Advisor, on the MemoryStore (the
baseline) and on the RedisStore, in two passes per store:

- sequential: one turn at a time, so a turn's latency is its own work and round trips;
- concurrent: all conversations at once on one event loop, as in one app process; latency then
  includes waiting for the loop, and turns per second is the throughput.

It prints turns per second, median and p99 per-turn latency, the Redis/memory ratios, the
Redis round trips per turn counted on the client (the store's redis-py client is built with a
counting connection class, bench/redis_counting.py), and the commands per turn Redis ran,
counted on the server from INFO commandstats before and after the measured passes (those
include the commands inside the commit script).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from redis import asyncio as aioredis

from bench.common import Timing, bench_store, positive, ratio, redis_url
from bench.redis_counting import SENDS, CommandSnapshot, Sends, commands_between, snapshot
from dialogs.advisor import Advisor, AdvisorConfig
from dialogs.cost import load_assumptions
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.flow_loader import load_flow
from dialogs.stores.base import SessionStore
from dialogs.stores.memory import MemoryStore
from dialogs.turn import SessionKey, Turn

# One person's conversation, repeated when --turns is longer: opening, answers typed as numbers,
# and the global commands people use on the way; it ends by restarting, so a long run keeps
# answering questions instead of sitting on the summary.
SCRIPT: tuple[str | None, ...] = (
    None, "1", "2", "why", "1", "status", "3", "back", "2", "1", "help", "2", "1", "skip",
    "1", "2", "1", "3", "1", "2", "1", "1", "2", "1", "results", "restart", "yes",
)  # fmt: skip

# A generous turn timeout: the bench measures latency; a slow turn must not become an error.
BENCH_RUNNER = AdvisorConfig(turn_timeout_seconds=30.0)


@dataclass(frozen=True, kw_only=True)
class StoreResult:
    store: str
    sequential: Timing
    concurrent: Timing


def user_key(run: str, user: int) -> SessionKey:
    return SessionKey(
        platform="bench",
        workspace=f"W-{run}",
        conversation=f"C-{user}",
        thread="",
        user=f"U-{user}",
    )


async def run_pass(
    *, advisor: Advisor, run: str, users: int, turns: int, concurrent: bool
) -> Timing:
    """Every conversation, `turns` turns each in order; all at once or one after another."""
    latencies: list[float] = []
    start_at = datetime.now(UTC)

    async def converse(user: int) -> None:
        key = user_key(run, user)
        for n in range(turns):
            turn = Turn(
                key=key,
                event_id=f"{run}-{user}-{n}",
                at=start_at + timedelta(seconds=n),
                text=SCRIPT[n % len(SCRIPT)],
            )
            began = time.perf_counter()
            await advisor.handle(turn)
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    if concurrent:
        await asyncio.gather(*(converse(u) for u in range(users)))
    else:
        for u in range(users):
            await converse(u)
    seconds = time.perf_counter() - began
    return Timing(turns=users * turns, seconds=seconds, latencies=tuple(latencies))


async def measure(
    *,
    name: str,
    store: SessionStore,
    flow: Flow,
    engine: EngineConfig,
    users: int,
    turns: int,
    counter: aioredis.Redis | None = None,
) -> tuple[StoreResult, tuple[CommandSnapshot, CommandSnapshot, Sends] | None]:
    """A short concurrent warm-up with as many users (it opens the pool's connections and loads
    the Lua script, so set-up commands are not counted), then the two measured passes, between
    two INFO snapshots when `counter` is given. Deletes every session it wrote."""
    advisor = Advisor(flow=flow, store=store, engine=engine, runner=BENCH_RUNNER)
    runs = [uuid.uuid4().hex[:8] for _ in range(3)]
    try:
        await run_pass(
            advisor=advisor, run=runs[0], users=users, turns=min(turns, 3), concurrent=True
        )
        before = await snapshot(counter) if counter is not None else None
        sent = replace(SENDS)
        sequential = await run_pass(
            advisor=advisor, run=runs[1], users=users, turns=turns, concurrent=False
        )
        concurrent = await run_pass(
            advisor=advisor, run=runs[2], users=users, turns=turns, concurrent=True
        )
        sends = SENDS.since(sent)
        after = await snapshot(counter) if counter is not None else None
    finally:
        for r in runs:  # one at a time: a gather of every key would exceed the pool's size
            for u in range(users):
                key = user_key(r, u)
                await store.forget(platform=key.platform, workspace=key.workspace, user=key.user)
    result = StoreResult(store=name, sequential=sequential, concurrent=concurrent)
    counts = (before, after, sends) if before is not None and after is not None else None
    return result, counts


def table(memory: StoreResult, redis: StoreResult) -> list[str]:
    def cells(p: Timing) -> str:
        return f"{p.turns_per_second:>9.0f}{p.median_ms:>11.3f}{p.p99_ms:>9.3f}"

    def times(a: float, b: float) -> str:
        return ratio(a, b, suffix="x")

    def ratios(r: Timing, m: Timing) -> str:
        return (
            f"{times(r.turns_per_second, m.turns_per_second):>9}"
            f"{times(r.median_ms, m.median_ms):>11}{times(r.p99_ms, m.p99_ms):>9}"
        )

    head = f"{'turns/s':>9}{'median ms':>11}{'p99 ms':>9}"
    return [
        f"{'':<14}{'sequential':^29}   {'concurrent':^29}",
        f"{'store':<14}{head}   {head}",
        *(f"{r.store:<14}{cells(r.sequential)}   {cells(r.concurrent)}" for r in (memory, redis)),
        f"{'redis/memory':<14}{ratios(redis.sequential, memory.sequential)}   "
        f"{ratios(redis.concurrent, memory.concurrent)}",
    ]


def commands(
    redis: StoreResult, before: CommandSnapshot, after: CommandSnapshot, sends: Sends
) -> list[str]:
    """Commands Redis ran per turn (those inside the commit script included, from INFO), and
    the round trips the store's client made (counted on its connections)."""
    turns = redis.sequential.turns + redis.concurrent.turns
    calls = commands_between(before, after)
    total = sum(calls.values())
    breakdown = ", ".join(
        f"{name} {count / turns:.2f}" for name, count in sorted(calls.items(), key=lambda i: -i[1])
    )
    return [
        f"redis round trips per turn, counted on the client's connections: "
        f"{sends.round_trips / turns:.2f} ({sends.round_trips} over {turns} turns; "
        f"{sends.connections} connections opened, {sends.handshakes} handshake writes apart)",
        f"redis commands per turn, counted on the server: {total / turns:.2f} ({breakdown}; "
        "most run inside the commit script)",
    ]


async def main_async(*, users: int, turns: int, out: Callable[[str], None]) -> None:
    flow = load_flow()
    engine = EngineConfig(session_ttl_seconds=30 * 86400, costs=load_assumptions())
    out(f"{users} conversations x {turns} turns, the same script on both stores")
    memory, _ = await measure(
        name="memory", store=MemoryStore(), flow=flow, engine=engine, users=users, turns=turns
    )
    with redis_url() as (url, label):
        out(f"redis: {label}")
        store = bench_store(url, timeout_seconds=2.0)
        counter = aioredis.Redis.from_url(url, decode_responses=True)
        try:
            redis, counts = await measure(
                name="redis",
                store=store,
                flow=flow,
                engine=engine,
                users=users,
                turns=turns,
                counter=counter,
            )
        finally:
            await counter.aclose()
            await store.close()
    out("")
    for line in table(memory, redis):
        out(line)
    out("")
    if counts is not None:
        for line in commands(redis, *counts):
            out(line)
    else:
        out("redis round trips and commands: not counted (REDIS_URL is not a single server)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_engine",
        description="The same scripted conversations through the Advisor, in memory and on Redis.",
    )
    parser.add_argument("--turns", type=positive, default=60, help="turns per conversation (60)")
    parser.add_argument("--users", type=positive, default=50, help="conversations (50)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    asyncio.run(main_async(users=args.users, turns=args.turns, out=print))
    return 0


if __name__ == "__main__":
    sys.exit(main())
