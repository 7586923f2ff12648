"""Teams benchmark: simulated users completing assessments over HTTP, against a bare bot.

    python -m bench.bench_teams [--sdk botbuilder|agents] [--users N] [--concurrency N]
                                [--rounds N] [--code DIR] [--no-pin] [--quiet-wait SECONDS]
    python -m bench.bench_teams --in-process [--sdk ...] [--profile]

By default each bot runs in its own process, as bench_slack runs Slack's, so a Teams turn's
server CPU sits beside a Slack turn's (bench/teams_processes.py): the advisor is `llm-advisor
serve --teams-dev` with TEAMS_SDK=<sdk> (from the source tree DIR with --code DIR, to measure a
baseline), the bare bot `python -m bench.bare_teams --sdk <sdk>`; this process is the load
generator and the stand-in Bot Connector; CPU per turn is each server process's (/proc, all
threads), the servers pinned to the last CPU and the rest to the others.

--in-process (and --profile, which needs it) runs everything on 127.0.0.1 in this process
instead (one event loop, plus the worker threads botbuilder's connector client sends on), plus a
private redis-server on a free port (or the Redis at REDIS_URL): the stand-in Bot Connector
(tests/support/teams_connector), and two bots of the chosen SDK in dev mode (no app id:
unauthenticated requests accepted), each served by aiohttp at POST /api/messages, with every
activity's serviceUrl pointing at the stand-in:

- advisor: the real adapter and bot from `create_teams_bot` on a RedisStore, routed by
  `add_teams_routes`, as `llm-advisor serve` serves them. Each simulated user says
  "hello" in a personal chat, clicks the option of every question (Action.Submit: a message with
  `value` and `replyToId` = the question card's id) and types only the number question, until the
  summary card is posted.
- bare: a TeamsActivityHandler on a CloudAdapter with the same dev-mode configuration, served the
  way botbuilder's samples serve one (`await adapter.process(request, bot)`), whose
  on_message_activity updates the replied-to card (`update_activity`) and sends one card
  (`send_activity`), and does nothing else. It sends the advisor's own question and answered
  cards (captured during the warm-up), so both sides send the same bytes per call, and its users
  click with the advisor's own submit data. They click as many times as an advisor user takes
  turns.

A turn is one activity and the connector calls it causes: it ends when the update of the card
being answered (PUT .../activities/{id}) and the post of the next question or of the summary
(POST .../activities/{replyToId}) have reached the stand-in. Latency is measured from sending
the activity to the arrival of the later of those calls. CloudAdapter answers the HTTP request
only after the turn, so each simulated user also waits for that answer before its next turn.

Both bots are warmed up, then measured alternately (bare, advisor, bare, advisor, ...); the best
pass of each is reported, so machine noise affects both alike. The stand-in validates every card
against the Adaptive Card 1.5 schema during the warm-up only: that check is the test's work, not
the bot's, and it shares the event loop. The load generator and the stand-in share the loop too,
so their cost per turn is in both sides' numbers; the ratio is that of the whole process's
throughput, not of the bots alone.

It prints, per side, assessments and turns per second, median and p99 turn latency, this
process's CPU time per turn (all threads; the redis-server's is not in it), and the connector
calls per turn (about 2 on both: the sides do the same Teams work), then the advisor/bare ratio of
turns per second; the aim is at least 0.7.

--profile adds one cProfile'd pass of each side after the measured rounds, timing every function
by its own thread's CPU clock, on the loop and on the worker threads the connector client sends
from, and prints CPU time per turn by area and the 20 functions whose own time grows most from
bare to advisor: that difference is the advisor's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import operator
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import aiohttp

from bench import common, teams_processes
from bench.common import ANSWERS, TURN_TIMEOUT_SECONDS, bench_store, redis_url
from bench.duel import Duel, Pass, duel
from bench.profiling import Areas, Profiled, ProfileText, tally
from bench.teams_agents_sides import advisor_agents_application, bare_agents_application
from bench.teams_sides import (
    NO_CHART_ANSWERS,
    Assessment,
    BareCards,
    BenchConnector,
    Client,
    Person,
    advisor_application,
    advisor_assessment,
    bare_application,
    bare_assessment,
    card_of,
    choose,
    option_data,
    serve,
)
from bot.app import create_advisor
from bot.settings import Settings
from tests.support.slack_standin import PROXY_ENV_VARS
from tests.support.teams_connector import ConnectorCall

# ---------------------------------------------------------------------------- profiling


AREAS: Final = Areas(
    files=(
        ("bot/teams", "bot.teams (adapter)"),
        ("/bot/", "bot (rendering)"),
        ("/dialogs/", "dialogs (engine)"),
        ("/jinja2/", "jinja2"),
        ("/templates/", "jinja2"),
        ("/botbuilder/", "botbuilder"),
        ("/botframework/", "botframework (connector)"),
        ("/msrest/", "msrest"),
        ("/isodate/", "msrest"),
        ("/requests/", "requests and urllib3"),
        ("/urllib3/", "requests and urllib3"),
        ("/redis/", "redis-py"),
        ("/aiohttp/", "aiohttp"),
        ("/multidict/", "aiohttp"),
        ("/yarl/", "aiohttp"),
        ("/tests/support/", "stand-in and activities"),
        ("/bench/", "bench driver"),
        ("concurrent/futures", "threads"),
        ("threading", "threads"),
        ("asyncio", "asyncio and selectors"),
        ("selectors", "asyncio and selectors"),
        ("/json/", "json"),
        ("/http/", "http.client"),
        ("/email/", "http.client"),
    ),
    builtins=(  # "<built-in method ...>" / "<method ... of ... objects>"
        (("json",), "json"),
        (("select", "socket", "_asyncio", "_ssl"), "asyncio and selectors"),
        (("lock", "thread"), "threads"),
    ),
)
PROFILE_TEXT: Final = ProfileText(
    area_heading=(
        "CPU time per turn by area, under cProfile (which inflates small calls), microseconds,",
        "loop thread and connector-client worker threads together:",
    ),
    area_width=28,
    own_heading="own CPU time per turn (us) by function, top 20 by advisor minus bare:",
    own_rows=20,
    own_difference=True,
    cumulative_heading="advisor pass, cumulative CPU time per turn (us), SDK and ours, top 40:",
    advisor_own_rows=25,
    cumulative_rows=40,
    cumulative_ours_only=False,
)


async def profiled(run: Callable[[], Awaitable[Pass]], *, executor: ThreadPoolExecutor) -> Profiled:
    """Run a pass under cProfile on the loop thread and on every thread of a fresh default
    executor (where msrest sends with requests), then put `executor` back as the default; each
    profile times by its thread's CPU clock, so waiting is not counted and the threads' work is.
    """
    loop = asyncio.get_running_loop()
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start() -> None:
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        profile.enable()

    # As many threads as asyncio's own default executor has.
    workers = ThreadPoolExecutor(
        max_workers=min(32, (os.cpu_count() or 1) + 4),
        thread_name_prefix="bench-profiled",
        initializer=start,
    )
    loop.set_default_executor(workers)
    main = cProfile.Profile(time.thread_time)
    main.enable()
    try:
        result = await run()
    finally:
        main.disable()
        loop.set_default_executor(executor)
        # Threads that end take their (still enabled) profilers' hooks with them.
        await asyncio.to_thread(workers.shutdown)
    return tally([main, *profiles], turns=result.turns, areas=AREAS, combine=operator.add)


# ---------------------------------------------------------------------------- reporting


NOTE: Final = (
    "note: the load generator and the stand-in connector share this process and its event"
    " loop with both bots; their cost is in both sides' numbers."
)


# ---------------------------------------------------------------------------- wiring


async def main_async(
    *,
    users: int,
    concurrency: int,
    rounds: int,
    profile: bool,
    out: Callable[[str], None],
    sdk: str = "botbuilder",
    chart: bool = True,
) -> float:
    for name in PROXY_ENV_VARS:  # requests would route the loopback connector calls via a proxy
        os.environ.pop(name, None)
    # asyncio's own default executor, made here so --profile can swap it out and back.
    executor = ThreadPoolExecutor(thread_name_prefix="asyncio")
    asyncio.get_running_loop().set_default_executor(executor)
    with redis_url() as (url, label):
        store = bench_store(url, timeout_seconds=2.0)
        async with (
            BenchConnector() as connector,
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_SECONDS),
            ) as http,
        ):
            settings = Settings(
                redis_url=url,
                teams_dev_mode=True,
                teams_sdk=sdk,
                # Generous: the bench measures latency; a queued turn must not become an error.
                turn_timeout_seconds=TURN_TIMEOUT_SECONDS,
            )
            advisor = create_advisor(settings, store=store)
            cards = BareCards()
            if sdk == "agents":  # both sides on the Agents SDK (bench/teams_agents_sides.py)
                advisor_app = advisor_agents_application(settings, advisor)
                bare_app = bare_agents_application(cards)
            else:
                advisor_app = advisor_application(settings, advisor)
                bare_app = bare_application(cards)
            advisor_runner, advisor_url = await serve(advisor_app)
            bare_runner, bare_url = await serve(bare_app)
            service_url = connector.service_url
            advisor_client = Client(http=http, url=advisor_url, service_url=service_url)
            bare_client = Client(http=http, url=bare_url, service_url=service_url)

            async def bare_run(person: Person, turns: int) -> Assessment:
                return await bare_assessment(bare_client, connector, person, turns, cards.value)

            answers = ANSWERS if chart else NO_CHART_ANSWERS

            def calibrate(typical: Assessment) -> None:
                question = next(
                    q for q in typical.posts[len(typical.posts) // 2 :] if option_data(q)
                )
                cards.question = card_of(question)
                cards.value = choose(question, answers) or {}
                cards.answered = card_of(typical.updates[len(typical.updates) // 2])

            async def profiled_here(run: Callable[[], Awaitable[Pass]]) -> Profiled:
                return await profiled(run, executor=executor)

            sides = Duel[Person, ConnectorCall](
                advisor=lambda person: advisor_assessment(
                    advisor_client, connector, person, answers
                ),
                bare=bare_run,
                new_user=Person,
                calls=connector.operations,
                calibrate=calibrate,
                stand_in=connector,
                profiled=profiled_here,
                profile_text=PROFILE_TEXT,
                # The stand-in's own log; the inboxes hold what the bench reads.
                before_pass=connector.calls.clear,
                opening="message",
                cards="Adaptive Card",
                calls_name="connector calls",
                setting=(
                    "load generator, stand-in Bot Connector and both bots share one event loop"
                    " on 127.0.0.1 (connector calls go out from worker threads, as botbuilder"
                    " sends them)",
                ),
                notes=(NOTE,),
            )
            try:
                return await duel(
                    sides,
                    users=users,
                    concurrency=concurrency,
                    rounds=rounds,
                    profile=profile,
                    label=label,
                    out=out,
                )
            finally:
                for runner in (advisor_runner, bare_runner):
                    await runner.cleanup()
                await store.close()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = common.side_by_side_parser(
        prog="python -m bench.bench_teams",
        description="Simulated Teams users completing assessments: the advisor (`llm-advisor "
        "serve`) against a bare bot of the same SDK making the same connector calls per click, "
        "each in its own process, on a local stand-in Bot Connector.",
        users=16,
        profile_help="(in process) then profile one pass of each side with cProfile and print "
        "where the CPU goes",
    )
    parser.add_argument(
        "--sdk",
        choices=("botbuilder", "agents"),
        default="botbuilder",
        help="the Teams SDK of both sides: botbuilder (default) or the Microsoft 365 Agents SDK",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run both bots, the stand-in and the load generator in this process (--profile "
        "implies it); by default each bot runs in its own process",
    )
    parser.add_argument(
        "--code",
        metavar="DIR",
        type=os.path.abspath,
        help="run the advisor from this source tree (a `git archive` of a baseline)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="before each pass, wait up to this long for other processes to go quiet (15)",
    )
    parser.add_argument(
        "--no-pin", dest="pinned", action="store_false", help="leave CPU placement to the OS"
    )
    parser.add_argument(
        "--no-chart",
        dest="chart",
        action="store_false",
        help="answer the volume 'not known', so no summary draws the cost chart (about 140 ms "
        "of CPU per assessment, in a thread)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.in_process or args.profile:
        asyncio.run(
            main_async(
                users=args.users,
                concurrency=args.concurrency,
                rounds=args.rounds,
                profile=args.profile,
                out=print,
                sdk=args.sdk,
                chart=args.chart,
            )
        )
        return 0
    options = teams_processes.Options(
        users=args.users,
        concurrency=args.concurrency,
        rounds=args.rounds,
        sdk=args.sdk,
        pinned=args.pinned,
        quiet_seconds=args.quiet_wait,
        code=args.code,
        chart=args.chart,
    )
    asyncio.run(teams_processes.main_async(options, print))
    return 0


if __name__ == "__main__":
    sys.exit(main())
