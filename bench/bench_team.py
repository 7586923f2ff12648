"""Team benchmark (issue 14): a team member's answer turn against a personal answer turn, side
by side, on `llm-advisor serve` in its own process.

    python -m bench.bench_team [--users N] [--concurrency N] [--rounds N]

One server process, started as users start it (bench/bench_slack.py's `advisor_process` and
environment: SLACK_API_URL pointing at the stand-in Web API in this driver, REDIS_URL at a
private redis-server on a free port, or at REDIS_URL when set; never the shared 6379), and
this driver: the load generator and the stand-in, on one event loop. Each round runs both
sides on the same process and Redis, alternately:

- personal: --users people each open a DM ("hello") and answer every question in it
  (bench/slack_users.py: clicks, the number question typed);
- team: a facilitator starts a team in a fresh channel (`/llm-advisor team`, signed); --users
  members join from the card and answer the same questions in their DMs (bench/team_users.py:
  clicks, the number question typed), so their answers are stored under the team, hand
  themselves to the team at each member's summary, and the card is kept up to date.

At most --concurrency people answer at once on either side. A turn is one answer: from sending
the click (or the typed figure) to the later of the answered message's update and the post of
the next question or the summary. The opening DM and the join are not counted, so both sides
count the same turns. Reported: median and p95 of each side and the team/personal ratio, for
each round and for all rounds together, with the server's CPU per turn (/proc) and the Web API
calls per turn (the team side's include its card updates).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import aiohttp
from redis import asyncio as aioredis

from bench import common
from bench.bench_slack import advisor_process, server_env
from bench.common import ANSWERS, BenchRedis, percentile, redis_server
from bench.processes import ServerProcess
from bench.slack_duel import ProcessPass, log_findings, run_pass
from bench.slack_standin import BenchStandIn
from bench.slack_users import Assessment, Client, advisor_assessment, new_user
from bench.team_users import TeamCard, answer_all, join, start_team
from bot.slack.server import EVENTS_PATH
from tests.support.slack_standin import PROXY_ENV_VARS

SIDES: Final = ("personal", "team")


@dataclass
class Options:
    users: int
    concurrency: int
    rounds: int


@dataclass
class Bench:
    """One run: the stand-in, the driver's HTTP session, the Redis and the server process."""

    options: Options
    client: Client
    server: ServerProcess
    redis: BenchRedis
    info: aioredis.Redis  # for INFO commandstats (run_pass reads it)
    out: Callable[[str], None]
    team: TeamCard | None = None
    passes: dict[str, list[ProcessPass]] = field(default_factory=dict)

    async def personal(self, user: str) -> Assessment:
        """One person's own assessment; its answer turns (the opening DM left out)."""
        done = await advisor_assessment(self.client, user)
        done.latencies, done.post_latencies = done.latencies[1:], done.post_latencies[1:]
        return done

    async def member(self, user: str) -> Assessment:
        """One member of the pass's team: joins from the card, answers; their answer turns."""
        if self.team is None:
            raise common.BenchError("no team started for this pass")
        member = await join(self.client, self.team, user)
        await answer_all([self.client], member, ANSWERS, typed=True)
        self.client.standin.inboxes.pop(member.channel, None)
        return member.turns

    async def one_pass(self, side: str, users: int) -> ProcessPass:
        if side == "team":
            channel = "C" + uuid.uuid4().hex[:10].upper()
            self.team = await start_team(self.client, new_user(), channel, "Bench team")
        run = self.member if side == "team" else self.personal
        try:
            return await run_pass(
                side=side,
                run=run,
                new_user=new_user,
                client=self.client,
                server=self.server,
                redis=self.info,
                redis_pid=self.redis.pid,
                users=users,
                concurrency=self.options.concurrency,
            )
        finally:
            if self.team is not None:
                self.client.standin.inboxes.pop(self.team.channel, None)
                self.team = None

    async def warm_up(self) -> None:
        """A pass of each side at the concurrency, not counted; the cards checked once."""
        for side in SIDES:
            await self.one_pass(side, self.options.concurrency)
        standin = self.client.standin
        problems = list(standin.card_problems)
        standin.check_cards = False
        self.out(
            f"{self.options.users} people per pass and side, {self.options.concurrency} at a "
            f"time, {self.options.rounds} round(s); the number question typed on both sides"
        )
        self.out(f"server:  {' '.join(self.server.argv[1:6])} (pid {self.server.pid})")
        self.out(f"redis:   {self.redis.label}")
        self.out(f"machine: {os.cpu_count()} CPUs; driver pid {os.getpid()}, nothing pinned")
        self.out(
            f"warm-up: Block Kit problems in the cards: {len(problems)}"
            + "".join(f"\n  {p}" for p in problems[:5])
        )

    async def rounds(self) -> dict[str, list[ProcessPass]]:
        self.passes = {side: [] for side in SIDES}
        for number in range(1, self.options.rounds + 1):
            for side in SIDES:
                self.passes[side].append(await self.one_pass(side, self.options.users))
            self.out(f"round {number}: " + "; ".join(figures(self.passes[s][-1]) for s in SIDES))
        return self.passes


def figures(p: ProcessPass) -> str:
    return f"{p.side} median {p.median_ms:.1f} ms, p95 {p95_ms(p.latencies):.1f} ms"


def p95_ms(latencies: Sequence[float]) -> float:
    return percentile(latencies, 0.95) * 1000


@dataclass(frozen=True)
class Side:
    """One side's answer turns over every round."""

    name: str
    latencies: tuple[float, ...]
    server_cpu: float
    calls: int

    @classmethod
    def pooled(cls, name: str, passes: Sequence[ProcessPass]) -> Side:
        return cls(
            name=name,
            latencies=tuple(x for p in passes for x in p.latencies),
            server_cpu=sum(p.server_cpu for p in passes),
            calls=sum(sum(p.calls.values()) for p in passes),
        )

    @property
    def turns(self) -> int:
        return len(self.latencies)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        return p95_ms(self.latencies)


def report(passes: dict[str, list[ProcessPass]]) -> list[str]:
    """The side-by-side table (markdown), all rounds pooled, and the ratios."""
    sides = [Side.pooled(name, passes[name]) for name in SIDES]
    lines = [
        "| answer turn | turns | median | p95 | server CPU per turn | Web API calls per turn |",
        "|---|---|---|---|---|---|",
    ]
    for s in sides:
        lines.append(
            f"| {s.name} | {s.turns} | {s.median_ms:.1f} ms | {s.p95_ms:.1f} ms | "
            f"{s.server_cpu / s.turns * 1000:.2f} ms | {s.calls / s.turns:.2f} |"
        )
    personal, team = sides
    lines.append(
        f"team / personal: median {common.ratio(team.median_ms, personal.median_ms)}, "
        f"p95 {common.ratio(team.p95_ms, personal.p95_ms)}, server CPU per turn "
        f"{common.ratio(team.server_cpu / team.turns, personal.server_cpu / personal.turns)}"
    )
    return lines


async def main_async(options: Options, out: Callable[[str], None]) -> dict[str, list[ProcessPass]]:
    for name in PROXY_ENV_VARS:  # slack_sdk would route loopback traffic through a proxy
        os.environ.pop(name, None)
    with redis_server() as redis, tempfile.TemporaryDirectory(prefix="bench-team-") as folder:
        info = aioredis.Redis.from_url(redis.url, decode_responses=True)
        connector = aiohttp.TCPConnector(limit=0)
        async with BenchStandIn() as standin, aiohttp.ClientSession(connector=connector) as http:
            server = advisor_process(Path(folder), server_env(standin.base_url, redis.url))
            server.start()
            try:
                await server.ready("/readyz")
                client = Client(http=http, url=server.url(EVENTS_PATH), standin=standin)
                bench = Bench(options, client, server, redis, info, out)
                await bench.warm_up()
                passes = await bench.rounds()
                for line in report(passes):
                    out(line)
                return passes
            finally:
                code = await asyncio.to_thread(server.stop)  # the stand-in answers meanwhile
                problems = log_findings(server.log_lines())
                out(
                    f"server process: exit code {code}, {len(problems)} lines saying something "
                    "went wrong" + "".join(f"\n  {line[:300]}" for line in problems[:5])
                )
                await info.aclose()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_team",
        description="A team member's answer turn against a personal answer turn, side by side, "
        "on `llm-advisor serve` in its own process.",
    )
    parser.add_argument(
        "--users", type=common.positive, default=50, help="people per pass and side (50)"
    )
    parser.add_argument(
        "--concurrency", type=common.positive, default=10, help="people answering at once (10)"
    )
    parser.add_argument(
        "--rounds", type=common.positive, default=3, help="rounds of both sides, alternated (3)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(users=args.users, concurrency=args.concurrency, rounds=args.rounds)
    asyncio.run(main_async(options, print))
    return 0


if __name__ == "__main__":
    sys.exit(main())
