"""Slack benchmark: `llm-advisor serve` in its own process against a bare Bolt app in its own.

    python -m bench.bench_slack [--users N] [--concurrency N] [--rounds N] [--profile]
                                [--quiet-wait SECONDS] [--no-pin]

Three kinds of process on 127.0.0.1, plus a private redis-server on a free port (or the Redis
at REDIS_URL; never the shared 6379):

- advisor: `llm-advisor serve --host 127.0.0.1 --port N`, the console script of this venv,
  started as users start it, with SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL (the
  stand-in) and REDIS_URL in its environment (and ADVISOR_TURN_TIMEOUT_SECONDS=30: the bench
  measures latency, and a queued turn must not become an error). Its output (the JSON turn
  log) goes to a file, as to a log collector; lines saying something went wrong are shown.
- bare: `python -m bench.bare_slack` (see there), a minimal AsyncApp that acks the button and
  makes the advisor's two Web API calls per click, chat.update and chat.postMessage.
- this driver: the load generator and the stand-in Slack Web API (tests/support/slack_standin)
  on one event loop. Each simulated user opens a DM with the advisor ("hello"), clicks the
  button of every question (signed block_actions POSTs carrying the clicked message, as Slack
  sends them) and types only the number question, until the summary is posted; on the bare app
  it clicks as many times as an advisor user takes turns.

A turn is one request and the Web API calls it causes. p50/p99 run from sending the request to
the next question's (or the summary's) chat.postMessage arriving at the stand-in; "done" runs
to the later of that post and the chat.update of the answered message, and the user's next
request waits for it (not for the HTTP answer: Bolt answers once the listener has acked,
polling every 10 ms, which "ack" shows).

The advisor is warmed up first with the Block Kit check on; its typical question and answered
messages become the bare app's payloads, so both post the same bytes. Then the sides run
alternately (bare, advisor, ...). Per pass: turns per second, latencies, each server's CPU per
turn from /proc/<pid>/stat (utime + stime, all threads) and how busy it was, the driver's,
redis-server's and other processes' CPU, Web API calls per turn, and Redis commands per turn
counted on the server (INFO commandstats; the advisor process's client cannot be counted from
here: bench_engine and bench_teams count round trips on the client).

On a machine shared with other work: the servers are pinned to the last CPU and the driver,
redis-server and py-spy to the others (--no-pin leaves it to the scheduler), and each pass
first waits up to --quiet-wait seconds (90 in all) for other processes to use under 15% of a
CPU. The report gives the ratio of the best pass of each side, every round's ratio, the rounds
in which other processes stayed under 25% of a CPU, and the ratio of the servers' CPU per turn.

--profile then runs a pass of each side three times as long with py-spy sampling the server
(install it in the venv with `.venv/bin/python -m pip install py-spy`; it is not a dependency)
and prints where each process's CPU time goes, the issue's suspects first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import aiohttp
from redis import asyncio as aioredis

from bench import common, stacks
from bench.common import SIDES, BenchError, BenchRedis, redis_server
from bench.processes import (
    Placement,
    Sampler,
    ServerProcess,
    inherited_env,
    launch,
    pin,
    quiet_within,
    venv_tool,
)
from bench.slack_duel import ProcessPass, report, round_line, run_pass, stopped
from bench.slack_standin import BenchStandIn, answer_buttons, message_of
from bench.slack_users import (
    BOT_TOKEN,
    SECRET,
    Assessment,
    BareClicks,
    Client,
    advisor_assessment,
    bare_assessment,
    new_user,
)
from bot.slack.server import EVENTS_PATH
from tests.support.redis_server import free_port
from tests.support.slack_standin import PROXY_ENV_VARS, TEAM_ID

__all__ = ["Placement"]  # re-exported: teams_processes reads it from here (now in processes)

RATE: Final = 500  # py-spy samples per second
PROFILED: Final = 3  # a profiled pass is this many times as long as a measured one
QUIET_SHARE: Final = 0.15  # of a CPU: what other processes may use when a pass starts
# Variables of the advisor a developer's shell may carry; the servers get only the bench's.
ADVISOR_PREFIXES: Final = ("SLACK_", "ADVISOR_", "MICROSOFT_", "TEAMS_", "REDIS_URL")


def server_env(api_url: str, redis: str) -> dict[str, str]:
    env = inherited_env(ADVISOR_PREFIXES)
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        REDIS_URL=redis,
        ADVISOR_TURN_TIMEOUT_SECONDS="30",
    )
    return env


def advisor_process(folder: Path, env: dict[str, str]) -> ServerProcess:
    binary = venv_tool("llm-advisor")
    if binary is None:
        raise BenchError("llm-advisor is not installed in this environment (uv sync)")
    port = free_port()
    argv = [binary, "serve", "--host", "127.0.0.1", "--port", str(port)]
    return ServerProcess("advisor", argv, env, port, folder / "advisor.log")


def bare_process(folder: Path, env: dict[str, str], clicks: Mapping[str, object]) -> ServerProcess:
    payloads = folder / "bare-payloads.json"
    payloads.write_text(json.dumps(clicks))
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare_slack", "--port", str(port)]
    return ServerProcess(
        "bare", [*argv, "--payloads", str(payloads)], env, port, folder / "bare.log"
    )


@dataclass
class Options:
    users: int
    concurrency: int
    rounds: int
    profile: bool = False
    pinned: bool = True
    quiet_seconds: float = 15.0  # before each pass, wait up to this for other processes to idle
    quiet_budget: float = 90.0  # and at most this long in all


@dataclass
class Bench:
    """One run: the stand-in, the driver's HTTP session, the Redis and the two servers."""

    options: Options
    standin: BenchStandIn
    http: aiohttp.ClientSession
    redis: BenchRedis
    info: aioredis.Redis  # for INFO commandstats
    folder: Path
    place: Placement | None
    out: Callable[[str], None]
    servers: dict[str, ServerProcess] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    runs: dict[str, Callable[[str], Awaitable[Assessment]]] = field(default_factory=dict)
    quiet_left: float = 0.0

    def __post_init__(self) -> None:
        self.quiet_left = self.options.quiet_budget

    async def launch(self, server: ServerProcess, ready_path: str) -> Client:
        self.servers[server.name] = server
        await launch(server, ready_path, self.place)
        client = Client(http=self.http, url=server.url(EVENTS_PATH), standin=self.standin)
        self.clients[server.name] = client
        return client

    async def quiet(self) -> None:
        """Wait (a little) for other people's processes on this machine to finish."""
        pids = [s.pid for s in self.servers.values()]
        if self.redis.pid is not None:
            pids.append(self.redis.pid)
        self.quiet_left = await quiet_within(
            pids, share=QUIET_SHARE, seconds=self.options.quiet_seconds, left=self.quiet_left
        )

    async def one_pass(self, side: str, users: int, *, wait: bool = True) -> ProcessPass:
        if wait:
            await self.quiet()
        return await run_pass(
            side=side,
            run=self.runs[side],
            new_user=new_user,
            client=self.clients[side],
            server=self.servers[side],
            redis=self.info,
            redis_pid=self.redis.pid,
            users=users,
            concurrency=self.options.concurrency,
        )

    async def warm_up(self) -> int:
        """Start both servers and warm them up (the advisor's cards checked); the bare app
        gets the advisor's typical messages. Returns the turns of an assessment."""
        env = server_env(self.standin.base_url, self.redis.url)
        advisor = await self.launch(advisor_process(self.folder, env), "/readyz")
        self.runs["advisor"] = lambda user: advisor_assessment(advisor, user)
        typical = await self.runs["advisor"](new_user())
        warm = await self.one_pass("advisor", self.options.concurrency, wait=False)
        turns = len(typical.latencies)
        question = typical.posts[len(typical.posts) // 2]
        clicks = BareClicks(
            button=next(iter(answer_buttons(question).values()))[1:],
            message=message_of(question),
        )
        payloads = {
            "question": message_of(question),
            "answered": message_of(typical.updates[len(typical.updates) // 2]),
            "action_id": clicks.button[0],
        }
        bare = await self.launch(bare_process(self.folder, env, payloads), "/healthz")
        self.runs["bare"] = lambda user: bare_assessment(bare, user, turns, clicks)
        await self.one_pass("bare", self.options.concurrency, wait=False)
        problems = list(self.standin.card_problems)
        self.standin.check_cards = False
        out = self.out
        out(
            f"{self.options.users} simulated users per pass, {self.options.concurrency} at a "
            f"time, {turns} turns per assessment ({turns - 1} answers after the opening DM)"
        )
        for name, server in self.servers.items():
            out(f"{name + ':':<9}{' '.join(server.argv[1:6])} (pid {server.pid})")
        out(f"redis:   {self.redis.label}")
        out(
            f"machine: {os.cpu_count()} CPUs; driver (load generator and stand-in) pid "
            f"{os.getpid()}; "
            + (self.place.describe() if self.place is not None else "nothing pinned")
        )
        out(
            f"warm-up: {warm.turns} advisor turns; Block Kit problems in its cards: "
            f"{len(problems)}" + "".join(f"\n  {p}" for p in problems[:5])
        )
        return turns

    async def rounds(self) -> float:
        passes: dict[str, list[ProcessPass]] = {side: [] for side in SIDES}
        for number in range(1, self.options.rounds + 1):
            for side in SIDES:
                result = await self.one_pass(side, self.options.users)
                passes[side].append(result)
                self.out(round_line(number, result))
        share = report(passes, self.out)
        for side in SIDES:
            self.out(f"{side} process resident memory: {self.servers[side].rss_megabytes():.0f} MB")
        return share

    async def profile(self, spy: str) -> None:
        """One more pass of each side, PROFILED times as long, with py-spy sampling the server."""
        sampled = {}
        for side in SIDES:
            await self.quiet()
            sampler = Sampler(spy, self.servers[side].pid, self.folder / f"{side}.stacks", RATE)
            sampler.start()
            if self.place is not None and sampler.process is not None:
                pin(sampler.process.pid, self.place.others)
            await sampler.attached()
            result = await self.one_pass(side, PROFILED * self.options.users, wait=False)
            path = await sampler.stop()
            cpu = result.server_cpu / result.turns
            sampled[side] = stacks.read_samples(
                path, rate=RATE, turns=result.turns, cpu_per_turn=cpu
            )
            self.out(round_line(0, result).replace("round 0", "profiled"))
        for line in stacks.report(sampled["bare"], sampled["advisor"]):
            self.out(line)

    def stop(self) -> None:
        for server in self.servers.values():
            self.out(stopped(server))


async def main_async(options: Options, out: Callable[[str], None]) -> float:
    for name in PROXY_ENV_VARS:  # slack_sdk would route loopback traffic through a proxy
        os.environ.pop(name, None)
    spy = venv_tool("py-spy") if options.profile else None
    if options.profile and spy is None:
        raise BenchError("--profile needs py-spy: .venv/bin/python -m pip install py-spy")
    with (
        redis_server() as redis,
        tempfile.TemporaryDirectory(prefix="bench-slack-") as directory,
    ):
        place = Placement.choose(options.pinned)
        if place is not None:
            place.pin_driver(redis.pid)
        info = aioredis.Redis.from_url(redis.url, decode_responses=True)
        async with (
            BenchStandIn() as standin,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
        ):
            bench = Bench(options, standin, http, redis, info, Path(directory), place, out)
            try:
                await bench.warm_up()
                share = await bench.rounds()
                if spy is not None:
                    out("")
                    await bench.profile(spy)
                return share
            finally:
                bench.stop()
                if redis.pid is None:
                    out(f"the sessions written to REDIS_URL stay until their TTL (team {TEAM_ID})")
                await info.aclose()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = common.side_by_side_parser(
        prog="python -m bench.bench_slack",
        description="`llm-advisor serve` in its own process against a bare Bolt app in its own, "
        "making the same Web API calls per click on a local stand-in Web API.",
        users=100,
        rounds=6,
        concurrency=20,
        profile_help="then sample one more pass of each server with py-spy and print where "
        "their CPU time goes",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="before each pass, wait up to this long for other processes on the machine to "
        "use under 15%% of a CPU (15; 90 in all)",
    )
    parser.add_argument(
        "--no-pin",
        dest="pinned",
        action="store_false",
        help="leave CPU placement to the scheduler (by default the servers get the last CPU "
        "and the driver, redis-server and py-spy the others)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(
        users=args.users,
        concurrency=args.concurrency,
        rounds=args.rounds,
        profile=args.profile,
        pinned=args.pinned,
        quiet_seconds=args.quiet_wait,
    )
    asyncio.run(main_async(options, print))
    return 0


if __name__ == "__main__":
    sys.exit(main())
