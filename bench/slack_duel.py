"""Passes of the Slack benchmark, each side a server process: timing, CPU, commands, report."""

from __future__ import annotations

import asyncio
import gc
import math
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis import asyncio as aioredis

from bench.common import SIDES, Timing, percentile
from bench.processes import ServerProcess, cpu_seconds, machine_busy_seconds
from bench.redis_counting import commands_between, per_turn, snapshot
from bench.slack_users import Assessment, Client

# After the last turn's post arrives a server may still finish that turn (read the answer,
# record the message, write its log line): wait this long before reading CPU and commands.
SETTLE_SECONDS = 0.3
QUIET = 0.25  # of a CPU: a round counts as quiet when other processes used less


@dataclass(frozen=True, kw_only=True)
class ProcessPass(Timing):
    """One side's pass: `latencies` to each turn's last Web API call, `post_latencies` to the
    post of the next question; CPU seconds of the server, the driver and redis-server."""

    side: str
    assessments: int
    post_latencies: tuple[float, ...]
    acks: tuple[float, ...]  # request to HTTP response
    sent_bytes: int  # request bodies the load generator sent
    server_cpu: float
    driver_cpu: float
    redis_cpu: float | None
    machine_cpu: float  # every process on the machine, these included
    window: float  # the seconds in which the CPU times were taken (the pass, then a settle)
    calls: Counter[str]
    commands: dict[str, int]  # on the Redis server (INFO commandstats), scripts' commands too

    def ms(self, cpu: float) -> float:
        return cpu / self.turns * 1000

    def share(self, cpu: float) -> float:
        """How busy: CPU seconds per second of the window (1.0 is one core)."""
        return cpu / self.window if self.window > 0 else math.inf

    @property
    def others_cpu(self) -> float:
        """CPU time of processes other than the server, the driver and redis-server."""
        ours = self.server_cpu + self.driver_cpu + (self.redis_cpu or 0.0)
        return max(0.0, self.machine_cpu - ours)

    @property
    def post_median_ms(self) -> float:
        return statistics.median(self.post_latencies) * 1000

    @property
    def post_p99_ms(self) -> float:
        return percentile(self.post_latencies, 0.99) * 1000

    @property
    def calls_per_turn(self) -> float:
        return sum(self.calls.values()) / self.turns


async def run_pass(
    *,
    side: str,
    run: Callable[[str], Awaitable[Assessment]],
    new_user: Callable[[], str],
    client: Client,
    server: ServerProcess,
    redis: aioredis.Redis,
    redis_pid: int | None,
    users: int,
    concurrency: int,
) -> ProcessPass:
    """`users` assessments against one server process, at most `concurrency` at once."""
    pending = [new_user() for _ in range(users)]
    done: list[Assessment] = []

    async def worker() -> None:
        while pending:
            done.append(await run(pending.pop()))

    calls = client.standin.methods
    calls.clear()
    client.acks.clear()
    client.sent_bytes = 0
    gc.collect()  # the driver starts each pass from a collected heap
    before = await snapshot(redis)
    server_began = server.cpu_seconds()
    redis_began = cpu_seconds(redis_pid) if redis_pid else 0.0
    machine_began = machine_busy_seconds()
    began, driver_began = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(min(users, concurrency))))
    seconds = time.perf_counter() - began
    await client.settle()
    await asyncio.sleep(SETTLE_SECONDS)
    window = time.perf_counter() - began
    driver_cpu = time.process_time() - driver_began
    server_cpu = server.cpu_seconds() - server_began
    redis_cpu = cpu_seconds(redis_pid) - redis_began if redis_pid else None
    machine_cpu = machine_busy_seconds() - machine_began
    after = await snapshot(redis)
    assert len(done) == users
    return ProcessPass(
        side=side,
        assessments=users,
        turns=sum(len(a.latencies) for a in done),
        seconds=seconds,
        latencies=tuple(x for a in done for x in a.latencies),
        post_latencies=tuple(x for a in done for x in a.post_latencies),
        acks=tuple(client.acks),
        sent_bytes=client.sent_bytes,
        server_cpu=server_cpu,
        driver_cpu=driver_cpu,
        redis_cpu=redis_cpu,
        machine_cpu=machine_cpu,
        window=window,
        calls=Counter(calls),
        commands=commands_between(before, after),
    )


def round_line(number: int, p: ProcessPass) -> str:
    return (
        f"  round {number} {p.side:<8}{p.turns_per_second:>7.0f} turns/s"
        f"{p.post_median_ms:>8.2f} ms p50{p.post_p99_ms:>8.2f} ms p99"
        f"{p.ms(p.server_cpu):>7.2f} server CPU ms/turn ({p.share(p.server_cpu):.0%} busy),"
        f" driver {p.share(p.driver_cpu):.0%}, others {p.share(p.others_cpu):.0%}"
    )


def table(bare: ProcessPass, advisor: ProcessPass) -> list[str]:
    head = (
        f"{'':<9}{'turns/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'done p50':>9}{'done p99':>9}"
        f"{'ack p50':>8}{'ack p99':>8}"
        f"{'server CPU ms/turn':>19}{'busy':>6}{'driver busy':>12}{'redis CPU ms/turn':>18}"
        f"{'calls/turn':>11}{'turns':>7}{'seconds':>8}"
    )

    def row(p: ProcessPass) -> str:
        redis = f"{p.ms(p.redis_cpu):.3f}" if p.redis_cpu is not None else "n/a"
        return (
            f"{p.side:<9}{p.turns_per_second:>8.0f}{p.post_median_ms:>8.2f}{p.post_p99_ms:>8.2f}"
            f"{p.median_ms:>9.2f}{p.p99_ms:>9.2f}"
            f"{statistics.median(p.acks) * 1000:>8.2f}{percentile(p.acks, 0.99) * 1000:>8.2f}"
            f"{p.ms(p.server_cpu):>19.2f}"
            f"{p.share(p.server_cpu):>6.0%}{p.share(p.driver_cpu):>12.0%}{redis:>18}"
            f"{p.calls_per_turn:>11.2f}{p.turns:>7}{p.seconds:>8.2f}"
        )

    def of(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b > 0 else "n/a"

    a, b = advisor, bare
    ratios = (
        f"{'adv/bare':<9}{of(a.turns_per_second, b.turns_per_second):>8}"
        f"{of(a.post_median_ms, b.post_median_ms):>8}{of(a.post_p99_ms, b.post_p99_ms):>8}"
        f"{of(a.median_ms, b.median_ms):>9}{of(a.p99_ms, b.p99_ms):>9}{'':>16}"
        f"{of(a.ms(a.server_cpu), b.ms(b.server_cpu)):>19}"
    )
    return [head, row(bare), row(advisor), ratios]


def report(passes: dict[str, list[ProcessPass]], out: Callable[[str], None]) -> float:
    """The best pass of each side, every round's ratio; returns the best passes' ratio."""
    best = {side: max(ps, key=lambda p: p.turns_per_second) for side, ps in passes.items()}
    out("")
    out(f"best of {len(passes['bare'])} passes each (p50/p99: request to the next question's post")
    out("arriving at the stand-in; done: to the later of that post and the update; ack: to the")
    out("HTTP response, which Bolt sends once the listener acked, polling every 10 ms):")
    for line in table(best["bare"], best["advisor"]):
        out(line)
    share = best["advisor"].turns_per_second / best["bare"].turns_per_second
    rounds = [
        a.turns_per_second / b.turns_per_second
        for b, a in zip(passes["bare"], passes["advisor"], strict=True)
    ]
    out("")
    out(f"advisor/bare turns per second: {share:.2f} (best pass of each side)")
    out(
        f"  each round's ratio (its two passes back to back): "
        f"{', '.join(f'{r:.2f}' for r in rounds)}; median {statistics.median(rounds):.2f}"
    )
    quiet = [
        a.turns_per_second / b.turns_per_second
        for b, a in zip(passes["bare"], passes["advisor"], strict=True)
        if max(a.share(a.others_cpu), b.share(b.others_cpu)) < QUIET
    ]
    out(
        f"  rounds in which other processes used under {QUIET:.0%} of a CPU in both passes: "
        + (
            f"{', '.join(f'{r:.2f}' for r in quiet)}; median {statistics.median(quiet):.2f}"
            if quiet
            else "none"
        )
    )
    median = {side: statistics.median(p.ms(p.server_cpu) for p in passes[side]) for side in SIDES}
    out(
        f"server CPU per turn, median of the passes: bare {median['bare']:.2f} ms, advisor "
        f"{median['advisor']:.2f} ms; bare/advisor {median['bare'] / median['advisor']:.2f} "
        "(the throughput ratio a CPU-bound server would reach)"
    )
    out("server CPU per turn, every pass, ms:")
    for side in SIDES:
        out(f"  {side}: {', '.join(f'{p.ms(p.server_cpu):.2f}' for p in passes[side])}")
    out(
        "request body per turn (signed POSTs to the app; clicks carry the clicked message): "
        + ", ".join(
            f"{side} {best[side].sent_bytes / best[side].turns / 1000:.1f} KB" for side in SIDES
        )
    )
    out("Web API calls per turn:")
    for side in SIDES:
        p = best[side]
        parts = ", ".join(f"{name} {n / p.turns:.2f}" for name, n in sorted(p.calls.items()))
        out(f"  {side}: {parts}")
    out("Redis commands per turn, server-side (INFO commandstats; counts the commands the Lua")
    out("scripts run too, so these are commands, not round trips):")
    for side in SIDES:
        p = best[side]
        out(f"  {side}: {per_turn(p.commands, p.turns) if p.commands else 'none'}")
    return share


def log_findings(lines: Sequence[str]) -> list[str]:
    """Lines of a server's output that say something went wrong."""
    words = ('"level": "error"', '"level": "warning"', "Traceback", "Error", "error:")
    return [line for line in lines if any(word in line for word in words)]


def stopped(server: ServerProcess, *, expected: tuple[str, ...] = ()) -> str:
    """Stop `server`; a line with its exit code and the lines of its output that say something
    went wrong (the first five), less those holding any of `expected`."""
    code = server.stop()
    lines = server.log_lines()
    problems = [line for line in log_findings(lines) if not any(e in line for e in expected)]
    return (
        f"{server.name} process: exit code {code}, {len(lines)} lines of output, "
        f"{len(problems)} saying something went wrong"
        + "".join(f"\n  {line[:300]}" for line in problems[:5])
    )
