"""Slack benchmark: simulated users completing assessments over HTTP, against a bare Bolt app.

    python -m bench.bench_slack [--users N] [--concurrency N] [--rounds N] [--profile]

Everything runs on 127.0.0.1 in this process (one event loop), plus a private redis-server on a
free port (or the Redis at REDIS_URL): the stand-in Slack Web API (tests/support/slack_standin),
and two Bolt apps served by aiohttp exactly as `bot.slack.server.run_http` serves them:

- advisor: the real app from `build_slack_app` on a RedisStore. Each simulated user opens a DM
  ("hello"), clicks the button of every question (signed block_actions POSTs) and types only the
  number question (a DM message event), until the summary is posted.
- bare: an AsyncApp with the same signing secret and the same AsyncWebClient settings on the
  same stand-in, and one action listener that acks, updates the clicked message and posts the
  next one, and does nothing else. It posts the advisor's own question and answered payloads
  (captured during the warm-up), so both sides send the same bytes per call. Its users click as
  many times as an advisor user takes turns.

A turn is one request and the Web API calls it causes: it ends when the update of the question
being answered and the post of the next question (or of the summary) have reached the stand-in.
Bolt acknowledges first and works after, so the HTTP response alone is not the turn; latency is
measured from sending the request to the arrival of the later of those calls.

Both apps are warmed up, then measured alternately (bare, advisor, bare, advisor, ...); the best
pass of each is reported, so machine noise affects both alike. The stand-in validates every card
against Block Kit during the warm-up only: that check is the test's work, not the app's, and it
shares the event loop. The load generator and the stand-in share the loop too, so their cost per
turn is in both sides' numbers; the ratio is that of the whole loop's throughput.

It prints, per side, assessments and turns per second, median and p99 turn latency, this
process's CPU time per turn, and the Web API calls per turn (2 on both: the sides do the same
Slack work), then the advisor/bare ratio of turns per second; the aim is at least 0.7.

--profile adds one cProfile'd pass of each side after the measured rounds and prints CPU time per
turn by area and by function, bare next to advisor: the difference is the advisor's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import math
import os
import re
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.bench_engine import positive, redis_url
from bot.app import create_advisor
from bot.settings import Settings
from bot.slack.app import FAILED, UNAVAILABLE
from bot.slack.delivery import Place
from bot.slack.render import ANSWER_PREFIX
from bot.slack.server import EVENTS_PATH, add_slack_routes, build_slack_app, create_web_client
from dialogs.runner import Advisor
from dialogs.stores.redis_store import RedisStore, create_redis_client
from tests.support.slack_signing import (
    block_actions_payload,
    event_body,
    message_event,
    next_ts,
    sign,
)
from tests.support.slack_standin import (
    PROXY_ENV_VARS,
    TEAM_ID,
    Call,
    SlackStandIn,
    card_problems_of,
)

SECRET: Final = "bench-signing-secret"
BOT_TOKEN: Final = "xoxb-bench"
# The answers tests/helpers.py's FULL_ANSWERS gives (not imported: that module pulls in pytest);
# an option missing from a question's buttons falls back to its first button.
ANSWERS: Final = {
    "stage": "live",
    "value": "core_feature",
    "current_gap": "inconsistent_behavior",
    "knowledge_change": "rarely",
    "data_sensitivity": "regulated",
    "latency": "interactive",
    "volume": "500m_10b",
    "breadth": "single_task",
    "explainability": "citations",
    "ownership": "portability",
    "evals": "labelled_set",
    "examples": "100_10k",
    "domain_corpus": "10m_1b",
    "team": "ml_eng",
    "gpus": "serverless",
    "budget": "10k_100k",
}
TYPED_ANSWER: Final = "2B"  # the number question (monthly_tokens) has no answer buttons
TURN_TIMEOUT_SECONDS: Final = 30.0
WARMUP_USERS: Final = 4


class BenchError(RuntimeError):
    """A turn went wrong (an error message, an ephemeral, a timeout): the numbers would lie."""


# ---------------------------------------------------------------------------- the stand-in


@dataclass
class Inbox:
    """The Web API calls one simulated user's channel received, each with its arrival time."""

    calls: list[tuple[float, Call]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    cursor: int = 0

    def add(self, arrived: float, call: Call) -> None:
        self.calls.append((arrived, call))
        self.changed.set()

    async def turn(self, *, updated_ts: str | None) -> tuple[float, Call]:
        """Wait for one turn's calls: the update of `updated_ts` (when given) and the next
        question or summary post. Returns when the later of them arrived, and the post."""
        try:
            async with asyncio.timeout(TURN_TIMEOUT_SECONDS):
                while (found := self._scan(updated_ts)) is None:
                    self.changed.clear()  # no await since the scan: no wake-up is lost
                    await self.changed.wait()
                return found
        except TimeoutError:
            seen = [(c.method, str(c.payload.get("text", ""))[:50]) for _, c in self.calls]
            raise BenchError(f"turn did not finish in {TURN_TIMEOUT_SECONDS}s: {seen}") from None

    def _scan(self, updated_ts: str | None) -> tuple[float, Call] | None:
        update_at: float | None = None if updated_ts else 0.0
        update_index = post_index = -1
        post: tuple[float, Call] | None = None
        for index in range(self.cursor, len(self.calls)):
            arrived, call = self.calls[index]
            text = call.payload.get("text")
            if call.method == "chat.postEphemeral" or text in (FAILED, UNAVAILABLE):
                raise BenchError(f"the app answered with {call.method}: {text!r}")
            if (
                update_at is None
                and call.method == "chat.update"
                and call.payload.get("ts") == updated_ts
            ):
                update_at, update_index = arrived, index
            elif (
                post is None
                and call.method == "chat.postMessage"
                and (is_question(call) or is_summary(call))
            ):
                post, post_index = (arrived, call), index
        if update_at is None or post is None:
            return None
        self.cursor = max(update_index, post_index) + 1
        return max(update_at, post[0]), post[1]


class BenchStandIn(SlackStandIn):
    """The test stand-in, routing calls to per-channel inboxes instead of one growing list."""

    def __init__(self) -> None:
        super().__init__()
        self.check_cards = True
        self.inboxes: dict[str, Inbox] = {}
        self.methods: Counter[str] = Counter()

    def watch(self, channel: str) -> Inbox:
        inbox = self.inboxes[channel] = Inbox()
        return inbox

    def _record(self, call: Call) -> None:
        arrived = time.perf_counter()
        if self.check_cards:
            self.card_problems.extend(card_problems_of(call.method, call.payload))
        self.methods[call.method] += 1
        inbox = self.inboxes.get(str(call.payload.get("channel", "")))
        if inbox is not None:
            inbox.add(arrived, call)
        else:
            self.calls.append(call)  # auth.test and anything unexpected: few, kept for errors


def is_question(call: Call) -> bool:
    return any(b.get("block_id") == "answers" for b in call.payload.get("blocks", []))


def is_summary(call: Call) -> bool:
    return any(b.get("block_id") == "summary_actions" for b in call.payload.get("blocks", []))


def answer_buttons(call: Call) -> dict[str, tuple[str, str, str]]:
    """Option id -> (question id, action_id, value) of a question message's answer buttons."""
    out: dict[str, tuple[str, str, str]] = {}
    for block in call.payload.get("blocks", []):
        if block.get("type") == "actions" and block.get("block_id") == "answers":
            for element in block["elements"]:
                if str(element.get("action_id", "")).startswith(ANSWER_PREFIX):
                    data = json.loads(element["value"])
                    out[data["o"]] = (data["q"], element["action_id"], element["value"])
    return out


# ---------------------------------------------------------------------------- simulated users


@dataclass
class Client:
    """Signed requests to one app, as Slack sends them."""

    http: aiohttp.ClientSession
    url: str
    standin: SlackStandIn

    async def post(self, body: str, content_type: str) -> None:
        headers = {**sign(body, SECRET), "Content-Type": content_type}
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            if response.status != 200:
                raise BenchError(f"{self.url} answered {response.status}: {await response.text()}")
            await response.read()

    async def click(self, user: str, channel: str, action_id: str, value: str, ts: str) -> None:
        payload = block_actions_payload(
            user_id=user,
            action_id=action_id,
            value=value,
            channel_id=channel,
            message_ts=ts,
            trigger_id=f"trig-{uuid.uuid4().hex}",
            response_url=self.standin.response_url(uuid.uuid4().hex[:8]),
        )
        body = urlencode({"payload": json.dumps(payload)})
        await self.post(body, "application/x-www-form-urlencoded")

    async def dm(self, user: str, channel: str, text: str) -> None:
        body = event_body(message_event(user, text, channel), f"Ev{uuid.uuid4().hex[:12]}")
        await self.post(body, "application/json")


def new_user() -> str:
    return "U" + uuid.uuid4().hex[:10].upper()


@dataclass
class Assessment:
    """One user's turns: each latency, and every question and answered payload seen."""

    latencies: list[float] = field(default_factory=list)
    posts: list[Call] = field(default_factory=list)
    updates: list[Call] = field(default_factory=list)


async def advisor_assessment(client: Client, standin: BenchStandIn, user: str) -> Assessment:
    """Open a DM, answer every question (clicks; the number question typed) up to the summary."""
    channel = "D" + user
    inbox = standin.watch(channel)
    done = Assessment()
    try:
        began = time.perf_counter()
        await client.dm(user, channel, "hello")
        arrived, post = await inbox.turn(updated_ts=None)
        done.latencies.append(arrived - began)
        while not is_summary(post):
            done.posts.append(post)
            ts = str(post.result["ts"])
            buttons = answer_buttons(post)
            began = time.perf_counter()
            if buttons:
                first = next(iter(buttons.values()))  # its question id is the question's
                _, action_id, value = buttons.get(ANSWERS.get(first[0], ""), first)
                await client.click(user, channel, action_id, value, ts)
            else:
                await client.dm(user, channel, TYPED_ANSWER)
            arrived, post = await inbox.turn(updated_ts=ts)
            done.latencies.append(arrived - began)
        done.updates = [c for _, c in inbox.calls if c.method == "chat.update"]
    finally:
        standin.inboxes.pop(channel, None)
    return done


async def bare_assessment(
    client: Client, standin: BenchStandIn, user: str, turns: int, button: tuple[str, str]
) -> Assessment:
    """As many clicks as an advisor assessment has turns, each on the message posted last."""
    channel = "D" + user
    inbox = standin.watch(channel)
    done = Assessment()
    ts = next_ts()  # the first click is on a message the stand-in never posted; it does not mind
    try:
        for _ in range(turns):
            began = time.perf_counter()
            await client.click(user, channel, *button, ts)
            arrived, post = await inbox.turn(updated_ts=ts)
            done.latencies.append(arrived - began)
            ts = str(post.result["ts"])
    finally:
        standin.inboxes.pop(channel, None)
    return done


# ---------------------------------------------------------------------------- the bare app


@dataclass
class BarePayloads:
    """What the bare app sends: the advisor's own question and answered messages."""

    question: dict[str, Any] = field(default_factory=dict)
    answered: dict[str, Any] = field(default_factory=dict)
    # The action_id and value of one of the question's buttons, so clicks are the same size too.
    button: tuple[str, str] = (f"{ANSWER_PREFIX}0", "{}")


def build_bare_app(
    settings: Settings, session: aiohttp.ClientSession, payloads: BarePayloads
) -> AsyncApp:
    """The least a Bolt app can do per click with the advisor's Web API calls."""
    assert settings.slack_bot_token is not None
    app = AsyncApp(
        client=create_web_client(settings, session, token=settings.slack_bot_token),
        signing_secret=settings.slack_signing_secret,
        process_before_response=False,
    )

    @app.action(re.compile(f"^{ANSWER_PREFIX}[0-9]+$"))
    async def on_click(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        container = body["container"]
        channel = container["channel_id"]
        await client.chat_update(channel=channel, ts=container["message_ts"], **payloads.answered)
        await client.chat_postMessage(channel=channel, **payloads.question)

    return app


# ---------------------------------------------------------------------------- passes


@dataclass(frozen=True, kw_only=True)
class Pass:
    side: str
    assessments: int
    turns: int
    seconds: float
    cpu_seconds: float  # this process's CPU time (the redis-server's is not in it)
    latencies: tuple[float, ...]
    last_turns: tuple[float, ...]  # each assessment's last turn: the summary on the advisor
    calls: Counter[str]

    @property
    def assessments_per_second(self) -> float:
        return self.assessments / self.seconds if self.seconds > 0 else math.inf

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.seconds if self.seconds > 0 else math.inf

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000

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


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


Run = Callable[[str], Awaitable[Assessment]]


async def run_pass(
    *, side: str, run: Run, standin: BenchStandIn, users: int, concurrency: int
) -> tuple[Pass, list[Assessment]]:
    """`users` assessments, at most `concurrency` at once, each turn waiting for the last."""
    pending = [new_user() for _ in range(users)]
    done: list[Assessment] = []

    async def worker() -> None:
        while pending:
            done.append(await run(pending.pop()))

    standin.methods.clear()
    began, cpu_began = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(min(users, concurrency))))
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
    calls = Counter(standin.methods)
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
        calls=calls,
    )
    return result, done


# ---------------------------------------------------------------------------- profiling


AREAS: Final = (
    ("bot/slack", "bot.slack (adapter)"),
    ("/bot/", "bot (rendering)"),
    ("/dialogs/", "dialogs (engine)"),
    ("/jinja2/", "jinja2"),
    ("/templates/", "jinja2"),
    ("/slack_bolt/", "slack_bolt"),
    ("/slack_sdk/", "slack_sdk"),
    ("/redis/", "redis-py"),
    ("/aiohttp/", "aiohttp"),
    ("/multidict/", "aiohttp"),
    ("/yarl/", "aiohttp"),
    ("/tests/support/", "stand-in and signing"),
    ("/bench/", "bench driver"),
    ("asyncio", "asyncio and selectors"),
    ("selectors", "asyncio and selectors"),
    ("/json/", "json"),
)


def area(code: CodeType | str) -> str:
    if isinstance(code, str):  # a builtin: "<built-in method ...>" / "<method ... of ... objects>"
        if "json" in code:
            return "json"
        if "select" in code or "socket" in code or "_asyncio" in code:
            return "asyncio and selectors"
        if "hmac" in code or "_hashlib" in code or "openssl" in code:
            return "hashing (signatures)"
        return "builtins"
    name = code.co_filename.replace("\\", "/")
    for needle, label in AREAS:
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


async def profiled(run: Callable[[], Awaitable[Pass]]) -> Profiled:
    profile = cProfile.Profile()
    profile.enable()
    try:
        result = await run()
    finally:
        profile.disable()
    by_area: defaultdict[str, float] = defaultdict(float)
    own: defaultdict[str, float] = defaultdict(float)
    cumulative: defaultdict[str, float] = defaultdict(float)
    for entry in profile.getstats():
        by_area[area(entry.code)] += entry.inlinetime
        own[describe(entry.code)] += entry.inlinetime
        if not isinstance(entry.code, str):
            cumulative[describe(entry.code)] = max(
                cumulative[describe(entry.code)], entry.totaltime
            )
    return Profiled(result.turns, dict(by_area), dict(own), dict(cumulative))


def profile_report(bare: Profiled, advisor: Profiled) -> list[str]:
    def per_turn(p: Profiled, name: str) -> float:
        return p.by_area.get(name, 0.0) / p.turns * 1e6

    areas = sorted(
        set(bare.by_area) | set(advisor.by_area),
        key=lambda a: -(per_turn(advisor, a) - per_turn(bare, a)),
    )
    lines = [
        "CPU time per turn by area, under cProfile (which inflates small calls), microseconds:",
        f"  {'area':<26}{'bare':>9}{'advisor':>9}{'difference':>12}",
    ]
    for name in areas:
        b, a = per_turn(bare, name), per_turn(advisor, name)
        if max(a, b) >= 5:
            lines.append(f"  {name:<26}{b:>9.0f}{a:>9.0f}{a - b:>+12.0f}")
    total_b = sum(bare.by_area.values()) / bare.turns * 1e6
    total_a = sum(advisor.by_area.values()) / advisor.turns * 1e6
    lines.append(f"  {'total':<26}{total_b:>9.0f}{total_a:>9.0f}{total_a - total_b:>+12.0f}")
    lines.append("")
    lines.append("own time per turn (us) by function, largest advisor-minus-bare first:")
    lines.append(f"  {'bare':>7}{'advisor':>9}  function")

    def own(p: Profiled, name: str) -> float:
        return p.own.get(name, 0.0) / p.turns * 1e6

    names = set(bare.own) | set(advisor.own)
    for name in sorted(names, key=lambda n: -(own(advisor, n) - own(bare, n)))[:25]:
        lines.append(f"  {own(bare, name):>7.1f}{own(advisor, name):>9.1f}  {name}")
    lines.append("")
    lines.append("advisor pass, cumulative time per turn (us) in bot/ and dialogs/, top 15:")
    ours = {
        k: v
        for k, v in advisor.cumulative.items()
        if k.startswith(("bot/", "dialogs/")) and "lambda" not in k
    }
    for name, seconds in sorted(ours.items(), key=lambda i: -i[1])[:15]:
        lines.append(f"  {seconds / advisor.turns * 1e6:>7.1f}  {name}")
    return lines


# ---------------------------------------------------------------------------- wiring


async def serve(app: AsyncApp) -> tuple[web.AppRunner, str]:
    """The app behind aiohttp on a free loopback port, as run_http serves it."""
    web_app = web.Application()
    add_slack_routes(web_app, app)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}{EVENTS_PATH}"


async def forget(advisor: Advisor, users: Sequence[str]) -> None:
    """Delete the sessions a pass wrote (one at a time: the pool stays small)."""
    for user in users:
        key = Place(team=TEAM_ID, channel="D" + user, thread_ts="", user=user).key
        await advisor.store.delete(key)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "n/a"


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

    def ratios() -> str:
        a, b = advisor, bare
        return (
            f"{'adv/bare':<9}{ratio(a.assessments_per_second, b.assessments_per_second):>14}"
            f"{ratio(a.turns_per_second, b.turns_per_second):>9}"
            f"{ratio(a.median_ms, b.median_ms):>11}{ratio(a.p99_ms, b.p99_ms):>9}"
            f"{ratio(a.cpu_ms_per_turn, b.cpu_ms_per_turn):>13}"
        )

    return [head, row(bare), row(advisor), ratios()]


def calls_line(p: Pass) -> str:
    parts = ", ".join(f"{m} {n / p.turns:.2f}" for m, n in sorted(p.calls.items()))
    return f"  {p.side}: {parts}"


async def main_async(
    *, users: int, concurrency: int, rounds: int, profile: bool, out: Callable[[str], None]
) -> float:
    for name in PROXY_ENV_VARS:  # slack_sdk would route loopback traffic through a proxy
        os.environ.pop(name, None)
    with redis_url() as (url, label):
        store = RedisStore(client=create_redis_client(url, timeout_seconds=2.0))
        async with (
            BenchStandIn() as standin,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
            aiohttp.ClientSession() as advisor_web,
            aiohttp.ClientSession() as bare_web,
        ):
            settings = Settings(
                redis_url=url,
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SECRET,
                slack_api_url=standin.base_url,
                # Generous: the bench measures latency; a queued turn must not become an error.
                turn_timeout_seconds=TURN_TIMEOUT_SECONDS,
            )
            advisor = create_advisor(settings, store=store)
            payloads = BarePayloads()
            runners: list[web.AppRunner] = []
            written: list[str] = []
            try:
                advisor_runner, advisor_url = await serve(
                    build_slack_app(settings, advisor, advisor_web)
                )
                runners.append(advisor_runner)
                bare_runner, bare_url = await serve(build_bare_app(settings, bare_web, payloads))
                runners.append(bare_runner)
                advisor_client = Client(http=http, url=advisor_url, standin=standin)
                bare_client = Client(http=http, url=bare_url, standin=standin)

                async def advisor_run(user: str) -> Assessment:
                    written.append(user)
                    return await advisor_assessment(advisor_client, standin, user)

                turns_per_assessment = 0

                async def bare_run(user: str) -> Assessment:
                    return await bare_assessment(
                        bare_client, standin, user, turns_per_assessment, payloads.button
                    )

                async def measure(side: str, n: int) -> Pass:
                    run = advisor_run if side == "advisor" else bare_run
                    result, _ = await run_pass(
                        side=side, run=run, standin=standin, users=n, concurrency=concurrency
                    )
                    if side == "advisor":
                        await forget(advisor, written)
                        written.clear()
                    return result

                # Warm-up, cards checked: connections, auth.test, Lua script, templates, caches.
                warm, seen = await run_pass(
                    side="advisor",
                    run=advisor_run,
                    standin=standin,
                    users=WARMUP_USERS,
                    concurrency=WARMUP_USERS,
                )
                turns_per_assessment = warm.turns // WARMUP_USERS
                typical = seen[0]
                question = typical.posts[len(typical.posts) // 2]
                payloads.question = message_of(question)
                payloads.button = next(iter(answer_buttons(question).values()))[1:]
                payloads.answered = message_of(typical.updates[len(typical.updates) // 2])
                await measure("bare", WARMUP_USERS)
                await forget(advisor, written)
                written.clear()
                problems = list(standin.card_problems)
                standin.check_cards = False

                out(
                    f"{users} simulated users per pass, {concurrency} at a time, "
                    f"{turns_per_assessment} turns per assessment "
                    f"({turns_per_assessment - 1} answers after the opening DM)"
                )
                out(f"redis: {label}")
                out(
                    f"Block Kit problems in the warm-up's cards: {len(problems)}"
                    + "".join(f"\n  {p}" for p in problems[:5])
                )
                passes: dict[str, list[Pass]] = {"bare": [], "advisor": []}
                for number in range(rounds):
                    for side in ("bare", "advisor"):
                        result = await measure(side, users)
                        passes[side].append(result)
                        out(
                            f"  round {number + 1} {side:<8}{result.turns_per_second:>8.0f} turns/s"
                            f"{result.median_ms:>9.2f} ms median{result.p99_ms:>9.2f} ms p99"
                            f"{result.cpu_ms_per_turn:>8.2f} CPU ms/turn, {result.busy:.0%} busy"
                        )
                share = report(passes, out)
                if share < 0.7 and not profile:
                    out("run with --profile to see where the advisor's time goes")
                if profile:
                    out("")
                    profile_users = max(1, users // 2)
                    bare_profile = await profiled(lambda: measure("bare", profile_users))
                    advisor_profile = await profiled(lambda: measure("advisor", profile_users))
                    for line in profile_report(bare_profile, advisor_profile):
                        out(line)
                return share
            finally:
                await forget(advisor, written)
                for runner in runners:
                    await runner.cleanup()
                await store.close()


def report(passes: dict[str, list[Pass]], out: Callable[[str], None]) -> float:
    """Print the best pass of each side; return the advisor/bare ratio of turns per second."""
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
    out("each assessment's last turn (the summary, on the advisor), ms:")
    for side in ("bare", "advisor"):
        last = best[side].last_turns
        out(
            f"  {side}: median {statistics.median(last) * 1000:.2f}, "
            f"p99 {percentile(last, 0.99) * 1000:.2f}"
        )
    out("Web API calls per turn:")
    for side in ("bare", "advisor"):
        out(calls_line(best[side]))
    return share


def message_of(call: Call) -> dict[str, Any]:
    """The message part of a recorded call (text and blocks), without its channel or ts."""
    return {k: call.payload[k] for k in ("text", "blocks") if k in call.payload}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_slack",
        description="Simulated Slack users completing assessments: the advisor against a bare "
        "Bolt app making the same Web API calls per click, on a local stand-in Web API.",
    )
    parser.add_argument("--users", type=positive, default=80, help="assessments per pass (80)")
    parser.add_argument(
        "--concurrency", type=positive, default=10, help="users in flight at once (10)"
    )
    parser.add_argument(
        "--rounds", type=positive, default=2, help="measured passes of each side, alternated (2)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then profile one pass of each side with cProfile and print where the time goes",
    )
    return parser.parse_args(argv)


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
