"""The adapters' one error boundary, driven with real failures: a Redis that does not answer,
a Slack API error from a Slack stand-in, a connector error, a bug, a cancellation."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from bot.adapter import FAILED, SLOW, UNAVAILABLE, Boundary, ErrorTexts
from bot.app import create_advisor
from bot.console.chat import ConsoleChat, console_key
from bot.observe import Metrics
from bot.render import Renderer, create_environment
from bot.settings import Settings
from bot.slack.app import SlackAdvisor
from bot.slack.delivery import Place
from bot.slack.render import SlackRenderer
from bot.slack.server import create_http_session, create_web_client
from bot.slack.texts import ERRORS as SLACK_ERRORS
from bot.teams.bot import API_ERRORS as TEAMS_API_ERRORS
from dialogs.stores.redis_store import RedisStore
from tests.support.redis_server import free_port
from tests.support.slack_standin import SlackStandIn
from tests.support.slack_standin_rig import standin
from tests.support.teams_sdk import ClientRequestError

__all__ = ["standin"]  # the fixture, used here by name


class Told:
    """What the boundary showed the person, and how often it asked where the turn was."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.asked_where = 0

    async def show(self, text: str) -> None:
        self.texts.append(text)

    def where(self) -> str:
        self.asked_where += 1
        return "c0ffee"


def unreachable_store() -> RedisStore:
    return RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.2)


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.adapter"]


async def test_a_turn_that_goes_through_is_left_alone() -> None:
    told = Told()
    async with Boundary(platform="test", where=told.where, show=told.show) as boundary:
        await asyncio.sleep(0)
    assert boundary.text is None and told.texts == []
    assert told.asked_where == 0, "the pseudonym is worked out only when something failed"


async def test_a_store_that_does_not_answer_is_one_warning_and_the_unavailable_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = unreachable_store()
    told = Told()
    try:
        async with Boundary(platform="test", where=told.where, show=told.show) as boundary:
            await store.ping()
    finally:
        await store.close()
    assert told.texts == [UNAVAILABLE] and boundary.text == UNAVAILABLE
    assert "briefly unavailable" in UNAVAILABLE and "progress is kept" in UNAVAILABLE
    [line] = lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert "store unavailable in conversation c0ffee" in line.getMessage()


async def test_a_bug_is_logged_with_its_traceback_and_the_person_told_plainly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    told = Told()
    async with Boundary(platform="test", where=told.where, show=told.show):
        int("not a number")
    assert told.texts == [FAILED]
    [line] = lines(caplog)
    assert line.levelno == logging.ERROR and line.exc_info is not None
    assert isinstance(line.exc_info[1], ValueError)
    assert "turn failed in conversation c0ffee" in line.getMessage()


async def test_a_known_connector_error_is_one_line_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    told = Told()
    async with Boundary(platform="teams", where=told.where, show=told.show, api=TEAMS_API_ERRORS):
        raise ClientRequestError("connection reset by the connector")
    assert told.texts == [FAILED]
    [line] = lines(caplog)
    assert line.levelno == logging.ERROR and line.exc_info is None
    assert "api error None (ClientRequestError) in conversation c0ffee" in line.getMessage()


async def test_a_cancelled_turn_is_not_swallowed() -> None:
    told = Told()
    with pytest.raises(asyncio.CancelledError):
        async with Boundary(platform="test", where=told.where, show=told.show):
            raise asyncio.CancelledError
    assert told.texts == []


async def test_when_telling_the_person_fails_too_that_is_logged_and_swallowed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()

    async def show(text: str) -> None:
        await asyncio.open_connection("127.0.0.1", port)  # nothing listens there

    store = unreachable_store()
    try:
        async with Boundary(platform="test", where=lambda: "c0ffee", show=show) as boundary:
            await store.ping()
    finally:
        await store.close()
    assert boundary.text == UNAVAILABLE
    first, second = lines(caplog)
    assert first.levelno == logging.WARNING
    assert "could not tell conversation c0ffee" in second.getMessage()
    assert second.exc_info is not None and isinstance(second.exc_info[1], ConnectionError)


def test_each_platform_marks_the_one_wording() -> None:
    marked = ErrorTexts.marked(unavailable=":hourglass:", failed=":warning:")
    assert marked.unavailable == f":hourglass: {UNAVAILABLE}"
    assert marked.failed == f":warning: {FAILED}"
    assert marked.slow == f":hourglass: {SLOW}"
    # Slack names itself where the shared wording says "the chat service".
    assert (SLACK_ERRORS.unavailable, SLACK_ERRORS.failed) == (marked.unavailable, marked.failed)
    assert SLACK_ERRORS.slow.startswith(":hourglass: Slack is answering slowly")


# ------------------------------------------------------------- the adapters behind it


async def test_slack_api_error_is_counted_logged_once_and_the_person_told(
    standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=standin.base_url)
    advisor = create_advisor(settings)
    metrics = Metrics()
    slack = SlackAdvisor(
        advisor=advisor,
        renderer=SlackRenderer(env=create_environment(), flow=advisor.flow),
        metrics=metrics,
    )
    place = Place(team="T1", channel="C1", thread_ts="", user="U1")
    standin.fail("chat.postMessage", error="channel_not_found")
    http: aiohttp.ClientSession = create_http_session()
    try:
        client = create_web_client(settings, http, token="xoxb-test")

        async def work() -> None:
            await client.chat_postMessage(channel="C1", text="a question")

        await slack.safely(client, place, work)
    finally:
        await http.close()
    told = [c.payload["text"] for c in standin.calls_to("chat.postMessage")]
    assert told == ["a question", SLACK_ERRORS.failed]
    [line] = lines(caplog)
    assert line.levelno == logging.ERROR and line.exc_info is None
    assert "slack: api error 200 (channel_not_found)" in line.getMessage()
    sample = metrics.registry.get_sample_value(
        "advisor_outbound_api_errors_total", {"platform": "slack", "status": "200"}
    )
    assert sample == 1.0


async def test_the_console_tells_the_person_in_the_terminal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings()
    advisor = create_advisor(settings, store=unreachable_store())
    written: list[str] = []
    chat = ConsoleChat(
        advisor=advisor,
        renderer=Renderer(env=create_environment(), flow=advisor.flow, folder="console"),
        key=console_key("adapter-test", user="me"),
        read_line=lambda: asyncio.sleep(0, result=None),
        write=written.append,
        persistent=True,
        width=lambda: 1000,  # the message whole, whatever terminal runs the test
    )
    try:
        assert await chat.turn("hello") is None
    finally:
        await advisor.store.close()
    assert written == [f"! {UNAVAILABLE}"]
    [line] = lines(caplog)
    assert line.levelno == logging.WARNING and "console:" in line.getMessage()
