"""Rigs for the fault tests (tests/bot/faults): `serve`'s wiring with a fault proxy
(tests/support/fault_proxy.py) on each outbound path, and the Slack and Teams sides on it.

Everything runs the wiring of `llm-advisor serve` (`bot.server.create_service`): the store
from `create_store` (0.5 s timeouts, one bounded retry), the Bolt app behind aiohttp with the
Web API client Bolt builds, set up by `configure_web_client` (retry handlers), proxied by
SLACK_API_URL, and the Teams bot on botbuilder's CloudAdapter, whose replies go to the
activity's serviceUrl: a proxy in front of the connector stand-in. The fixtures that build
them live in tests/bot/faults/conftest.py.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.server import Service
from bot.slack.delivery import Place as SlackPlace
from bot.teams.delivery import Place as TeamsPlace
from dialogs.advisor import TurnObserver
from dialogs.replies import TurnResult
from dialogs.session import Session
from dialogs.stores.base import SessionStore
from dialogs.turn import SessionKey, Turn
from tests.bot.slack.conftest import SlackHarness
from tests.bot.teams.conftest import Person, TeamsHarness, card_text
from tests.support.fault_proxy import FaultProxy
from tests.support.slack_signing import message_event
from tests.support.slack_standin import Call, SlackStandIn
from tests.support.teams_activities import TENANT_ID, personal_message
from tests.support.teams_connector import ConnectorCall, TeamsConnector

# Bound for waits on what happens after retries with backoff (Retry-After 1 s, 5xx backoff);
# generous, since it only bounds a wait and asserts nothing about speed.
WAIT_SECONDS = 8.0

# The rigs' bound on one Slack Web API call (ADVISOR_SLACK_API_TIMEOUT_SECONDS; 30 s by
# default): short, so a test can make Slack answer later than that without waiting long.
SLACK_API_TIMEOUT_SECONDS = 1.5

FIRST_PROMPT = "Where is the product"
SECOND_PROMPT = "How much is a better answer worth"


def origin_port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


async def stored(store: SessionStore, key: SessionKey) -> Session:
    doc = await store.load(key)
    assert doc is not None, "the session is gone"
    return Session.from_document(doc)


class Turns:
    """Tee on the advisor's turn observer (its metrics hook): which turns ended, and how."""

    def __init__(self, inner: TurnObserver | None) -> None:
        self.inner = inner
        self.done: dict[str, list[TurnResult | BaseException | None]] = {}

    def turn_done(
        self, turn: Turn, result: TurnResult | None, error: BaseException | None, seconds: float
    ) -> None:
        self.done.setdefault(turn.event_id, []).append(result if error is None else error)
        if self.inner is not None:
            self.inner.turn_done(turn, result, error, seconds)


# ------------------------------------------------------------------------------ the wiring


@dataclass
class Wiring:
    """`serve`'s service on a loopback port, with a fault proxy on each outbound path."""

    service: Service
    url: str
    http: aiohttp.ClientSession  # the platforms' side: posts events and activities to the bot
    standin: SlackStandIn
    connector: TeamsConnector
    redis: FaultProxy
    slack_api: FaultProxy
    teams_api: FaultProxy
    turns: Turns
    pending: list[asyncio.Task[int]] = field(default_factory=list)

    @property
    def store(self) -> SessionStore:
        return self.service.advisor.store


# ------------------------------------------------------------------------------ Slack side


@dataclass
class SlackRig:
    """The Slack side: signed requests to the Bolt endpoint, the Web API behind `api`."""

    wiring: Wiring
    slack: SlackHarness

    @property
    def redis(self) -> FaultProxy:
        return self.wiring.redis

    @property
    def api(self) -> FaultProxy:
        return self.wiring.slack_api

    @property
    def standin(self) -> SlackStandIn:
        return self.wiring.standin

    @property
    def store(self) -> SessionStore:
        return self.wiring.store

    async def say(
        self, user: str, text: str, event_id: str | None = None, **headers: str
    ) -> tuple[int, str]:
        """A DM from the person; returns the HTTP status and the event id."""
        event_id = event_id or "Ev" + uuid.uuid4().hex[:10]
        event = message_event(user, text, "D" + user)
        status, _ = await self.slack.event(event, event_id=event_id, headers=headers or None)
        return status, event_id

    async def settled(self) -> None:
        """Wait (bounded) until no turn is in flight, so nothing more is posted for it.

        Only after the turn was seen to start: Bolt runs listeners after the ack.
        """
        drainer = self.wiring.service.drainer
        await self.slack.eventually(lambda: drainer.in_flight == 0, within=WAIT_SECONDS)

    async def finished(self, event_id: str, times: int = 1) -> TurnResult | BaseException | None:
        """Wait (bounded) until this event's turn ended `times` times and delivery is done;
        return how the last one ended."""
        done = self.wiring.turns.done
        await self.slack.eventually(
            lambda: len(done.get(event_id, ())) >= times, within=WAIT_SECONDS
        )
        await self.settled()
        return done[event_id][-1]

    async def start(self, user: str) -> str:
        """Open the DM assessment; return the DM channel once the first question is up."""
        dm = "D" + user
        _, event_id = await self.say(user, "hi")
        await self.finished(event_id)
        first = delivered_questions(self.slack, dm)
        assert len(first) == 1 and FIRST_PROMPT in first[0].payload["text"]
        return dm


def slack_key(user: str) -> SessionKey:
    return SlackPlace(team="T1", channel="D" + user, thread_ts="", user=user).key


def delivered(calls: list[Call]) -> list[Call]:
    """Calls the stand-in accepted (429s, 500s and calls it never received are left out)."""
    return [c for c in calls if c.result.get("ok")]


def delivered_questions(slack: SlackHarness, channel: str) -> list[Call]:
    return delivered(slack.questions(channel))


def texts_since(slack: SlackHarness, channel: str, user: str, posts: int, ephemerals: int) -> str:
    """What the person was shown in the DM after the given numbers of calls."""
    calls = [*slack.posts(channel)[posts:], *slack.ephemerals(user)[ephemerals:]]
    return "\n".join(str(c.payload.get("text", "")) for c in delivered(calls))


# ------------------------------------------------------------------------------ Teams side


@dataclass
class TeamsRig:
    """The Teams side: activities to CloudAdapter, whose replies go through `api`."""

    wiring: Wiring
    teams: TeamsHarness

    @property
    def api(self) -> FaultProxy:
        return self.wiring.teams_api

    @property
    def connector(self) -> TeamsConnector:
        return self.wiring.connector

    @property
    def store(self) -> SessionStore:
        return self.wiring.store

    def message(self, person: Person, text: str, **extra: Any) -> dict[str, Any]:
        return personal_message(
            text,
            user_id=person.user_id,
            aad_object_id=person.aad,
            conversation_id=person.conversation,
            service_url=self.api.rebase(self.connector.service_url),
            user_name=person.name,
            **extra,
        )

    async def say(self, person: Person, text: str) -> int:
        """Post a message; CloudAdapter answers once the whole turn, sends included, is done."""
        return await self.teams.post(self.message(person, text))

    def say_in_background(self, person: Person, text: str) -> asyncio.Task[int]:
        task = asyncio.create_task(self.say(person, text))
        self.wiring.pending.append(task)
        return task

    async def start(self) -> Person:
        person = Person()
        assert await self.say(person, "hi") in (200, 201)
        first = questions(self.teams, person)
        assert len(first) == 1 and FIRST_PROMPT in card_text(first[0])
        return person


def teams_key(person: Person) -> SessionKey:
    place = TeamsPlace(
        tenant=TENANT_ID, conversation=person.conversation, thread="", user=person.aad, user_name=""
    )
    return place.key


def questions(teams: TeamsHarness, person: Person) -> list[ConnectorCall]:
    """Question cards the connector accepted in the person's chat."""
    return teams.questions(person.conversation)


def said(teams: TeamsHarness, person: Person, since: int) -> str:
    return "\n".join(teams.texts(person.conversation)[since:])
