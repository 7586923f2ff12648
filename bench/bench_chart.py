"""Chart benchmark: Slack turn latency with and without the cost chart, side by side.

    python -m bench.bench_chart [--users N] [--concurrency N] [--rounds N]

One `llm-advisor serve` process (the console script of this venv, as bench_slack starts it:
its own process, a private redis-server, the stand-in Web API in this driver process), and
simulated users doing whole assessments in DMs, `--concurrency` at a time. The passes
alternate between two kinds of user on the same server:

- "chart": the tests' answers, 2B tokens a month typed: the summary turn draws the chart in a
  worker thread and uploads it (files.getUploadURLExternal, the upload, and
  files.completeUploadExternal) after posting the summary;
- "no chart": the same answers but the volume "not sure yet": no cost section, so no chart.

While some users' charts are drawn and uploaded, the other users go on answering questions,
so if drawing held the event loop their question turns would slow down. Per pass: the
question turns' latency (request to the next question's post at the stand-in, p50 and p99),
the summary turn's (request to the summary's post), the chart's (the same request to
files.completeUploadExternal), how many charts arrived, and the server's CPU per turn
(/proc/<pid>/stat). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import aiohttp

from bench.bench_slack import advisor_process, server_env
from bench.common import ANSWERS, TYPED_ANSWER, BenchError, percentile, positive, redis_server
from bench.processes import ServerProcess
from bench.slack_duel import log_findings
from bench.slack_standin import BenchStandIn, answer_buttons, is_summary
from bench.slack_users import Client, new_user
from bot.slack.server import EVENTS_PATH
from tests.support.slack_standin import PROXY_ENV_VARS, Call

WITH: Final = "chart"
WITHOUT: Final = "no chart"
CHART_WAIT_SECONDS: Final = 30.0
#: The "no chart" users: the volume not known, so the summary has no cost section.
NO_VOLUME: Final = {
    **{k: v for k, v in ANSWERS.items() if k != "monthly_tokens"},
    "volume": "unknown",
}


class ChartStandIn(BenchStandIn):
    """The bench stand-in, also noting when each channel's chart upload completed."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, float] = {}
        self.chart_arrived = asyncio.Event()

    def _record(self, call: Call) -> None:
        if call.method == "files.completeUploadExternal":
            self.charts[str(call.payload.get("channel_id", ""))] = time.perf_counter()
            self.chart_arrived.set()
        super()._record(call)

    async def chart_for(self, channel: str) -> float | None:
        """When `channel`'s chart arrived; None if none did within CHART_WAIT_SECONDS."""
        try:
            async with asyncio.timeout(CHART_WAIT_SECONDS):
                while channel not in self.charts:
                    self.chart_arrived.clear()
                    await self.chart_arrived.wait()
        except TimeoutError:
            return None
        return self.charts.pop(channel)


@dataclass
class UserRun:
    """One user's assessment: question turn latencies, the summary's, the chart's."""

    questions: list[float] = field(default_factory=list)
    summary: float = 0.0
    chart: float | None = None


async def assessment(
    client: Client, standin: ChartStandIn, answers: Mapping[str, str], *, chart: bool
) -> UserRun:
    """Open a DM and answer every question (buttons; the number question typed) up to the
    summary; then, on the chart side, wait for the chart."""
    user = new_user()
    channel = "D" + user
    inbox = standin.watch(channel)
    run = UserRun()
    try:
        began = client.dm(user, channel, "hello")
        seen = await inbox.seen(None)
        while not is_summary(seen.post):
            client.check()
            run.questions.append(seen.posted - began)
            post = seen.post
            buttons = answer_buttons(post)
            if buttons:
                first = next(iter(buttons.values()))
                _, action_id, value = buttons.get(answers.get(first[0], ""), first)
                ts = str(post.result["ts"])
                began = client.click(user, channel, (action_id, value), ts, post.payload)
            else:
                began = client.dm(user, channel, TYPED_ANSWER)
            seen = await inbox.seen(str(post.result["ts"]))
        run.summary = seen.posted - began
        if chart:
            arrived = await standin.chart_for(channel)
            run.chart = None if arrived is None else arrived - began
    finally:
        standin.inboxes.pop(channel, None)
    return run


@dataclass(frozen=True, kw_only=True)
class Pass:
    side: str
    runs: tuple[UserRun, ...]
    seconds: float
    server_cpu: float

    @property
    def questions(self) -> list[float]:
        return [x for r in self.runs for x in r.questions]

    @property
    def summaries(self) -> list[float]:
        return [r.summary for r in self.runs]

    @property
    def charts(self) -> list[float]:
        return [r.chart for r in self.runs if r.chart is not None]

    @property
    def turns(self) -> int:
        return len(self.questions) + len(self.runs)

    def cpu_ms_per_turn(self) -> float:
        return self.server_cpu / self.turns * 1000


def ms(values: Sequence[float], share: float | None = None) -> str:
    if not values:
        return "-"
    value = statistics.median(values) if share is None else percentile(values, share)
    return f"{value * 1000:.1f}"


async def one_pass(
    side: str,
    *,
    client: Client,
    standin: ChartStandIn,
    server: ServerProcess,
    users: int,
    at: int,
) -> Pass:
    chart = side == WITH
    answers = ANSWERS if chart else NO_VOLUME
    left = list(range(users))
    runs: list[UserRun] = []

    async def worker() -> None:
        while left:
            left.pop()
            runs.append(await assessment(client, standin, answers, chart=chart))

    cpu_began, began = server.cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(users, at))))
    seconds = time.perf_counter() - began
    await client.settle()
    return Pass(
        side=side,
        runs=tuple(runs),
        seconds=seconds,
        server_cpu=server.cpu_seconds() - cpu_began,
    )


def pass_line(number: int, p: Pass) -> str:
    return (
        f"  round {number} {p.side:<9} questions p50 {ms(p.questions):>6} p99 "
        f"{ms(p.questions, 0.99):>6} ms | summary p50 {ms(p.summaries):>6} p99 "
        f"{ms(p.summaries, 0.99):>6} ms | chart p50 {ms(p.charts):>6} p99 "
        f"{ms(p.charts, 0.99):>6} ms ({len(p.charts)}/{len(p.runs)}) | server CPU "
        f"{p.cpu_ms_per_turn():.2f} ms/turn"
    )


def report(passes: Mapping[str, list[Pass]], out: Callable[[str], None]) -> None:
    """Each side's figures over all its passes, side by side."""
    out("")
    out(
        "| side | question turns p50 / p99 ms | summary turn p50 / p99 ms | "
        "chart arrived p50 / p99 ms | charts | server CPU ms/turn |"
    )
    out("|---|---|---|---|---|---|")
    for side in (WITHOUT, WITH):
        runs = passes[side]
        q = [x for p in runs for x in p.questions]
        s = [x for p in runs for x in p.summaries]
        c = [x for p in runs for x in p.charts]
        users = sum(len(p.runs) for p in runs)
        cpu = statistics.median(p.cpu_ms_per_turn() for p in runs)
        out(
            f"| {side} | {ms(q)} / {ms(q, 0.99)} | {ms(s)} / {ms(s, 0.99)} | "
            f"{ms(c)} / {ms(c, 0.99)} | {len(c)} of {users} | {cpu:.2f} |"
        )
    if not any(p.charts for p in passes[WITH]):
        out("No chart arrived: the summaries carried no cost section the chart can draw.")


async def main_async(options: argparse.Namespace, out: Callable[[str], None]) -> int:
    for name in PROXY_ENV_VARS:
        os.environ.pop(name, None)
    with (
        redis_server() as redis,
        tempfile.TemporaryDirectory(prefix="bench-chart-") as directory,
    ):
        async with (
            ChartStandIn() as standin,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
        ):
            server = advisor_process(Path(directory), server_env(standin.base_url, redis.url))
            server.start()
            try:
                await server.ready("/readyz")
                client = Client(http=http, url=server.url(EVENTS_PATH), standin=standin)
                for side in (WITHOUT, WITH):  # warm-up: imports, first chart, caches
                    await one_pass(
                        side, client=client, standin=standin, server=server, users=8, at=4
                    )
                out(
                    f"{options.users} users a pass, {options.concurrency} at a time; "
                    f"server: {' '.join(server.argv[1:6])} (pid {server.pid}); "
                    f"{os.cpu_count()} CPUs; redis: {redis.label}"
                )
                passes: dict[str, list[Pass]] = {WITHOUT: [], WITH: []}
                for number in range(1, options.rounds + 1):
                    for side in (WITHOUT, WITH):
                        result = await one_pass(
                            side,
                            client=client,
                            standin=standin,
                            server=server,
                            users=options.users,
                            at=options.concurrency,
                        )
                        passes[side].append(result)
                        out(pass_line(number, result))
                report(passes, out)
                out(f"server resident memory after the run: {server.rss_megabytes():.0f} MB")
            finally:
                code = server.stop()
                warnings = log_findings(server.log_lines())
                out(
                    f"server exit code {code}; {len(warnings)} lines saying something went wrong"
                    + "".join(f"\n  {line[:200]}" for line in warnings[:5])
                )
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_chart", description=__doc__)
    parser.add_argument("--users", type=positive, default=40, help="users per pass (40)")
    parser.add_argument("--concurrency", type=positive, default=10, help="at once (10)")
    parser.add_argument("--rounds", type=positive, default=4, help="pairs of passes (4)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        return asyncio.run(main_async(options, print))
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
