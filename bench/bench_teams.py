"""Teams benchmark: simulated users completing assessments over HTTP, against a bare botbuilder bot.

    python -m bench.bench_teams [--users N] [--concurrency N] [--rounds N] [--profile]

Everything runs on 127.0.0.1 in this process (one event loop, plus the worker threads botbuilder's
connector client sends on), plus a private redis-server on a free port (or the Redis at
REDIS_URL): the stand-in Bot Connector (tests/support/teams_connector), and two bots behind
botbuilder's CloudAdapter in dev mode (no app id: unauthenticated requests accepted), each served
by aiohttp at POST /api/messages, with every activity's serviceUrl pointing at the stand-in:

- advisor: the real adapter and bot from `create_teams_bot` on a RedisStore, routed by
  `add_teams_routes`, as `bot.teams.server.run_teams` serves them. Each simulated user says
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
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
from aiohttp import web

from bench import common
from bench.common import (
    ANSWERS,
    TURN_TIMEOUT_SECONDS,
    TYPED_ANSWER,
    Areas,
    BenchError,
    Duel,
    Pass,
    Profiled,
    ProfileText,
    bench_store,
    duel,
    redis_url,
    tally,
)
from bot.app import create_advisor
from bot.settings import Settings
from bot.teams.bot import FAILED, FOREIGN, UNAVAILABLE, UNREADABLE
from bot.teams.delivery import Place
from bot.teams.server import MESSAGES_PATH, AuthConfiguration, add_teams_routes, create_teams_bot
from dialogs.advisor import Advisor
from tests.support.payloads import walk
from tests.support.slack_standin import PROXY_ENV_VARS
from tests.support.teams_activities import (
    TENANT_ID,
    card_submit,
    new_aad_object_id,
    new_activity_id,
    new_personal_conversation_id,
    new_user_id,
    personal_message,
)
from tests.support.teams_connector import ConnectorCall, Operation, TeamsConnector
from tests.support.teams_sdk import (
    CardFactory,
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    MessageFactory,
    TeamsActivityHandler,
    TurnContext,
    aiohttp_error_middleware,
)

QUESTION_HEADING: Final = re.compile(r"Question \d+ of \d+$")
POSTS: Final = (Operation.SEND, Operation.REPLY)
# Dev mode, as `create_teams_bot` configures it when there are no credentials.
DEV_CONFIGURATION: Final = AuthConfiguration(
    APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID=None
)


# ---------------------------------------------------------------------------- the stand-in


@dataclass(frozen=True)
class Arrival:
    """One connector call as it reached the stand-in, and the id it answered a new message with."""

    call: ConnectorCall
    status: int
    answer_id: str


class Inbox(common.Inbox[Arrival]):
    """The connector calls one simulated user's conversation received."""

    def check(self, arrival: Arrival) -> None:
        call = arrival.call
        if arrival.status >= 400:
            raise BenchError(f"the stand-in refused {call.method} {call.path}")
        if call.operation in POSTS and not call.cards:
            text = call.body.get("text")
            known = text in (FAILED, UNAVAILABLE, FOREIGN, UNREADABLE)
            raise BenchError(f"the bot answered with text{' (its error)' * known}: {text!r}")

    def is_update(self, arrival: Arrival, updated: str | None) -> bool:
        return arrival.call.operation == Operation.UPDATE and arrival.call.activity_id == updated

    def is_post(self, arrival: Arrival) -> bool:
        call = arrival.call
        return call.operation in POSTS and (is_question(call) or is_summary(call))

    def glimpse(self, arrival: Arrival) -> object:
        return (arrival.call.method, arrival.call.operation.value, arrival.status)


class BenchConnector(TeamsConnector):
    """The test stand-in, routing calls to per-conversation inboxes as they arrive, with the card
    schema check switched off once the warm-up has run it."""

    def __init__(self) -> None:
        super().__init__()
        self.check_cards = True
        self.inboxes: dict[str, Inbox] = {}
        self.operations: Counter[str] = Counter()

    def watch(self, conversation: str) -> Inbox:
        inbox = self.inboxes[conversation] = Inbox()
        return inbox

    def _check_cards(self, call: ConnectorCall) -> None:
        if self.check_cards:
            super()._check_cards(call)

    async def _answer(self, call: ConnectorCall) -> tuple[int, Any, dict[str, str]]:
        arrived = time.perf_counter()  # the request is read and parsed: the call has arrived
        status, answer, headers = await super()._answer(call)
        self.operations[call.operation.value] += 1
        inbox = self.inboxes.get(call.conversation_id)
        if inbox is not None:
            answer_id = str(answer.get("id", "")) if isinstance(answer, dict) else ""
            inbox.add(arrived, Arrival(call, status, answer_id))
        return status, answer, headers


def submits(call: ConnectorCall) -> list[dict[str, Any]]:
    """The data of every Action.Submit in the call's cards."""
    return [
        node["data"]
        for card in call.cards
        for node in walk(card)
        if node.get("type") == "Action.Submit" and isinstance(node.get("data"), dict)
    ]


def option_data(call: ConnectorCall) -> dict[str, dict[str, str]]:
    """Option id -> Action.Submit data, for a question card (empty for the number question)."""
    return {data["o"]: data for data in submits(call) if "o" in data}


def is_question(call: ConnectorCall) -> bool:
    for card in call.cards:
        body = card.get("body") or [{}]
        if isinstance(body[0], dict) and QUESTION_HEADING.search(str(body[0].get("text", ""))):
            return True
    return False


def is_summary(call: ConnectorCall) -> bool:
    return any(data.get("cmd") == "restart" for data in submits(call))


def choose(call: ConnectorCall) -> dict[str, str] | None:
    """The submit data a user clicks on a question card: the scripted answer, else the first."""
    options = option_data(call)
    if not options:
        return None
    first = next(iter(options.values()))
    return options.get(ANSWERS.get(first["q"], ""), first)


# ---------------------------------------------------------------------------- simulated users


@dataclass(frozen=True)
class Person:
    """A Teams user in a personal chat with a bot."""

    user_id: str = field(default_factory=new_user_id)
    aad: str = field(default_factory=new_aad_object_id)
    conversation: str = field(default_factory=new_personal_conversation_id)

    @property
    def place(self) -> Place:
        return Place(
            tenant=TENANT_ID, conversation=self.conversation, thread="", user=self.aad, user_name=""
        )


@dataclass
class Client:
    """Activities to one bot's endpoint, as Teams posts them."""

    http: aiohttp.ClientSession
    url: str
    service_url: str

    async def post(self, activity: dict[str, Any]) -> None:
        async with self.http.post(self.url, json=activity) as response:
            if response.status not in (200, 201):
                raise BenchError(f"{self.url} answered {response.status}: {await response.text()}")
            await response.read()

    async def say(self, person: Person, text: str) -> None:
        await self.post(
            personal_message(
                text,
                user_id=person.user_id,
                aad_object_id=person.aad,
                conversation_id=person.conversation,
                service_url=self.service_url,
            )
        )

    async def click(self, person: Person, value: dict[str, str], reply_to_id: str) -> None:
        await self.post(
            card_submit(
                value,
                reply_to_id=reply_to_id,
                user_id=person.user_id,
                aad_object_id=person.aad,
                conversation_id=person.conversation,
                service_url=self.service_url,
            )
        )


Assessment = common.Assessment[ConnectorCall]


async def advisor_assessment(
    client: Client, connector: BenchConnector, person: Person
) -> Assessment:
    """Say hello, answer every question (clicks; the number question typed) up to the summary."""
    inbox = connector.watch(person.conversation)
    done = Assessment()
    try:
        began = time.perf_counter()
        await client.say(person, "hello")
        arrived, post = await inbox.turn(None)
        done.latencies.append(arrived - began)
        while not is_summary(post.call):
            done.posts.append(post.call)
            value = choose(post.call)
            began = time.perf_counter()
            if value is not None:
                await client.click(person, value, post.answer_id)
            else:
                await client.say(person, TYPED_ANSWER)
            arrived, post = await inbox.turn(post.answer_id)
            done.latencies.append(arrived - began)
        done.updates = [a.call for _, a in inbox.received if a.call.operation == Operation.UPDATE]
    finally:
        connector.inboxes.pop(person.conversation, None)
    return done


async def bare_assessment(
    client: Client, connector: BenchConnector, person: Person, turns: int, value: dict[str, str]
) -> Assessment:
    """As many clicks as an advisor assessment has turns, each on the card posted last."""
    inbox = connector.watch(person.conversation)
    done = Assessment()
    reply_to = new_activity_id()  # a card the stand-in never sent; it answers the update anyway
    try:
        for _ in range(turns):
            began = time.perf_counter()
            await client.click(person, value, reply_to)
            arrived, post = await inbox.turn(reply_to)
            done.latencies.append(arrived - began)
            if is_summary(post.call):  # read the card as an advisor user does
                raise BenchError("the bare bot sent a summary")
            value = choose(post.call) or value
            reply_to = post.answer_id
    finally:
        connector.inboxes.pop(person.conversation, None)
    return done


# ---------------------------------------------------------------------------- the bare bot


@dataclass
class BareCards:
    """What the bare bot sends: the advisor's own question and answered cards."""

    question: dict[str, Any] = field(default_factory=dict)
    answered: dict[str, Any] = field(default_factory=dict)
    # The submit data of one of the question's options, so clicks are the same size too.
    value: dict[str, str] = field(default_factory=dict)


class BareBot(TeamsActivityHandler):  # type: ignore[misc]
    """The least a Teams bot can do per click with the advisor's connector calls."""

    def __init__(self, cards: BareCards) -> None:
        super().__init__()
        self.cards = cards

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        update = MessageFactory.attachment(CardFactory.adaptive_card(self.cards.answered))
        update.id = turn_context.activity.reply_to_id
        await turn_context.update_activity(update)
        await turn_context.send_activity(
            MessageFactory.attachment(CardFactory.adaptive_card(self.cards.question))
        )


def bare_application(cards: BareCards) -> web.Application:
    """A CloudAdapter with the advisor's dev-mode configuration, served as the samples do."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(DEV_CONFIGURATION))
    bot = BareBot(cards)

    async def messages(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse | None = await adapter.process(request, bot)
        return response if response is not None else web.Response(status=201)

    web_app = web.Application(middlewares=[aiohttp_error_middleware])
    web_app.router.add_post(MESSAGES_PATH, messages)
    return web_app


def advisor_application(settings: Settings, advisor: Advisor) -> web.Application:
    """The real adapter and bot, routed as `run_teams` routes them."""
    adapter, bot = create_teams_bot(settings, advisor)
    web_app = web.Application()
    add_teams_routes(web_app, adapter, bot)
    return web_app


async def serve(web_app: web.Application) -> tuple[web.AppRunner, str]:
    """The application behind aiohttp on a free loopback port."""
    return await common.serve(web_app, MESSAGES_PATH)


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
    cumulative_heading="advisor pass, cumulative CPU time per turn (us) in bot/ and dialogs/, "
    "top 15:",
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


async def forget(advisor: Advisor, people: Sequence[Person]) -> None:
    """Delete the sessions a pass wrote (one at a time: the pool stays small)."""
    for person in people:
        key = person.place.key
        await advisor.store.forget(platform=key.platform, workspace=key.workspace, user=key.user)


def card_of(call: ConnectorCall) -> dict[str, Any]:
    """The one Adaptive Card a recorded call carried."""
    if len(call.cards) != 1:
        raise BenchError(f"expected one card in {call.method} {call.path}, got {len(call.cards)}")
    return call.cards[0]


# ---------------------------------------------------------------------------- wiring


async def main_async(
    *, users: int, concurrency: int, rounds: int, profile: bool, out: Callable[[str], None]
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
                # Generous: the bench measures latency; a queued turn must not become an error.
                turn_timeout_seconds=TURN_TIMEOUT_SECONDS,
            )
            advisor = create_advisor(settings, store=store)
            cards = BareCards()
            advisor_runner, advisor_url = await serve(advisor_application(settings, advisor))
            bare_runner, bare_url = await serve(bare_application(cards))
            service_url = connector.service_url
            advisor_client = Client(http=http, url=advisor_url, service_url=service_url)
            bare_client = Client(http=http, url=bare_url, service_url=service_url)

            async def bare_run(person: Person, turns: int) -> Assessment:
                return await bare_assessment(bare_client, connector, person, turns, cards.value)

            def calibrate(typical: Assessment) -> None:
                question = next(
                    q for q in typical.posts[len(typical.posts) // 2 :] if option_data(q)
                )
                cards.question = card_of(question)
                cards.value = choose(question) or {}
                cards.answered = card_of(typical.updates[len(typical.updates) // 2])

            async def forget_people(people: Sequence[Person]) -> None:
                await forget(advisor, people)

            async def profiled_here(run: Callable[[], Awaitable[Pass]]) -> Profiled:
                return await profiled(run, executor=executor)

            sides = Duel[Person, ConnectorCall](
                advisor=lambda person: advisor_assessment(advisor_client, connector, person),
                bare=bare_run,
                new_user=Person,
                calls=connector.operations,
                forget=forget_people,
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
    return common.side_by_side_args(
        argv,
        prog="python -m bench.bench_teams",
        description="Simulated Teams users completing assessments: the advisor against a bare "
        "botbuilder bot making the same connector calls per click, on a local stand-in Bot "
        "Connector.",
        users=16,
        profile_help="then profile one pass of each side with cProfile and print where the CPU "
        "goes",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    asyncio.run(
        main_async(
            users=args.users,
            concurrency=args.concurrency,
            rounds=args.rounds,
            profile=args.profile,
            out=print,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
