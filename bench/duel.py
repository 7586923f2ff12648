"""The advisor against a bare app in one process: passes, alternated rounds, the report.

bench_teams runs both bots, the stand-in and the load generator on one event loop and measures
them here. (bench_slack runs each side in its own process instead: bench/slack_duel.py.)
"""

from __future__ import annotations

import asyncio
import gc
import math
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from bench.common import SIDES, WARMUP_USERS, Assessment, Timing, percentile, ratio, round_trips
from bench.profiling import Profiled, ProfileText, profile_report
from bot.lifecycle import settle_heap

Sent = TypeVar("Sent")
User = TypeVar("User")
Done = TypeVar("Done", bound=Assessment[Any])


@dataclass(frozen=True, kw_only=True)
class Pass(Timing):
    """One side's pass of assessments, with this process's CPU time and the calls it made."""

    side: str
    assessments: int
    cpu_seconds: float  # this process's CPU time, all threads (the redis-server's is not in it)
    last_turns: tuple[float, ...]  # each assessment's last turn: the summary on the advisor
    calls: Counter[str]
    redis_round_trips: int = 0  # counted by the store's client during the pass

    @property
    def assessments_per_second(self) -> float:
        return self.assessments / self.seconds if self.seconds > 0 else math.inf

    @property
    def cpu_ms_per_turn(self) -> float:
        return self.cpu_seconds / self.turns * 1000

    @property
    def busy(self) -> float:
        """How much of the pass's wall time this process spent on a CPU (1.0 = one core)."""
        return self.cpu_seconds / self.seconds if self.seconds > 0 else 0.0

    @property
    def calls_per_turn(self) -> float:
        return sum(self.calls.values()) / self.turns


async def run_pass(
    *,
    side: str,
    run: Callable[[User], Awaitable[Done]],
    new_user: Callable[[], User],
    calls: Counter[str],
    users: int,
    concurrency: int,
) -> tuple[Pass, list[Done]]:
    """`users` assessments, at most `concurrency` at once, each turn waiting for the last;
    `calls` is the stand-in's count of calls by kind, cleared first."""
    pending = [new_user() for _ in range(users)]
    done: list[Done] = []

    async def worker() -> None:
        while pending:
            done.append(await run(pending.pop()))

    calls.clear()
    gc.collect()  # each pass starts from a collected heap: the last one's garbage is not its cost
    sends = round_trips()
    began, cpu_began = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(min(users, concurrency))))
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
    sends = round_trips() - sends
    latencies = tuple(latency for a in done for latency in a.latencies)
    assert len(done) == users
    result = Pass(
        side=side,
        assessments=users,
        turns=len(latencies),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        latencies=latencies,
        last_turns=tuple(a.latencies[-1] for a in done),
        calls=Counter(calls),
        redis_round_trips=sends,
    )
    return result, done


async def measured_rounds(
    measure: Callable[[str, int], Awaitable[Pass]],
    *,
    users: int,
    rounds: int,
    out: Callable[[str], None],
) -> dict[str, list[Pass]]:
    """`rounds` passes of each side, alternated (bare first), each printed as it ends."""
    passes: dict[str, list[Pass]] = {side: [] for side in SIDES}
    for number in range(rounds):
        for side in SIDES:
            result = await measure(side, users)
            passes[side].append(result)
            out(
                f"  round {number + 1} {side:<8}{result.turns_per_second:>8.0f} turns/s"
                f"{result.median_ms:>9.2f} ms median{result.p99_ms:>9.2f} ms p99"
                f"{result.cpu_ms_per_turn:>8.2f} CPU ms/turn, {result.busy:.0%} busy"
            )
    return passes


# ---------------------------------------------------------------------------- reporting


def table(bare: Pass, advisor: Pass) -> list[str]:
    head = (
        f"{'':<9}{'assessments/s':>14}{'turns/s':>9}{'median ms':>11}{'p99 ms':>9}"
        f"{'CPU ms/turn':>13}{'busy':>6}{'calls/turn':>12}{'turns':>7}{'seconds':>9}"
    )

    def row(p: Pass) -> str:
        return (
            f"{p.side:<9}{p.assessments_per_second:>14.1f}{p.turns_per_second:>9.0f}"
            f"{p.median_ms:>11.2f}{p.p99_ms:>9.2f}{p.cpu_ms_per_turn:>13.2f}{p.busy:>6.0%}"
            f"{p.calls_per_turn:>12.2f}{p.turns:>7}{p.seconds:>9.2f}"
        )

    a, b = advisor, bare
    ratios = (
        f"{'adv/bare':<9}{ratio(a.assessments_per_second, b.assessments_per_second):>14}"
        f"{ratio(a.turns_per_second, b.turns_per_second):>9}"
        f"{ratio(a.median_ms, b.median_ms):>11}{ratio(a.p99_ms, b.p99_ms):>9}"
        f"{ratio(a.cpu_ms_per_turn, b.cpu_ms_per_turn):>13}"
    )
    return [head, row(bare), row(advisor), ratios]


def calls_line(p: Pass) -> str:
    parts = ", ".join(f"{name} {n / p.turns:.2f}" for name, n in sorted(p.calls.items()))
    return f"  {p.side}: {parts}"


def report(
    passes: dict[str, list[Pass]],
    out: Callable[[str], None],
    *,
    calls: str,
    notes: Sequence[str] = (),
) -> float:
    """Print the best pass of each side; return the advisor/bare ratio of turns per second.
    `calls` names the platform's calls ("connector calls"); `notes` are printed last."""
    best = {s: max(ps, key=lambda p: p.turns_per_second) for s, ps in passes.items()}
    out("")
    out(f"best of {len(passes['bare'])} passes each:")
    for line in table(best["bare"], best["advisor"]):
        out(line)
    share = best["advisor"].turns_per_second / best["bare"].turns_per_second
    out("")
    out(
        f"advisor/bare turns per second: {share:.2f} "
        f"(target at least 0.70: {'met' if share >= 0.7 else 'NOT met'})"
    )
    rounds = [
        advisor.turns_per_second / bare.turns_per_second
        for bare, advisor in zip(passes["bare"], passes["advisor"], strict=True)
    ]
    out(
        f"  each round's ratio (its two passes ran back to back): "
        f"{', '.join(f'{r:.2f}' for r in rounds)}; median {statistics.median(rounds):.2f}"
    )
    out("each assessment's last turn (the summary, on the advisor), ms:")
    for side in SIDES:
        last = best[side].last_turns
        out(
            f"  {side}: median {statistics.median(last) * 1000:.2f}, "
            f"p99 {percentile(last, 0.99) * 1000:.2f}"
        )
    out(f"{calls} per turn:")
    for side in SIDES:
        out(calls_line(best[side]))
    advisor = best["advisor"]
    out(
        f"Redis round trips per turn (advisor, counted on its client's connections): "
        f"{advisor.redis_round_trips / advisor.turns:.2f}"
    )
    for note in notes:
        out(note)
    return share


# ---------------------------------------------------------------------------- both sides


class CardChecker(Protocol):
    """A stand-in that validates the cards it is sent (checking is turned off once warm)."""

    card_problems: list[str]
    check_cards: bool


@dataclass(kw_only=True)
class Duel(Generic[User, Sent]):
    """What a platform's benchmark gives `duel`: its two sides and the words that differ."""

    advisor: Callable[[User], Awaitable[Assessment[Sent]]]
    bare: Callable[[User, int], Awaitable[Assessment[Sent]]]  # the user, turns per assessment
    new_user: Callable[[], User]
    calls: Counter[str]  # the stand-in's count of calls by kind
    calibrate: Callable[[Assessment[Sent]], None]  # give the bare side a typical run's messages
    stand_in: CardChecker
    profiled: Callable[[Callable[[], Awaitable[Pass]]], Awaitable[Profiled]]
    profile_text: ProfileText
    before_pass: Callable[[], None] = lambda: None
    opening: str  # what opens an assessment: "DM", "message"
    cards: str  # "Block Kit", "Adaptive Card"
    calls_name: str  # "Web API calls", "connector calls"
    setting: tuple[str, ...] = ()  # lines printed before the passes
    notes: tuple[str, ...] = ()  # lines printed after the results


async def duel(
    sides: Duel[User, Sent],
    *,
    users: int,
    concurrency: int,
    rounds: int,
    profile: bool,
    label: str,
    out: Callable[[str], None],
) -> float:
    """A warm-up on the advisor (cards checked) whose typical assessment calibrates the bare
    side, then `rounds` measured passes of each; returns advisor/bare turns per second."""
    turns_per_assessment = 0

    async def bare_run(user: User) -> Assessment[Sent]:
        return await sides.bare(user, turns_per_assessment)

    async def passes(
        side: str, run: Callable[[User], Awaitable[Assessment[Sent]]], n: int, at_once: int
    ) -> tuple[Pass, list[Assessment[Sent]]]:
        sides.before_pass()
        return await run_pass(
            side=side,
            run=run,
            new_user=sides.new_user,
            calls=sides.calls,
            users=n,
            concurrency=at_once,
        )

    async def measure(side: str, n: int) -> Pass:
        run = sides.advisor if side == "advisor" else bare_run
        result, _ = await passes(side, run, n, concurrency)
        return result

    # Warm-up, cards checked: connections, Lua script, templates, caches.
    warm, seen = await passes("advisor", sides.advisor, WARMUP_USERS, WARMUP_USERS)
    turns_per_assessment = warm.turns // WARMUP_USERS
    sides.calibrate(seen[0])
    await measure("bare", WARMUP_USERS)
    problems = list(sides.stand_in.card_problems)
    sides.stand_in.check_cards = False
    settle_heap()  # as `llm-advisor serve` does once it is built (one process: both sides)

    out(
        f"{users} simulated users per pass, {concurrency} at a time, "
        f"{turns_per_assessment} turns per assessment "
        f"({turns_per_assessment - 1} answers after the opening {sides.opening})"
    )
    out(f"redis: {label}")
    for line in sides.setting:
        out(line)
    out(
        f"{sides.cards} problems in the warm-up's cards: {len(problems)}"
        + "".join(f"\n  {p}" for p in problems[:5])
    )
    results = await measured_rounds(measure, users=users, rounds=rounds, out=out)
    share = report(results, out, calls=sides.calls_name, notes=sides.notes)
    if share < 0.7 and not profile:
        out("run with --profile to see where the advisor's CPU time goes")
    if profile:
        out("")
        profile_users = max(1, users // 2)
        bare_profile = await sides.profiled(lambda: measure("bare", profile_users))
        advisor_profile = await sides.profiled(lambda: measure("advisor", profile_users))
        for line in profile_report(bare_profile, advisor_profile, sides.profile_text):
            out(line)
    return share
