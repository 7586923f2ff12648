"""What the benchmarks share: options, the Redis they run on, passes and their tables, profiles.

bench_slack and bench_teams measure the advisor against a bare app side by side in the same way;
the platform-specific parts (the stand-in, the simulated users' requests, what a call is) stay in
their modules, and what differs in their printed output is a parameter here.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import math
import os
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any, Final, Generic, Protocol, TypeVar

from aiohttp import web

from bot.lifecycle import settle_heap
from dialogs.stores.redis_store import RedisStore
from tests.support.answers import FULL_ANSWERS
from tests.support.redis_server import RedisServer

# The assessment the tests give (its number question is typed: it has no answer buttons);
# an option missing from a question's buttons falls back to its first button.
ANSWERS: Final = FULL_ANSWERS
TYPED_ANSWER: Final = "2B"  # the number question (monthly_tokens) has no answer buttons
TURN_TIMEOUT_SECONDS: Final = 30.0
WARMUP_USERS: Final = 4
SIDES: Final = ("bare", "advisor")

Item = TypeVar("Item")
Sent = TypeVar("Sent")
User = TypeVar("User")
Done = TypeVar("Done", bound="Assessment[Any]")


class BenchError(RuntimeError):
    """A turn went wrong (an error message, a refused request, a timeout): the numbers would lie."""


# ---------------------------------------------------------------------------- options and serving


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@contextmanager
def redis_url(*, appendonly: bool = True) -> Iterator[tuple[str, str]]:
    """REDIS_URL when set, else a private redis-server on a free port; yields (url, label)."""
    given = os.environ.get("REDIS_URL", "").strip()
    if given:
        yield given, "REDIS_URL (if shared, other clients' commands are counted too)"
        return
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as directory:
        server = RedisServer(directory=Path(directory), appendonly=appendonly).start()
        try:
            persistence = "append-only, fsync always" if appendonly else "no persistence"
            label = f"private redis-server on 127.0.0.1:{server.port} ({persistence})"
            yield server.url, label
        finally:
            server.stop()


def bench_store(url: str, *, timeout_seconds: float) -> RedisStore:
    """The production store for `url`."""
    return RedisStore.from_url(url, timeout_seconds=timeout_seconds)


def round_trips() -> int:
    """Round trips are not counted on the client yet (being rebuilt on redis-py's own API)."""
    return 0


def side_by_side_args(
    argv: Sequence[str] | None, *, prog: str, description: str, users: int, profile_help: str
) -> argparse.Namespace:
    """The options of a benchmark that measures the advisor against a bare app."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--users", type=positive, default=users, help=f"assessments per pass ({users})"
    )
    parser.add_argument(
        "--concurrency", type=positive, default=10, help="users in flight at once (10)"
    )
    parser.add_argument(
        "--rounds", type=positive, default=2, help="measured passes of each side, alternated (2)"
    )
    parser.add_argument("--profile", action="store_true", help=profile_help)
    return parser.parse_args(argv)


async def serve(web_app: web.Application, path: str) -> tuple[web.AppRunner, str]:
    """The application behind aiohttp on a free loopback port; returns its runner and the URL
    of `path` on it."""
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}{path}"


# ---------------------------------------------------------------------------- simulated users


@dataclass
class Inbox(Generic[Item]):
    """What one simulated user's conversation received, each item with its arrival time.

    A turn is the update of the message being answered (when there is one) and the post of the
    next question or of the summary; subclasses say which items are which, and which are errors.
    """

    received: list[tuple[float, Item]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    cursor: int = 0

    def add(self, arrived: float, item: Item) -> None:
        self.received.append((arrived, item))
        self.changed.set()

    async def turn(self, updated: str | None) -> tuple[float, Item]:
        """Wait for one turn's items: the update of `updated` (when given) and the next question
        or summary post. Returns when the later of them arrived, and the post."""
        try:
            async with asyncio.timeout(TURN_TIMEOUT_SECONDS):
                while (found := self._scan(updated)) is None:
                    self.changed.clear()  # no await since the scan: no wake-up is lost
                    await self.changed.wait()
                return found
        except TimeoutError:
            seen = [self.glimpse(item) for _, item in self.received]
            raise BenchError(f"turn did not finish in {TURN_TIMEOUT_SECONDS}s: {seen}") from None

    def _scan(self, updated: str | None) -> tuple[float, Item] | None:
        update_at: float | None = None if updated else 0.0
        update_index = post_index = -1
        post: tuple[float, Item] | None = None
        for index in range(self.cursor, len(self.received)):
            arrived, item = self.received[index]
            self.check(item)
            if update_at is None and self.is_update(item, updated):
                update_at, update_index = arrived, index
            elif post is None and self.is_post(item):
                post, post_index = (arrived, item), index
        if update_at is None or post is None:
            return None
        self.cursor = max(update_index, post_index) + 1
        return max(update_at, post[0]), post[1]

    def check(self, item: Item) -> None:
        """Raise BenchError when the item shows the turn went wrong."""

    def is_update(self, item: Item, updated: str | None) -> bool:
        raise NotImplementedError

    def is_post(self, item: Item) -> bool:
        """A question or the summary."""
        raise NotImplementedError

    def glimpse(self, item: Item) -> object:
        """What a timeout's message shows of an item."""
        return item


@dataclass
class Assessment(Generic[Sent]):
    """One user's turns: each latency, and every question and answered message seen."""

    latencies: list[float] = field(default_factory=list)
    posts: list[Sent] = field(default_factory=list)
    updates: list[Sent] = field(default_factory=list)


# ---------------------------------------------------------------------------- passes


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True, kw_only=True)
class Timing:
    """Turns taken: how long they took together and each turn's latency."""

    turns: int
    seconds: float
    latencies: tuple[float, ...]

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.seconds if self.seconds > 0 else math.inf

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000


@dataclass(frozen=True, kw_only=True)
class Pass(Timing):
    """One side's pass of assessments, with this process's CPU time and the calls it made."""

    side: str
    assessments: int
    cpu_seconds: float  # this process's CPU time, all threads (the redis-server's is not in it)
    last_turns: tuple[float, ...]  # each assessment's last turn: the summary on the advisor
    calls: Counter[str]
    redis_round_trips: int = 0  # counted by the store's connection during the pass (round_trips)

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


def ratio(a: float, b: float, *, suffix: str = "") -> str:
    return f"{a / b:.2f}{suffix}" if b > 0 else "n/a"


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
    `calls` names the platform's calls ("Web API calls"); `notes` are printed last."""
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
        f"Redis round trips per turn (advisor, counted by its client): "
        f"{advisor.redis_round_trips / advisor.turns:.2f}"
    )
    for note in notes:
        out(note)
    return share


# ---------------------------------------------------------------------------- profiling


@dataclass(frozen=True)
class Areas:
    """Where a profiled function's time is counted: by the first needle in its file's path, or
    for a builtin (a str, "<built-in method ...>"), by the first needle in its name."""

    files: tuple[tuple[str, str], ...]  # (needle, area)
    builtins: tuple[tuple[tuple[str, ...], str], ...]  # (needles, area)

    def of(self, code: CodeType | str) -> str:
        if isinstance(code, str):
            for needles, label in self.builtins:
                if any(needle in code for needle in needles):
                    return label
            return "builtins"
        name = code.co_filename.replace("\\", "/")
        for needle, label in self.files:
            if needle in name:
                return label
        return "other stdlib/libs" if "/lib/" in name else "other"


def describe(code: CodeType | str) -> str:
    if isinstance(code, str):
        return code[:70]
    name = code.co_filename.replace("\\", "/")
    for marker in ("/site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in name:
            name = name.split(marker, 1)[1]
            break
    return f"{name}:{code.co_firstlineno}({code.co_name})"


@dataclass(frozen=True)
class Profiled:
    turns: int
    by_area: dict[str, float]  # seconds of own (not cumulative) time
    own: dict[str, float]
    cumulative: dict[str, float]


def tally(
    profiles: Sequence[cProfile.Profile],
    *,
    turns: int,
    areas: Areas,
    combine: Callable[[float, float], float],
) -> Profiled:
    """One pass's profiles by area and by function; `combine` joins two cumulative times that
    `describe` gives the same name (max, or operator.add to sum them over threads)."""
    by_area: defaultdict[str, float] = defaultdict(float)
    own: defaultdict[str, float] = defaultdict(float)
    cumulative: defaultdict[str, float] = defaultdict(float)
    for profile in profiles:
        for entry in profile.getstats():
            by_area[areas.of(entry.code)] += entry.inlinetime
            own[describe(entry.code)] += entry.inlinetime
            if not isinstance(entry.code, str):
                name = describe(entry.code)
                cumulative[name] = combine(cumulative[name], entry.totaltime)
    return Profiled(turns, dict(by_area), dict(own), dict(cumulative))


@dataclass(frozen=True)
class ProfileText:
    """How a benchmark's profile report reads: headings, column width, rows shown."""

    area_heading: tuple[str, ...]
    area_width: int
    own_heading: str
    own_rows: int
    own_difference: bool  # a column of advisor minus bare
    cumulative_heading: str


def profile_report(bare: Profiled, advisor: Profiled, text: ProfileText) -> list[str]:
    def per_turn(p: Profiled, name: str) -> float:
        return p.by_area.get(name, 0.0) / p.turns * 1e6

    areas = sorted(
        set(bare.by_area) | set(advisor.by_area),
        key=lambda a: -(per_turn(advisor, a) - per_turn(bare, a)),
    )
    width = text.area_width
    lines = [*text.area_heading, f"  {'area':<{width}}{'bare':>9}{'advisor':>9}{'difference':>12}"]
    for name in areas:
        b, a = per_turn(bare, name), per_turn(advisor, name)
        if max(a, b) >= 5:
            lines.append(f"  {name:<{width}}{b:>9.0f}{a:>9.0f}{a - b:>+12.0f}")
    total_b = sum(bare.by_area.values()) / bare.turns * 1e6
    total_a = sum(advisor.by_area.values()) / advisor.turns * 1e6
    lines.append(f"  {'total':<{width}}{total_b:>9.0f}{total_a:>9.0f}{total_a - total_b:>+12.0f}")
    lines.append("")
    lines.append(text.own_heading)
    diff_head = f"{'diff':>8}" if text.own_difference else ""
    lines.append(f"  {'bare':>7}{'advisor':>9}{diff_head}  function")

    def own(p: Profiled, name: str) -> float:
        return p.own.get(name, 0.0) / p.turns * 1e6

    names = set(bare.own) | set(advisor.own)
    for name in sorted(names, key=lambda n: -(own(advisor, n) - own(bare, n)))[: text.own_rows]:
        b, a = own(bare, name), own(advisor, name)
        diff = f"{a - b:>+8.1f}" if text.own_difference else ""
        lines.append(f"  {b:>7.1f}{a:>9.1f}{diff}  {name}")
    lines.append("")
    lines.append(text.cumulative_heading)
    ours = {
        k: v
        for k, v in advisor.cumulative.items()
        if k.startswith(("bot/", "dialogs/")) and "lambda" not in k
    }
    for name, seconds in sorted(ours.items(), key=lambda i: -i[1])[:15]:
        lines.append(f"  {seconds / advisor.turns * 1e6:>7.1f}  {name}")
    return lines


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
    forget: Callable[[Sequence[User]], Awaitable[None]]  # delete the sessions a pass wrote
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
    written: list[User] = []
    turns_per_assessment = 0

    async def advisor_run(user: User) -> Assessment[Sent]:
        written.append(user)
        return await sides.advisor(user)

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
        result, _ = await passes(
            side, advisor_run if side == "advisor" else bare_run, n, concurrency
        )
        if side == "advisor":
            await sides.forget(written)
            written.clear()
        return result

    try:
        # Warm-up, cards checked: connections, Lua script, templates, caches.
        warm, seen = await passes("advisor", advisor_run, WARMUP_USERS, WARMUP_USERS)
        turns_per_assessment = warm.turns // WARMUP_USERS
        sides.calibrate(seen[0])
        await measure("bare", WARMUP_USERS)
        await sides.forget(written)
        written.clear()
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
    finally:
        await sides.forget(written)
