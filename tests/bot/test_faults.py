"""Faults injected on the wire (tests/support/fault_proxy.py) between the real advisor and
Redis, the Slack Web API stand-in and the Bot Connector stand-in.

Everything runs the wiring of `llm-advisor serve` (`bot.server.create_service`): the store
from `create_store` (0.5 s timeouts, one bounded retry), the Bolt app behind aiohttp with the
Web API client of `create_web_client` (its retry handlers), pointed through a proxy by
SLACK_API_URL, and the Teams bot on botbuilder's CloudAdapter, whose replies go to the
activity's serviceUrl: a proxy in front of the connector stand-in. Only bytes on the wire, and
the answers the stand-ins are told to give, are tampered with.

Each test once marked a production bug (strict xfail) until it was fixed; none is open now.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web

from bot.server import Service, create_service
from bot.settings import Settings
from bot.slack.app import FAILED as SLACK_FAILED
from bot.slack.app import UNAVAILABLE as SLACK_UNAVAILABLE
from bot.slack.delivery import Place as SlackPlace
from bot.slack.server import EVENTS_PATH, WEB_API_TIMEOUT_SECONDS
from bot.teams.bot import FAILED as TEAMS_FAILED
from bot.teams.delivery import Place as TeamsPlace
from bot.teams.server import MESSAGES_PATH
from dialogs.errors import StoreUnavailable
from dialogs.runner import TurnObserver
from dialogs.session import Session
from dialogs.stores.base import SessionStore
from dialogs.turn import SessionKey, Turn, TurnResult
from tests.bot.slack.conftest import SECRET, SlackHarness, new_user
from tests.support.fault_proxy import FaultProxy
from tests.support.redis_server import RedisServer
from tests.support.slack_signing import message_event
from tests.support.slack_standin import PROXY_ENV_VARS, Call, SlackStandIn
from tests.support.teams_activities import TENANT_ID, personal_message
from tests.support.teams_connector import ConnectorCall, TeamsConnector
from tests.bot.teams.conftest import Person, TeamsHarness, card_text

# Functional deadline, not a performance figure: issue 6 requires a turn against a hung Redis
# to fail within 2 s with the "progress is kept" message, so the person hears back well inside
# Slack's 3-second window. With the production settings the store gives up after two 0.5 s
# socket timeouts and the turn after at most 1.5 s.
HUNG_REDIS_DEADLINE_SECONDS = 2.0
# Teams sends an activity again when the bot has not answered it within about 15 s
# (engineering.md), and the redelivery is deduplicated, so it shows nothing: a reply that is
# not out by then reaches the person late or never. The wait on a hung connector uses this.
TEAMS_REDELIVERY_SECONDS = 15.0
# The advisor's own bound on a Slack Web API call, plus room to post the failure message.
SLACK_TIMEOUT_WAIT_SECONDS = WEB_API_TIMEOUT_SECONDS + 1.0
# Bound for waits on what happens after retries with backoff (Retry-After 1 s, 5xx backoff);
# generous, since it only bounds a wait and asserts nothing about speed.
WAIT_SECONDS = 8.0

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


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private server for this module (tests use their own users, so their own keys)."""
    server = RedisServer(directory=tmp_path_factory.mktemp("faults-redis")).start()
    try:
        yield server
    finally:
        server.stop()


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


@pytest.fixture
async def wiring(
    monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer
) -> AsyncIterator[Wiring]:
    # slack_sdk and requests would send loopback traffic through a configured HTTP proxy.
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    async with (
        SlackStandIn() as standin,
        TeamsConnector() as connector,
        FaultProxy("127.0.0.1", redis_server.port, scheme="redis") as redis,
        FaultProxy("127.0.0.1", origin_port(standin.origin)) as slack_api,
        FaultProxy("127.0.0.1", origin_port(connector.origin)) as teams_api,
    ):
        settings = Settings(
            redis_url=redis.rebase(redis_server.url),
            slack_bot_token="xoxb-test",
            slack_signing_secret=SECRET,
            slack_api_url=slack_api.rebase(standin.base_url),
            teams_dev_mode=True,
        )
        service = await create_service(settings)
        turns = Turns(service.advisor.observer)
        service.advisor.observer = turns
        runner = web.AppRunner(service.app, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        http = aiohttp.ClientSession()
        wired = Wiring(
            service=service,
            url=f"http://127.0.0.1:{runner.addresses[0][1]}",
            http=http,
            standin=standin,
            connector=connector,
            redis=redis,
            slack_api=slack_api,
            teams_api=teams_api,
            turns=turns,
        )
        try:
            yield wired
        finally:
            # Free anything stuck on a black-holed connection, so turns end before shutdown.
            for proxy in (redis, slack_api, teams_api):
                proxy.pass_through()
                proxy.reset_open_connections()
            if wired.pending:
                await asyncio.wait(wired.pending, timeout=WAIT_SECONDS)
            await service.drainer.drain(WAIT_SECONDS)
            await http.close()
            await runner.cleanup()
            await service.close()


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


@pytest.fixture
def slack_rig(wiring: Wiring) -> SlackRig:
    harness = SlackHarness(
        standin=wiring.standin,
        url=wiring.url + EVENTS_PATH,
        http=wiring.http,
        advisor=wiring.service.advisor,
    )
    return SlackRig(wiring=wiring, slack=harness)


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


@pytest.fixture
def teams_rig(wiring: Wiring) -> TeamsRig:
    harness = TeamsHarness(
        connector=wiring.connector,
        url=wiring.url + MESSAGES_PATH,
        http=wiring.http,
        advisor=wiring.service.advisor,
    )
    return TeamsRig(wiring=wiring, teams=harness)


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


# ============================================================================== Redis faults


async def test_a_lost_commit_reply_is_resent_and_applies_once(slack_rig: SlackRig) -> None:
    """The commit script runs in Redis but its reply is lost on the way back. redis-py times
    out and sends the very same EVALSHA again on a new connection; the script recognises its
    own write (the per-attempt nonce makes the document byte-for-byte equal) and answers
    "applied" without applying it twice. The person sees the next question once."""
    slack, redis = slack_rig.slack, slack_rig.redis
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    connections = redis.counters.connections

    redis.drop_replies(times=1, matching=b"EVALSHA")
    status, event_id = await slack_rig.say(user, "live")
    assert status == 200
    result = await slack_rig.finished(event_id)

    assert redis.counters.replies_dropped >= 1, "the fault never fired"
    assert redis.counters.connections > connections, "the script was not re-sent"
    assert isinstance(result, TurnResult) and not result.duplicate
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2, "the next question was not posted exactly once"
    assert SECOND_PROMPT in shown[1].payload["text"]
    assert len(delivered(slack.updates(shown[0].result["ts"]))) == 1
    assert "unavailable" not in texts_since(slack, dm, user, 0, 0)
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.history == ("stage",)
    assert after.version == before.version + 1, "the answer was applied more than once"


async def test_a_commit_whose_replies_are_all_lost_is_applied_once_and_not_replayed(
    slack_rig: SlackRig,
) -> None:
    """Every attempt's reply is lost: the write happened (once), the turn reports the store
    unavailable, and the person reads "progress is kept". When Slack delivers the same event
    again, it is found already applied: nothing is applied or posted twice."""
    slack, redis = slack_rig.slack, slack_rig.redis
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    posts = len(slack.posts(dm))

    redis.drop_replies(matching=b"EVALSHA")  # until switched back: every attempt's reply
    _, event_id = await slack_rig.say(user, "live")
    told = await slack.eventually(lambda: delivered(slack.posts(dm)[posts:]), within=WAIT_SECONDS)
    assert isinstance(await slack_rig.finished(event_id), StoreUnavailable)
    redis.pass_through()
    assert redis.counters.replies_dropped >= 2, "redis-py did not re-send the script"
    assert [c.payload["text"] for c in told] == [SLACK_UNAVAILABLE]
    applied = await stored(slack_rig.store, slack_key(user))
    assert applied.answers == {"stage": "live"} and applied.history == ("stage",)
    assert applied.version == before.version + 1

    posts = len(slack.posts(dm))
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, _ = await slack_rig.say(user, "live", event_id=event_id, **retry)
    assert status == 200
    result = await slack_rig.finished(event_id, times=2)
    assert isinstance(result, TurnResult) and result.duplicate
    assert await stored(slack_rig.store, slack_key(user)) == applied
    assert delivered(slack.posts(dm)[posts:]) == []
    assert len(delivered_questions(slack, dm)) == 1


@pytest.mark.parametrize("how", ["typed", "click"])
async def test_a_hung_redis_fails_the_turn_within_2_s_after_slack_is_acknowledged(
    slack_rig: SlackRig, how: str
) -> None:
    """Redis black-holed (connections accepted, nothing ever answered): Slack gets its HTTP 200
    first, then, within the 2-second functional deadline, the person reads that the advisor
    is briefly unavailable and their progress is kept. Nothing changed; once Redis answers
    again the same answer goes through and the next question is posted once."""
    slack, redis = slack_rig.slack, slack_rig.redis
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    question = delivered_questions(slack, dm)[0]
    button = slack.question_buttons(question)["live"]
    posts, ephemerals = len(slack.posts(dm)), len(slack.ephemerals(user))

    def shown() -> str:
        return texts_since(slack, dm, user, posts, ephemerals)

    async def answer() -> tuple[int, str, str]:
        if how == "typed":
            status, _ = await slack_rig.say(user, "live")
        else:
            status, _ = await slack.action(
                user,
                button["action_id"],
                button["value"],
                channel=dm,
                message_ts=question.result["ts"],
            )
        at_ack = shown()
        return status, at_ack, await slack.eventually(shown, within=WAIT_SECONDS)

    redis.black_hole()
    # The functional deadline of issue 6 (see HUNG_REDIS_DEADLINE_SECONDS): from sending the
    # answer to the person reading "progress is kept", with Redis hung throughout.
    status, at_ack, told = await asyncio.wait_for(answer(), HUNG_REDIS_DEADLINE_SECONDS)
    assert status == 200
    assert at_ack == "", "the unavailable message went out before Slack's acknowledgement"
    assert told == SLACK_UNAVAILABLE and "progress is kept" in told
    assert redis.counters.black_holed >= 1, "the fault never fired"

    redis.pass_through()
    assert await stored(slack_rig.store, slack_key(user)) == before
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)
    assert len(delivered_questions(slack, dm)) == 2
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1


async def test_slow_redis_and_slow_slack_api_still_answer_once(slack_rig: SlackRig) -> None:
    """Redis and the Slack Web API both slow (every chunk held 0.1 s, under the client
    timeouts): the turn neither fails nor is retried into a double write or double post."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))

    slack_rig.redis.delay(0.1)
    slack_rig.api.delay(0.1)
    _, event_id = await slack_rig.say(user, "live")
    result = await slack_rig.finished(event_id)
    slack_rig.redis.pass_through()
    slack_rig.api.pass_through()

    assert isinstance(result, TurnResult) and not result.duplicate
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2 and SECOND_PROMPT in shown[1].payload["text"]
    assert len(delivered(slack.updates(shown[0].result["ts"]))) == 1
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1


# ============================================================================== Slack Web API


def assert_posted_at_most_once_or_told(slack: SlackHarness, dm: str, user: str, posts: int) -> None:
    """The outcome an ambiguous failure allows: the next question once, or a clear message."""
    shown = delivered_questions(slack, dm)[1:]
    assert len(shown) <= 1, "the next question was posted twice"
    told = texts_since(slack, dm, user, posts, 0)
    assert shown or SLACK_FAILED in told, f"no question and no clear message: {told!r}"
    if shown:
        assert SECOND_PROMPT in shown[0].payload["text"]


SlackFault = Callable[[SlackRig], None]

SLACK_ERRORS: dict[str, SlackFault] = {
    "429-retry-after": lambda rig: rig.standin.fail("chat.postMessage", status=429, retry_after=1),
    "500": lambda rig: rig.standin.fail("chat.postMessage", status=500),
}


@pytest.mark.parametrize("fault", list(SLACK_ERRORS))
async def test_slack_api_error_is_retried_and_the_next_question_posted_once(
    slack_rig: SlackRig, fault: str
) -> None:
    """chat.postMessage of the next question is refused once (429 with Retry-After, or 500);
    the client's retry handlers try again once Slack takes calls, the question is posted
    once, and the session holds the answer once."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))

    SLACK_ERRORS[fault](slack_rig)
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)

    assert [c for c in slack.posts(dm) if not c.result.get("ok")], "the fault never fired"
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2, "the next question was not posted exactly once"
    assert SECOND_PROMPT in shown[1].payload["text"]
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1
    assert slack.standin.card_problems == []


@pytest.mark.parametrize(
    "after_forwarding",
    [
        pytest.param(False, id="before-reaching-slack"),
        pytest.param(True, id="after-reaching-slack"),
    ],
)
async def test_slack_connection_reset_never_posts_a_question_twice(
    slack_rig: SlackRig, after_forwarding: bool
) -> None:
    """The connection carrying chat.postMessage of the next question is reset, before the
    request reached Slack or after Slack posted the message. The client cannot tell the two
    apart, so either outcome is right: the question once, or a clear "progress is kept"
    message; never the question twice. The session holds the answer once either way."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    posts = len(slack.posts(dm))

    slack_rig.api.reset(times=1, matching=b"chat.postMessage", after_forwarding=after_forwarding)
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)
    await slack.eventually(lambda: texts_since(slack, dm, user, posts, 0), within=WAIT_SECONDS)
    await slack_rig.settled()

    assert slack_rig.api.counters.resets == 1, "the fault never fired"
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1
    assert_posted_at_most_once_or_told(slack, dm, user, posts)


async def test_slack_api_timeout_keeps_the_session_and_the_person_hears_back(
    slack_rig: SlackRig,
) -> None:
    """chat.postMessage of the next question is never answered (its connection black-holed;
    new connections work). Within the advisor's own Web API timeout (WEB_API_TIMEOUT_SECONDS)
    the person should get the question once or a clear message, with the answer stored once."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    posts = len(slack.posts(dm))

    slack_rig.api.black_hole(times=1, matching=b"chat.postMessage")
    await slack_rig.say(user, "live")
    await slack_rig.api.wait_for(lambda counters: counters.black_holed)
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1

    await slack.eventually(
        lambda: texts_since(slack, dm, user, posts, 0), within=SLACK_TIMEOUT_WAIT_SECONDS
    )
    await slack_rig.settled()
    assert_posted_at_most_once_or_told(slack, dm, user, posts)


# ============================================================================== coming back

Breakdown = Callable[[SlackRig], None]

SLACK_BREAKDOWNS: dict[str, tuple[Breakdown, str]] = {
    # chat.postMessage of the next question is refused on every attempt the client makes.
    "slack-500-beyond-retries": (
        lambda rig: rig.standin.fail("chat.postMessage", status=500, times=3),
        SLACK_FAILED,
    ),
    # The answered question's message cannot be updated (deleted meanwhile): the next question,
    # claimed by the commit, is never posted in this turn.
    "slack-update-refused": (
        lambda rig: rig.standin.fail("chat.update", error="message_not_found"),
        SLACK_FAILED,
    ),
    # The commit was applied, but its reply was lost on every attempt.
    "redis-reply-lost-every-time": (
        lambda rig: rig.redis.drop_replies(matching=b"EVALSHA"),
        SLACK_UNAVAILABLE,
    ),
}


@pytest.mark.parametrize("between", ["redelivery", "restart"])
async def test_a_lost_commit_does_not_strand_the_next_question(
    slack_rig: SlackRig, between: str
) -> None:
    """The commit applies (claiming the next question) but every reply is lost. Then either
    Slack redelivers the same event (a duplicate: it shows nothing) or the person asks to
    restart (a confirmation: no question either). Their next message still gets the question:
    the lost commit's claim is taken over, not left to expire."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    slack_rig.redis.drop_replies(matching=b"EVALSHA")
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)
    slack_rig.redis.pass_through()

    if between == "redelivery":
        await slack_rig.say(user, "live", event_id=event_id, **{"X-Slack-Retry-Num": "1"})
        redelivered = await slack_rig.finished(event_id, times=2)
        assert isinstance(redelivered, TurnResult) and redelivered.duplicate
    else:
        _, restart_id = await slack_rig.say(user, "restart")
        await slack_rig.finished(restart_id)

    _, status_id = await slack_rig.say(user, "status")
    await slack_rig.finished(status_id)
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2 and SECOND_PROMPT in shown[1].payload["text"]


@pytest.mark.parametrize("breakdown", list(SLACK_BREAKDOWNS))
async def test_slack_a_failed_turn_keeps_the_answer_and_says_so(
    slack_rig: SlackRig, breakdown: str
) -> None:
    """The answer is stored once but the next question never reaches Slack: the person is
    told, once Slack takes messages again, that their progress is kept; nothing is posted
    twice."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    posts = len(slack.posts(dm))

    fault, message = SLACK_BREAKDOWNS[breakdown]
    fault(slack_rig)
    await slack_rig.say(user, "live")
    told = await slack.eventually(
        lambda: texts_since(slack, dm, user, posts, 0), within=WAIT_SECONDS
    )
    await slack_rig.settled()
    slack_rig.redis.pass_through()

    assert told == message and "progress is kept" in told
    assert len(delivered_questions(slack, dm)) == 1
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1


@pytest.mark.parametrize("breakdown", list(SLACK_BREAKDOWNS))
async def test_slack_after_a_failed_turn_the_person_gets_the_next_question_when_back(
    slack_rig: SlackRig, breakdown: str
) -> None:
    """As above; then, everything working again, the person types `/llm-advisor` to carry on,
    as the usage text says. The question they are at, which never reached them, should be
    posted, once."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    posts = len(slack.posts(dm))
    fault, _ = SLACK_BREAKDOWNS[breakdown]
    fault(slack_rig)
    await slack_rig.say(user, "live")
    await slack.eventually(lambda: texts_since(slack, dm, user, posts, 0), within=WAIT_SECONDS)
    await slack_rig.settled()
    slack_rig.redis.pass_through()

    posts = len(slack.posts(dm))
    status, _ = await slack.command(user)
    assert status == 200
    await slack.eventually(lambda: delivered(slack.posts(dm)[posts:]), within=WAIT_SECONDS)
    await slack_rig.settled()
    shown = delivered_questions(slack, dm)[1:]
    back = texts_since(slack, dm, user, posts, 0)
    assert len(shown) == 1, f"coming back, the person saw {back!r} and no question"
    assert SECOND_PROMPT in shown[0].payload["text"]


# ============================================================================== Teams connector


def assert_sent_at_most_once_or_told(teams: TeamsHarness, person: Person, since: int) -> None:
    """The outcome an ambiguous failure allows: the next question once, or a clear message."""
    shown = questions(teams, person)[1:]
    assert len(shown) <= 1, "the next question card was sent twice"
    told = said(teams, person, since)
    assert shown or TEAMS_FAILED in told, f"no question and no clear message: {told!r}"
    if shown:
        assert SECOND_PROMPT in card_text(shown[0])


TeamsFault = Callable[[TeamsRig], None]

TEAMS_ERRORS: dict[str, TeamsFault] = {
    "429-retry-after": lambda rig: rig.connector.fail("send", 429, retry_after=1),
    "500": lambda rig: rig.connector.fail("send", 500),
}


@pytest.mark.parametrize("fault", list(TEAMS_ERRORS))
async def test_teams_connector_error_is_retried_and_the_next_question_sent_once(
    teams_rig: TeamsRig, fault: str
) -> None:
    """Sending the next question card is refused once (429 with Retry-After, or 500); the bot
    retries, the card is sent once, and the session holds the answer once."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    before = await stored(teams_rig.store, teams_key(person))

    TEAMS_ERRORS[fault](teams_rig)
    assert await teams_rig.say(person, "live") in (200, 201)

    refused = [c for c in teams_rig.connector.attempts("send") if not c.accepted]
    assert refused, "the fault never fired"
    shown = questions(teams, person)
    assert len(shown) == 2, "the next question was not sent exactly once"
    assert SECOND_PROMPT in card_text(shown[1])
    after = await stored(teams_rig.store, teams_key(person))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1
    assert teams_rig.connector.card_problems == []


@pytest.mark.parametrize(
    "after_forwarding",
    [
        pytest.param(False, id="before-reaching-connector"),
        pytest.param(True, id="after-reaching-connector"),
    ],
)
async def test_teams_connection_reset_never_sends_a_question_twice(
    teams_rig: TeamsRig, after_forwarding: bool
) -> None:
    """The connection carrying the next question card is reset, before the request reached
    the connector or after the connector accepted it. Either outcome is right: the card once,
    or a clear "progress is kept" message; never the card twice."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    before = await stored(teams_rig.store, teams_key(person))
    count = len(teams.texts(person.conversation))

    teams_rig.api.reset(times=1, matching=b"POST ", after_forwarding=after_forwarding)
    await teams_rig.say(person, "live")

    assert teams_rig.api.counters.resets == 1, "the fault never fired"
    after = await stored(teams_rig.store, teams_key(person))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1
    assert_sent_at_most_once_or_told(teams, person, count)


async def test_teams_connector_that_keeps_failing_keeps_the_session_and_says_so(
    teams_rig: TeamsRig,
) -> None:
    """The connector refuses every attempt at the next question card (500): the answer stays
    stored once, no card is sent twice, and once the connector takes messages again the
    person reads that something went wrong and their progress is kept."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    before = await stored(teams_rig.store, teams_key(person))
    count = len(teams.texts(person.conversation))

    teams_rig.connector.fail("send", 500, times=4)
    await teams_rig.say(person, "live")

    told = said(teams, person, count)
    assert told == TEAMS_FAILED and "progress is kept" in told
    assert len(questions(teams, person)) == 1
    after = await stored(teams_rig.store, teams_key(person))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1


async def test_teams_after_a_failed_send_the_person_gets_the_next_question_when_back(
    teams_rig: TeamsRig,
) -> None:
    """As above; then the person, told to try again, types "status". Besides their progress
    they should see the question they are at, which never reached them, once."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    teams_rig.connector.fail("send", 500, times=4)
    await teams_rig.say(person, "live")
    assert len(questions(teams, person)) == 1

    count = len(teams.texts(person.conversation))
    await teams_rig.say(person, "status")
    back = said(teams, person, count)
    assert "Progress: 1 of" in back
    shown = questions(teams, person)[1:]
    assert len(shown) == 1, f"coming back, the person saw {back!r} and no question"
    assert SECOND_PROMPT in card_text(shown[0])


async def test_teams_connector_timeout_ends_the_turn_before_teams_redelivers(
    teams_rig: TeamsRig,
) -> None:
    """The POST of the next question card is never answered (its connection black-holed;
    new connections work). Before Teams redelivers the activity (about 15 s) the bot should
    have given up on the hung call, and the person have the card once or a clear message,
    with the answer stored once."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    before = await stored(teams_rig.store, teams_key(person))
    count = len(teams.texts(person.conversation))

    teams_rig.api.black_hole(times=1, matching=b"POST ")
    turn = teams_rig.say_in_background(person, "live")
    await teams_rig.api.wait_for(lambda counters: counters.black_holed)
    after = await stored(teams_rig.store, teams_key(person))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1

    done, _ = await asyncio.wait([turn], timeout=TEAMS_REDELIVERY_SECONDS)
    assert done, "the turn was still waiting on the hung connector call"
    assert_sent_at_most_once_or_told(teams, person, count)
