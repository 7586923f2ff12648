"""Hardening figures (issue 13) against `llm-advisor serve` in its own process.

    .venv/bin/python -m bench.hardening [--users 20] [--random 150] [--slow 5]

One `serve` (Slack over HTTP and Teams in dev mode, a private redis-server), the Slack
stand-in Web API and the Bot Connector stand-in in this process. It counts:

- hostile requests tried on both endpoints (bench/hardening_cases.py) and the 5xx answers;
- double steps: people walk the whole assessment clicking every answer three times at once,
  Back twice at once, Skip twice at once; a step taken more than once is a double step;
- duplicate posts: a question (by its stamp) or a summary posted more than once, under those
  double clicks and under slow platforms (Slack answering chat.postMessage after the client's
  timeout, having posted; the connector answering a card after the bot's per-call limit);
- false errors: "Something went wrong" shown after a call that in fact went through;
- the longest inbound Teams request with a dead connector (refused port, or a black hole that
  accepts and never answers), with the default send deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

import aiohttp

from bench.common import redis_url
from bench.hardening_cases import named_cases, random_cases
from bench.hardening_figures import Figures
from bench.hardening_slack import SECRET, SLACK_TIMEOUT_SECONDS, Slack, slack_slow, slack_walk
from bench.hardening_teams import Teams, dead_connector, teams_slow, teams_walk
from bench.processes import ServerProcess, venv_tool
from dialogs.stores.redis_store import RedisStore
from tests.support.redis_server import free_port
from tests.support.slack_standin import PROXY_ENV_VARS, SlackStandIn
from tests.support.teams_connector import TeamsConnector

# ------------------------------------------------------------------------------- the run


async def hostile(http: aiohttp.ClientSession, base: str, figures: Figures, count: int) -> None:
    gate = asyncio.Semaphore(8)

    async def one(path: str, body: bytes, headers: dict[str, str]) -> int | None:
        async with gate:
            try:
                async with http.post(base + path, data=body, headers=headers) as response:
                    await response.read()
                    return response.status
            except aiohttp.ClientError:
                return None  # the server closed the connection (an oversized body)

    cases = [*named_cases(SECRET), *random_cases(SECRET, count)]
    statuses = await asyncio.gather(*(one(*case) for case in cases))
    figures.hostile_tried += len(cases)
    figures.hostile_5xx += sum(1 for s in statuses if s is not None and s >= 500)
    figures.hostile_unanswered += sum(1 for s in statuses if s is None)


async def run(args: argparse.Namespace) -> Figures:
    for name in PROXY_ENV_VARS:
        os.environ.pop(name, None)
    figures = Figures()
    with redis_url(appendonly=False) as (url, _), tempfile.TemporaryDirectory() as tmp:
        async with SlackStandIn() as standin, TeamsConnector() as connector:
            port = free_port()
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMS_", "ADVISOR_"))
            }
            env.update(
                SLACK_BOT_TOKEN="xoxb-bench",
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=standin.base_url,
                REDIS_URL=url,
                TEAMS_DEV_MODE="true",
                ADVISOR_SLACK_API_TIMEOUT_SECONDS=str(args.slack_timeout),
            )
            if args.code:  # another version of the code (a baseline): serve runs from there
                env["PYTHONPATH"] = args.code
            tool = venv_tool("llm-advisor") or "llm-advisor"
            argv = [tool, "serve", "--host", "127.0.0.1", "--port", str(port)]
            server = ServerProcess("advisor", argv, env, port, Path(tmp) / "serve.log")
            server.start()
            store = RedisStore.from_url(url, timeout_seconds=2.0)
            try:
                await server.ready("/readyz")
                async with aiohttp.ClientSession() as http:
                    base = f"http://127.0.0.1:{port}"
                    slack = Slack(http, base + "/slack/events", standin)
                    teams = Teams(http, base + "/api/messages", connector)
                    await hostile(http, base, figures, args.random)
                    await asyncio.gather(
                        *(slack_walk(slack, store, figures) for _ in range(args.users)),
                        *(teams_walk(teams, figures) for _ in range(args.users // 2)),
                    )
                    for _ in range(args.slow):  # one at a time: the delays are per method
                        await slack_slow(slack, figures, delay=args.slack_delay)
                        await teams_slow(teams, figures)
                    await dead_connector(teams, figures, 3)
            except Exception:
                print(f"serve's log ends:\n{server.log_tail(60)}")
                raise
            finally:
                await store.close()
                server.stop()
    return figures


def report(figures: Figures, args: argparse.Namespace) -> str:
    longest = max(figures.dead_requests, default=0.0)
    rows = [
        ("hostile requests tried (both endpoints)", f"{figures.hostile_tried}"),
        ("5xx answers (goal 0)", f"{figures.hostile_5xx}"),
        ("closed without an answer (oversized bodies)", f"{figures.hostile_unanswered}"),
        ("steps taken (answers, Back, Skip)", f"{figures.steps}"),
        ("clicks sent (every one doubled or tripled)", f"{figures.clicks}"),
        ("double steps (goal 0)", f"{figures.double_steps}"),
        ("duplicate posts under double clicks (goal 0)", f"{figures.duplicate_posts_clicks}"),
        ("turns with a slow platform (Slack and Teams)", f"{figures.slow_turns}"),
        ("duplicate posts under slow platforms (goal 0)", f"{figures.duplicate_posts_slow}"),
        ('"Something went wrong" after a late success (goal 0)', f"{figures.false_errors_slow}"),
        ("told instead that the platform is slow and the answer saved", f"{figures.slow_notices}"),
        (
            "longest inbound Teams request, dead connector, default deadline (goal < 15 s)",
            f"{longest:.2f} s (of {len(figures.dead_requests)})",
        ),
    ]
    lines = [
        f"`python -m bench.hardening --users {args.users} --random {args.random} "
        f"--slow {args.slow} --slack-timeout {args.slack_timeout:g} "
        f"--slack-delay {args.slack_delay:g}" + (f" --code {args.code}`" if args.code else "`"),
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in rows),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="Slack people (Teams: half)")
    parser.add_argument("--random", type=int, default=150, help="random hostile pairs")
    parser.add_argument("--slow", type=int, default=5, help="slow-platform turns per side")
    parser.add_argument(
        "--slack-delay",
        type=float,
        default=SLACK_TIMEOUT_SECONDS + 1.5,
        help="how late Slack answers the slow chat.postMessage (seconds)",
    )
    parser.add_argument(
        "--code", type=os.path.abspath, help="run serve from this source tree (a baseline)"
    )
    parser.add_argument(
        "--slack-timeout",
        type=float,
        default=SLACK_TIMEOUT_SECONDS,
        help="ADVISOR_SLACK_API_TIMEOUT_SECONDS for serve (its default is 30)",
    )
    args = parser.parse_args()
    if args.code:
        # The editable install maps bot.templates to this repository's templates/; a tree of
        # its own (a `git archive`) needs them beside its bot package to render its own.
        linked = Path(args.code, "bot", "templates")
        if not linked.exists():
            linked.symlink_to(Path(args.code, "templates").resolve(), target_is_directory=True)
    figures = asyncio.run(run(args))
    print(report(figures, args))
    for note in figures.notes:
        print(note)


if __name__ == "__main__":
    main()
