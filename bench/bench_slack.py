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
import os
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

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
from bot.slack.app import FAILED, UNAVAILABLE
from bot.slack.delivery import Place
from bot.slack.render import ANSWER_PREFIX
from bot.slack.server import EVENTS_PATH, add_slack_routes, build_slack_app, create_web_client
from dialogs.advisor import Advisor
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


# ---------------------------------------------------------------------------- the stand-in


class Inbox(common.Inbox[Call]):
    """The Web API calls one simulated user's channel received, each with its arrival time."""

    def check(self, call: Call) -> None:
        text = call.payload.get("text")
        if call.method == "chat.postEphemeral" or text in (FAILED, UNAVAILABLE):
            raise BenchError(f"the app answered with {call.method}: {text!r}")

    def is_update(self, call: Call, updated: str | None) -> bool:
        return call.method == "chat.update" and call.payload.get("ts") == updated

    def is_post(self, call: Call) -> bool:
        return call.method == "chat.postMessage" and (is_question(call) or is_summary(call))

    def glimpse(self, call: Call) -> object:
        return (call.method, str(call.payload.get("text", ""))[:50])


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


Assessment = common.Assessment[Call]


async def advisor_assessment(client: Client, standin: BenchStandIn, user: str) -> Assessment:
    """Open a DM, answer every question (clicks; the number question typed) up to the summary."""
    channel = "D" + user
    inbox = standin.watch(channel)
    done = Assessment()
    try:
        began = time.perf_counter()
        await client.dm(user, channel, "hello")
        arrived, post = await inbox.turn(None)
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
            arrived, post = await inbox.turn(ts)
            done.latencies.append(arrived - began)
        done.updates = [c for _, c in inbox.received if c.method == "chat.update"]
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
            arrived, post = await inbox.turn(ts)
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


# ---------------------------------------------------------------------------- profiling


AREAS: Final = Areas(
    files=(
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
    ),
    builtins=(  # "<built-in method ...>" / "<method ... of ... objects>"
        (("json",), "json"),
        (("select", "socket", "_asyncio"), "asyncio and selectors"),
        (("hmac", "_hashlib", "openssl"), "hashing (signatures)"),
    ),
)
PROFILE_TEXT: Final = ProfileText(
    area_heading=(
        "CPU time per turn by area, under cProfile (which inflates small calls), microseconds:",
    ),
    area_width=26,
    own_heading="own time per turn (us) by function, largest advisor-minus-bare first:",
    own_rows=25,
    own_difference=False,
    cumulative_heading="advisor pass, cumulative time per turn (us) in bot/ and dialogs/, top 15:",
)


async def profiled(run: Callable[[], Awaitable[Pass]]) -> Profiled:
    profile = cProfile.Profile()
    profile.enable()
    try:
        result = await run()
    finally:
        profile.disable()
    return tally([profile], turns=result.turns, areas=AREAS, combine=max)


# ---------------------------------------------------------------------------- wiring


async def serve(app: AsyncApp) -> tuple[web.AppRunner, str]:
    """The app behind aiohttp on a free loopback port, as run_http serves it."""
    web_app = web.Application()
    add_slack_routes(web_app, app)
    return await common.serve(web_app, EVENTS_PATH)


async def forget(advisor: Advisor, users: Sequence[str]) -> None:
    """Delete the sessions a pass wrote (one at a time: the pool stays small)."""
    for user in users:
        key = Place(team=TEAM_ID, channel="D" + user, thread_ts="", user=user).key
        await advisor.store.forget(platform=key.platform, workspace=key.workspace, user=key.user)


async def main_async(
    *, users: int, concurrency: int, rounds: int, profile: bool, out: Callable[[str], None]
) -> float:
    for name in PROXY_ENV_VARS:  # slack_sdk would route loopback traffic through a proxy
        os.environ.pop(name, None)
    with redis_url() as (url, label):
        store = bench_store(url, timeout_seconds=2.0)
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
            advisor_runner, advisor_url = await serve(
                build_slack_app(settings, advisor, advisor_web)
            )
            bare_runner, bare_url = await serve(build_bare_app(settings, bare_web, payloads))
            advisor_client = Client(http=http, url=advisor_url, standin=standin)
            bare_client = Client(http=http, url=bare_url, standin=standin)

            async def bare_run(user: str, turns: int) -> Assessment:
                return await bare_assessment(bare_client, standin, user, turns, payloads.button)

            def calibrate(typical: Assessment) -> None:
                question = typical.posts[len(typical.posts) // 2]
                payloads.question = message_of(question)
                payloads.button = next(iter(answer_buttons(question).values()))[1:]
                payloads.answered = message_of(typical.updates[len(typical.updates) // 2])

            async def forget_users(users: Sequence[str]) -> None:
                await forget(advisor, users)

            sides = Duel[str, Call](
                advisor=lambda user: advisor_assessment(advisor_client, standin, user),
                bare=bare_run,
                new_user=new_user,
                calls=standin.methods,
                forget=forget_users,
                calibrate=calibrate,
                stand_in=standin,
                profiled=profiled,
                profile_text=PROFILE_TEXT,
                opening="DM",
                cards="Block Kit",
                calls_name="Web API calls",
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


def message_of(call: Call) -> dict[str, Any]:
    """The message part of a recorded call (text and blocks), without its channel or ts."""
    return {k: call.payload[k] for k in ("text", "blocks") if k in call.payload}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    return common.side_by_side_args(
        argv,
        prog="python -m bench.bench_slack",
        description="Simulated Slack users completing assessments: the advisor against a bare "
        "Bolt app making the same Web API calls per click, on a local stand-in Web API.",
        users=80,
        profile_help="then profile one pass of each side with cProfile and print where the time "
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
