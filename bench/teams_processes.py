"""The Teams benchmark with each bot in its own process (bench_teams' default; see there).

advisor: `llm-advisor serve --host 127.0.0.1 --port N --teams-dev`, the venv's console script,
with TEAMS_SDK, REDIS_URL and ADVISOR_TURN_TIMEOUT_SECONDS=30 (and PYTHONPATH=DIR with
--code DIR, to measure another version of the code); bare: `python -m bench.bare_teams`. This
process is the load generator and the stand-in Bot Connector. Each server's CPU per turn comes
from /proc (all its threads), as in bench_slack, so the figures sit beside a Slack turn's.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import aiohttp

from bench.bench_slack import QUIET_SHARE, Placement
from bench.common import (
    ANSWERS,
    SIDES,
    TURN_TIMEOUT_SECONDS,
    WARMUP_USERS,
    BenchError,
    Timing,
    percentile,
    redis_server,
)
from bench.processes import ServerProcess, machine_busy_seconds, pin, quiet, venv_tool
from bench.slack_duel import log_findings
from bench.teams_sides import (
    NO_CHART_ANSWERS,
    Assessment,
    BenchConnector,
    Client,
    Person,
    advisor_assessment,
    bare_assessment,
    card_of,
    choose,
    option_data,
)
from bot.teams.server import MESSAGES_PATH
from tests.support.redis_server import free_port
from tests.support.slack_standin import PROXY_ENV_VARS

SETTLE_SECONDS: Final = 0.3  # after a pass, for a server to finish writing its last lines
ADVISOR_PREFIXES: Final = ("SLACK_", "ADVISOR_", "MICROSOFT_", "TEAMS_", "REDIS_URL", "CONNECTIONS")


@dataclass
class Options:
    users: int
    concurrency: int
    rounds: int
    sdk: str = "botbuilder"
    pinned: bool = True
    quiet_seconds: float = 15.0
    quiet_budget: float = 90.0
    code: str | None = None  # run the advisor from this source tree (a baseline)
    chart: bool = True  # False: answers whose summary draws no cost chart (NO_CHART_ANSWERS)


@dataclass(frozen=True, kw_only=True)
class ServerPass(Timing):
    """One side's pass: latencies to each turn's last connector call, the server's CPU, the
    driver's, and the whole machine's (so other processes' share can be told)."""

    side: str
    server_cpu: float
    driver_cpu: float
    machine_cpu: float
    window: float
    calls: Counter[str]

    def ms(self, cpu: float) -> float:
        return cpu / self.turns * 1000

    def share(self, cpu: float) -> float:
        return cpu / self.window if self.window > 0 else 0.0

    @property
    def others_cpu(self) -> float:
        return max(0.0, self.machine_cpu - self.server_cpu - self.driver_cpu)


def server_env(redis: str, sdk: str, code: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PROXY_ENV_VARS and not k.startswith(ADVISOR_PREFIXES)
    }
    env.update(REDIS_URL=redis, TEAMS_SDK=sdk, ADVISOR_TURN_TIMEOUT_SECONDS="30")
    if code:
        env["PYTHONPATH"] = code
    return env


@dataclass
class TeamsBench:
    options: Options
    connector: BenchConnector
    http: aiohttp.ClientSession
    redis_url: str
    redis_pid: int | None
    folder: Path
    place: Placement | None
    out: Callable[[str], None]
    servers: dict[str, ServerProcess] = field(default_factory=dict)
    runs: dict[str, Callable[[Person], Awaitable[Assessment]]] = field(default_factory=dict)
    quiet_left: float = 0.0

    def __post_init__(self) -> None:
        self.quiet_left = self.options.quiet_budget

    async def launch(self, server: ServerProcess, ready_path: str) -> Client:
        self.servers[server.name] = server
        server.start()
        if self.place is not None:
            pin(server.pid, self.place.servers)
        await server.ready(ready_path)
        if self.place is not None:
            pin(server.pid, self.place.servers)
        return Client(
            http=self.http, url=server.url(MESSAGES_PATH), service_url=self.connector.service_url
        )

    async def one_pass(self, side: str, users: int, *, wait: bool = True) -> ServerPass:
        if wait:
            pids = [s.pid for s in self.servers.values()]
            pids += [self.redis_pid] if self.redis_pid is not None else []
            began = time.monotonic()
            limit = min(self.options.quiet_seconds, self.quiet_left)
            await quiet(pids, share=QUIET_SHARE, timeout_seconds=limit)
            self.quiet_left = max(0.0, self.quiet_left - (time.monotonic() - began))
        server = self.servers[side]
        pending = [Person() for _ in range(users)]
        done: list[Assessment] = []

        async def worker() -> None:
            while pending:
                done.append(await self.runs[side](pending.pop()))

        self.connector.calls.clear()
        self.connector.operations.clear()
        gc.collect()
        server_began, machine_began = server.cpu_seconds(), machine_busy_seconds()
        began, driver_began = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(min(users, self.options.concurrency))))
        seconds = time.perf_counter() - began
        await asyncio.sleep(SETTLE_SECONDS)
        return ServerPass(
            side=side,
            turns=sum(len(a.latencies) for a in done),
            seconds=seconds,
            latencies=tuple(x for a in done for x in a.latencies),
            server_cpu=server.cpu_seconds() - server_began,
            driver_cpu=time.process_time() - driver_began,
            machine_cpu=machine_busy_seconds() - machine_began,
            window=time.perf_counter() - began,
            calls=Counter(self.connector.operations),
        )

    async def warm_up(self) -> None:
        """Start the advisor, warm it up with the cards checked, give the bare bot its typical
        cards, start and warm up the bare bot."""
        options = self.options
        binary = venv_tool("llm-advisor")
        if binary is None:
            raise BenchError("llm-advisor is not installed in this environment (uv sync)")
        env = server_env(self.redis_url, options.sdk, options.code)
        port = free_port()
        argv = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--teams-dev"]
        advisor = await self.launch(
            ServerProcess("advisor", argv, env, port, self.folder / "advisor.log"), "/readyz"
        )
        answers = ANSWERS if options.chart else NO_CHART_ANSWERS
        self.runs["advisor"] = lambda person: advisor_assessment(
            advisor, self.connector, person, answers
        )
        typical = await self.runs["advisor"](Person())
        warm = await self.one_pass("advisor", WARMUP_USERS, wait=False)
        turns = len(typical.latencies)
        question = next(q for q in typical.posts[len(typical.posts) // 2 :] if option_data(q))
        value = choose(question, answers) or {}
        payloads = {
            "question": card_of(question),
            "answered": card_of(typical.updates[len(typical.updates) // 2]),
        }
        path = self.folder / "bare-payloads.json"
        path.write_text(json.dumps(payloads))
        port = free_port()
        argv = [sys.executable, "-m", "bench.bare_teams", "--sdk", options.sdk, "--port", str(port)]
        bare_env = server_env(self.redis_url, options.sdk, None)
        argv += ["--payloads", str(path)]
        bare = await self.launch(
            ServerProcess("bare", argv, bare_env, port, self.folder / "bare.log"), "/healthz"
        )
        self.runs["bare"] = lambda person: bare_assessment(
            bare, self.connector, person, turns, value
        )
        await self.one_pass("bare", WARMUP_USERS, wait=False)
        problems = list(self.connector.card_problems)
        self.connector.check_cards = False
        out = self.out
        out(
            f"{options.users} simulated users per pass, {options.concurrency} at a time, "
            f"{turns} turns per assessment ({turns - 1} answers after the opening message); "
            f"Teams SDK: {options.sdk}; "
            + ("the summary draws the cost chart" if options.chart else "no cost chart")
        )
        for name, server in self.servers.items():
            shown = " ".join([Path(server.argv[0]).name, *server.argv[1:8]])
            out(f"{name + ':':<9}{shown} (pid {server.pid})")
        if options.code:
            out(f"advisor code: {options.code} (PYTHONPATH)")
        out(
            f"machine: {os.cpu_count()} CPUs; driver (load generator and stand-in connector) pid "
            f"{os.getpid()}; "
            + (self.place.describe() if self.place is not None else "nothing pinned")
        )
        out(
            f"warm-up: {warm.turns} advisor turns; Adaptive Card problems: {len(problems)}"
            + "".join(f"\n  {p}" for p in problems[:5])
        )

    async def rounds(self) -> dict[str, list[ServerPass]]:
        passes: dict[str, list[ServerPass]] = {side: [] for side in SIDES}
        for number in range(1, self.options.rounds + 1):
            for side in SIDES:
                result = await self.one_pass(side, self.options.users)
                passes[side].append(result)
                self.out(round_line(number, result))
        report(passes, self.out)
        return passes

    def stop(self) -> None:
        for server in self.servers.values():
            code = server.stop()
            lines = server.log_lines()
            # serve's own start-up warning that dev mode takes unauthenticated requests is expected.
            problems = [line for line in log_findings(lines) if "dev mode" not in line]
            self.out(
                f"{server.name} process: exit code {code}, {len(lines)} lines of output, "
                f"{len(problems)} saying something went wrong"
                + "".join(f"\n  {line[:300]}" for line in problems[:5])
            )


def round_line(number: int, p: ServerPass) -> str:
    return (
        f"  round {number} {p.side:<8}{p.turns_per_second:>7.0f} turns/s"
        f"{p.median_ms:>8.2f} ms p50{p.p99_ms:>8.2f} ms p99"
        f"{p.ms(p.server_cpu):>7.2f} server CPU ms/turn ({p.share(p.server_cpu):.0%} busy),"
        f" driver {p.share(p.driver_cpu):.0%}, others {p.share(p.others_cpu):.0%}"
    )


def report(passes: dict[str, list[ServerPass]], out: Callable[[str], None]) -> None:
    best = {side: max(ps, key=lambda p: p.turns_per_second) for side, ps in passes.items()}
    out("")
    out(f"best of {len(passes['bare'])} passes each (latency: the activity sent to the later of")
    out("the card's update and the next card's post arriving at the stand-in):")
    out(f"{'':<9}{'turns/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'server CPU ms/turn':>19}{'busy':>6}")
    for side in SIDES:
        p = best[side]
        out(
            f"{side:<9}{p.turns_per_second:>8.0f}{p.median_ms:>8.2f}{p.p99_ms:>8.2f}"
            f"{p.ms(p.server_cpu):>19.2f}{p.share(p.server_cpu):>6.0%}"
        )
    median = {side: statistics.median(p.ms(p.server_cpu) for p in passes[side]) for side in SIDES}
    lowest = {side: min(p.ms(p.server_cpu) for p in passes[side]) for side in SIDES}
    out("")
    out(
        f"server CPU per turn, median of the passes: bare {median['bare']:.2f} ms, advisor "
        f"{median['advisor']:.2f} ms (lowest: bare {lowest['bare']:.2f}, advisor "
        f"{lowest['advisor']:.2f}); advisor/bare {median['advisor'] / median['bare']:.2f}"
    )
    out("server CPU per turn, every pass, ms (others: other processes' share of a CPU):")
    for side in SIDES:
        out(
            f"  {side}: "
            + ", ".join(
                f"{p.ms(p.server_cpu):.2f} (others {p.share(p.others_cpu):.0%})"
                for p in passes[side]
            )
        )
    out("connector calls per turn:")
    for side in SIDES:
        p = best[side]
        parts = ", ".join(f"{name} {n / p.turns:.2f}" for name, n in sorted(p.calls.items()))
        out(f"  {side}: {parts}")
    p99 = {side: percentile(best[side].latencies, 0.99) for side in SIDES}
    if max(p99.values()) > TURN_TIMEOUT_SECONDS / 2:
        out("note: some turns took over half the turn timeout; the machine was overloaded")


async def main_async(options: Options, out: Callable[[str], None]) -> dict[str, list[ServerPass]]:
    for name in PROXY_ENV_VARS:  # requests would route the loopback connector calls via a proxy
        os.environ.pop(name, None)
    with (
        redis_server() as redis,
        tempfile.TemporaryDirectory(prefix="bench-teams-") as directory,
    ):
        place = Placement.choose(options.pinned)
        if place is not None:
            pin(os.getpid(), place.others)
            if redis.pid is not None:
                pin(redis.pid, place.others)
        async with (
            BenchConnector() as connector,
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_SECONDS),
            ) as http,
        ):
            bench = TeamsBench(
                options, connector, http, redis.url, redis.pid, Path(directory), place, out
            )
            out(f"redis:   {redis.label}")
            try:
                await bench.warm_up()
                return await bench.rounds()
            finally:
                bench.stop()
