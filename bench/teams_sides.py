"""The Teams benchmark's parts: the stand-in Bot Connector's inboxes, simulated users, both bots.

bench_teams wires them together and measures them (see its docstring).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
from aiohttp import web

from bench import common
from bench.common import ANSWERS, TYPED_ANSWER, BenchError
from bot.settings import Settings
from bot.teams.bot import FAILED, FOREIGN, UNAVAILABLE, UNREADABLE
from bot.teams.server import MESSAGES_PATH, AuthConfiguration, add_teams_routes, create_teams_bot
from dialogs.advisor import Advisor
from tests.support.payloads import walk
from tests.support.teams_activities import (
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


#: Answers whose summary has no cost section, so no chart is drawn (the volume not known), as
#: bench_chart's "no chart" users answer.
NO_CHART_ANSWERS: Final = {
    **{k: v for k, v in ANSWERS.items() if k != "monthly_tokens"},
    "volume": "unknown",
}


def choose(call: ConnectorCall, answers: Mapping[str, str] = ANSWERS) -> dict[str, str] | None:
    """The submit data a user clicks on a question card: the scripted answer, else the first."""
    options = option_data(call)
    if not options:
        return None
    first = next(iter(options.values()))
    return options.get(answers.get(first["q"], ""), first)


# ---------------------------------------------------------------------------- simulated users


@dataclass(frozen=True)
class Person:
    """A Teams user in a personal chat with a bot."""

    user_id: str = field(default_factory=new_user_id)
    aad: str = field(default_factory=new_aad_object_id)
    conversation: str = field(default_factory=new_personal_conversation_id)


@dataclass
class Client:
    """Activities to one bot's endpoint, as Teams posts them."""

    http: aiohttp.ClientSession
    url: str
    service_url: str

    async def post(self, activity: dict[str, Any]) -> None:
        async with self.http.post(self.url, json=activity) as response:
            if response.status not in (200, 201, 202):  # 202: the Agents SDK
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
    client: Client,
    connector: BenchConnector,
    person: Person,
    answers: Mapping[str, str] = ANSWERS,
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
            value = choose(post.call, answers)
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
    """The real adapter and bot, routed as `llm-advisor serve` routes them."""
    adapter, bot = create_teams_bot(settings, advisor)
    web_app = web.Application()
    add_teams_routes(web_app, adapter, bot)
    return web_app


async def serve(web_app: web.Application) -> tuple[web.AppRunner, str]:
    """The application behind aiohttp on a free loopback port."""
    return await common.serve(web_app, MESSAGES_PATH)


def card_of(call: ConnectorCall) -> dict[str, Any]:
    """The one Adaptive Card a recorded call carried."""
    if len(call.cards) != 1:
        raise BenchError(f"expected one card in {call.method} {call.path}, got {len(call.cards)}")
    return call.cards[0]
