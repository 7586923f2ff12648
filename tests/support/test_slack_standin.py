"""The Slack stand-in and the request signer, driven by the real slack_sdk and Bolt clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.block_kit import RESPONSE_URL_METHOD
from tests.support.slack_signing import (
    app_home_opened_event,
    app_mention_event,
    block_actions_body,
    event_body,
    event_payload,
    message_event,
    sign,
    slash_command_body,
    slash_command_payload,
)
from tests.support.slack_standin import PROXY_ENV_VARS, SlackStandIn

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WAIT = 5.0


@pytest.fixture
async def standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlackStandIn]:
    for name in PROXY_ENV_VARS:  # slack_sdk would route loopback calls through a proxy
        monkeypatch.delenv(name, raising=False)
    async with SlackStandIn() as server:
        yield server


def web_client(
    standin: SlackStandIn, *, retry: Sequence[AsyncRetryHandler] = (), timeout: int = 5
) -> AsyncWebClient:
    return AsyncWebClient(
        base_url=standin.base_url,
        token="xoxb-test",
        timeout=timeout,
        retry_handlers=list(retry),
    )


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(action_id: str, text: str = "Yes", value: str = "yes") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def signed(body: str, secret: str = SECRET) -> dict[str, str | Sequence[str]]:
    return dict(sign(body, secret))


# -- Web API ---------------------------------------------------------------------------------


async def test_auth_test_answers_like_slack(standin: SlackStandIn) -> None:
    response = await web_client(standin).auth_test()

    assert response["user_id"] == "UBOT"
    assert response["bot_id"] == "BBOT"
    assert (response["team_id"], response["team"], response["user"]) == ("T1", "Test", "advisor")
    assert response["url"].startswith("http://127.0.0.1:")
    [call] = standin.calls
    assert (call.method, call.token, call.text_fallback) == ("auth.test", "xoxb-test", None)


async def test_post_message_echoes_and_numbers_messages(standin: SlackStandIn) -> None:
    client = web_client(standin)
    blocks = [section("Which model?", "q1"), actions(button("answer"))]

    first = await client.chat_postMessage(channel="C1", text="Which model?", blocks=blocks)
    second = await client.chat_postMessage(channel="U7", text="psst", thread_ts=first["ts"])

    assert first["ts"] == "1700000000.000100"
    assert second["ts"] == "1700000000.000200"
    assert first["channel"] == "C1"
    assert second["channel"] == "DU7"  # a user id lands in the DM with that user
    assert first["message"]["blocks"] == blocks
    assert first["message"]["text"] == "Which model?"
    assert second["message"]["thread_ts"] == first["ts"]
    calls = standin.calls_to("chat.postMessage")
    assert [call.payload["channel"] for call in calls] == ["C1", "U7"]
    assert calls[0].payload["blocks"] == blocks
    assert all(call.text_fallback for call in calls)
    assert standin.card_problems == []


async def test_a_message_without_text_fallback_is_recorded(standin: SlackStandIn) -> None:
    with pytest.warns(UserWarning, match="text"):
        await web_client(standin).chat_postMessage(channel="C1", blocks=[section("only blocks")])

    [call] = standin.calls_to("chat.postMessage")
    assert call.text_fallback is False


def _many_sections(count: int, length: int) -> list[dict[str, Any]]:
    return [section("x" * length, f"s{number}") for number in range(count)]


CARD_CASES: list[tuple[str, list[dict[str, Any]], str]] = [
    ("too many blocks", [{"type": "divider"}] * 51, "51 blocks (limit 50)"),
    ("long section", [section("x" * 3001, "q1")], "block 0 (section, block_id='q1'): section text"),
    (
        "long field",
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
        "field 0 text is 2001 chars",
    ),
    (
        "long header",
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        "header text is 151 chars (limit 150)",
    ),
    ("long button text", [actions(button("a", text="x" * 76))], "button 'a' text is 76 chars"),
    ("long button value", [actions(button("a", value="v" * 2001))], "value is 2001 chars"),
    ("long action_id", [actions(button("a" * 256))], "action_id is 256 chars (limit 255)"),
    ("long block_id", [section("hi", "b" * 256)], "block_id is 256 chars (limit 255)"),
    (
        "crowded actions",
        [actions(*(button(f"a{n}") for n in range(26)))],
        "26 elements (limit 25)",
    ),
    ("unknown block", [{"type": "carousel_of_doom"}], "unknown block type 'carousel_of_doom'"),
    ("unknown element", [actions({"type": "slider", "action_id": "s"})], "unknown type"),
    ("section without text", [{"type": "section"}], "slack_sdk rejects it"),
    ("duplicate block_id", [section("a", "q"), section("b", "q")], "'q' is used twice"),
    ("too much JSON", _many_sections(5, 2900), "chars of JSON (limit 12000)"),
]


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [(blocks, expected) for _, blocks, expected in CARD_CASES],
    ids=[name for name, _, _ in CARD_CASES],
)
async def test_bad_cards_show_up_in_card_problems(
    standin: SlackStandIn, blocks: list[dict[str, Any]], expected: str
) -> None:
    await web_client(standin).chat_postMessage(channel="C1", text="fallback", blocks=blocks)

    assert standin.card_problems, "the stand-in accepted a card Slack would refuse"
    assert any(expected in problem for problem in standin.card_problems), standin.card_problems
    assert all(problem.startswith("chat.postMessage") for problem in standin.card_problems)


async def test_other_message_methods_answer_and_are_checked(standin: SlackStandIn) -> None:
    client = web_client(standin)
    posted = await client.chat_postMessage(channel="C1", text="v1")

    updated = await client.chat_update(
        channel="C1", ts=posted["ts"], text="v2", blocks=[section("y" * 3001)]
    )
    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    link = await client.chat_getPermalink(channel="C1", message_ts=posted["ts"])

    assert (updated["channel"], updated["ts"], updated["text"]) == ("C1", posted["ts"], "v2")
    assert ephemeral["message_ts"] > posted["ts"]
    assert link["permalink"].endswith("/archives/C1/p1700000000000100")
    assert [problem.split(":")[0] for problem in standin.card_problems] == [
        "chat.update block 0 (section)"
    ]
    assert standin.calls_to("chat.getPermalink")[0].payload["message_ts"] == posted["ts"]


async def test_conversations_views_and_unknown_methods(standin: SlackStandIn) -> None:
    client = web_client(standin)

    opened = await client.conversations_open(users=["U1", "U2"])
    info = await client.conversations_info(channel="C9")
    home = {"type": "home", "blocks": [section("Welcome")]}
    published = await client.views_publish(user_id="U1", view=home)
    too_big = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    await client.views_publish(user_id="U1", view=too_big)
    other = await client.api_call("reactions.add", json={"channel": "C1", "name": "wave"})

    assert opened["channel"]["id"] == "DU1"
    assert standin.calls_to("conversations.open")[0].payload["users"] == "U1,U2"
    assert info["channel"]["id"] == "C9"
    assert published["view"]["id"].startswith("V")
    assert published["view"]["blocks"] == home["blocks"]
    assert other["ok"] is True
    assert standin.calls[-1].payload == {"channel": "C1", "name": "wave"}
    assert standin.card_problems == ["views.publish view: 101 blocks (limit 100)"]


async def test_form_encoded_calls_are_decoded(standin: SlackStandIn) -> None:
    blocks = [section("from a form"), actions(button("go"))]
    client = web_client(standin)

    await client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "hi", "blocks": json.dumps(blocks)}
    )
    await client.api_call(
        "views.publish",
        data={"user_id": "U1", "view": json.dumps({"type": "home", "blocks": blocks})},
    )
    await client.api_call("chat.postMessage", data={"channel": "C1", "text": "x", "blocks": "[{"})

    plain, view, broken = standin.calls
    assert plain.payload == {"channel": "C1", "text": "hi", "blocks": blocks}
    assert plain.token == "xoxb-test"
    assert view.payload["view"]["blocks"] == blocks
    assert broken.payload["blocks"] == "[{"
    assert standin.card_problems == ["chat.postMessage: blocks is not a JSON array: '[{'"]


async def test_api_errors_come_with_http_200(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", error="not_in_channel", times=2)
    client = web_client(standin)

    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C1", text="hi")
        assert raised.value.response.status_code == 200
        assert raised.value.response["error"] == "not_in_channel"
    assert (await client.chat_postMessage(channel="C1", text="hi"))["ok"] is True
    assert len(standin.calls_to("chat.postMessage")) == 3


async def test_rate_limit_surfaces_without_a_retry_handler(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        await web_client(standin).chat_postMessage(channel="C1", text="hi")

    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "7"


async def test_rate_limit_then_success_with_the_rate_limit_handler(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", status=429, retry_after=0)
    client = web_client(standin, retry=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])

    response = await client.chat_postMessage(channel="C1", text="hi")

    assert response["ok"] is True
    assert len(standin.calls_to("chat.postMessage")) == 2


async def test_server_error_then_success_with_the_server_error_handler(
    standin: SlackStandIn,
) -> None:
    standin.fail("chat.update", status=500)
    handler = AsyncServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )

    response = await web_client(standin, retry=[handler]).chat_update(
        channel="C1", ts="1.2", text="hi"
    )

    assert response["ok"] is True
    assert len(standin.calls_to("chat.update")) == 2


async def test_a_slow_answer_runs_into_the_client_timeout(standin: SlackStandIn) -> None:
    standin.delay("auth.test", 60)  # cut short when the stand-in stops

    with pytest.raises(TimeoutError):
        await web_client(standin, timeout=1).auth_test()
    assert (await web_client(standin).auth_test())["ok"] is True


async def test_missing_token_and_wrong_token_type(standin: SlackStandIn) -> None:
    anonymous = AsyncWebClient(base_url=standin.base_url)

    with pytest.raises(SlackApiError, match="not_authed"):
        await anonymous.auth_test()
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await anonymous.apps_connections_open(app_token="xoxb-test")


async def test_refuses_to_start_when_a_proxy_would_carry_the_traffic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")

    with pytest.raises(RuntimeError, match="HTTPS_PROXY"):
        await SlackStandIn().start()


async def test_wait_for_sees_calls_made_in_the_background(standin: SlackStandIn) -> None:
    client = web_client(standin)

    async def post_three() -> None:
        for number in range(3):
            await client.chat_postMessage(channel="C1", text=f"message {number}")

    task = asyncio.create_task(post_three())
    calls = await standin.wait_for("chat.postMessage", count=3, timeout=WAIT)
    await task

    assert [call.payload["text"] for call in calls] == ["message 0", "message 1", "message 2"]


async def test_wait_for_times_out_naming_what_it_saw(standin: SlackStandIn) -> None:
    await web_client(standin).auth_test()

    with pytest.raises(TimeoutError, match=r"chat\.update.*auth\.test"):
        await standin.wait_for("chat.update", timeout=0.05)


async def test_reset_forgets_calls_problems_and_faults(standin: SlackStandIn) -> None:
    client = web_client(standin)
    await client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "nope"}])
    standin.fail("chat.postMessage", error="channel_not_found")

    standin.reset()
    response = await client.chat_postMessage(channel="C1", text="again")

    assert response["ts"] == "1700000000.000200"  # timestamps keep rising across resets
    assert len(standin.calls) == 1
    assert standin.card_problems == []


# -- Socket Mode -----------------------------------------------------------------------------


async def test_socket_mode_hello_envelope_and_ack(standin: SlackStandIn) -> None:
    hellos: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    requests: asyncio.Queue[SocketModeRequest] = asyncio.Queue()

    async def on_message(
        client: AsyncBaseSocketModeClient, message: dict[str, Any], raw: str | None
    ) -> None:
        if message.get("type") == "hello":
            await hellos.put(message)

    async def on_request(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        await requests.put(request)

    client = SocketModeClient(
        app_token="xapp-test", web_client=AsyncWebClient(base_url=standin.base_url)
    )
    client.message_listeners.append(on_message)
    client.socket_mode_request_listeners.append(on_request)
    event = message_event("U1", "hello there", "D1")
    try:
        await client.connect()  # type: ignore[no-untyped-call]
        hello = await asyncio.wait_for(hellos.get(), WAIT)
        envelope_id = await standin.send_envelope("events_api", event_payload(event, "Ev1"))
        ack = await standin.wait_for_ack(envelope_id, timeout=WAIT)
        request = await asyncio.wait_for(requests.get(), WAIT)
        command_id = await standin.send_envelope(
            "slash_commands", slash_command_payload(user_id="U1", channel_id="D1")
        )
        await standin.wait_for_ack(command_id, timeout=WAIT)
    finally:
        await client.close()  # type: ignore[no-untyped-call]

    assert hello["connection_info"]["app_id"] == "A1"
    assert standin.calls_to("apps.connections.open")[0].token == "xapp-test"
    assert ack == {"envelope_id": envelope_id}
    assert (request.type, request.envelope_id) == ("events_api", envelope_id)
    assert request.payload["event"] == event
    assert (request.retry_attempt, request.retry_reason) == (0, "")
    events, command = standin.envelopes
    assert events["accepts_response_payload"] is False
    assert command["accepts_response_payload"] is True
    assert "retry_attempt" not in command  # Slack only numbers Events API deliveries


async def test_socket_mode_reconnects_after_a_disconnect_request(standin: SlackStandIn) -> None:
    received: asyncio.Queue[SocketModeRequest] = asyncio.Queue()

    async def on_request(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        await received.put(request)

    client = SocketModeClient(
        app_token="xapp-test", web_client=AsyncWebClient(base_url=standin.base_url)
    )
    client.socket_mode_request_listeners.append(on_request)
    try:
        await client.connect()  # type: ignore[no-untyped-call]
        await standin.wait_for_connection(1, timeout=WAIT)
        await standin.send_disconnect()
        await standin.wait_for_connection(2, timeout=WAIT)
        envelope_id = await standin.send_envelope(
            "events_api", event_payload(app_home_opened_event("U1"), "Ev2")
        )
        await standin.wait_for_ack(envelope_id, timeout=WAIT)
        request = await asyncio.wait_for(received.get(), WAIT)
    finally:
        await client.close()  # type: ignore[no-untyped-call]

    assert len(standin.calls_to("apps.connections.open")) == 2
    assert request.payload["event"]["type"] == "app_home_opened"


# -- signing ---------------------------------------------------------------------------------


def test_signed_headers_pass_slack_sdk_verification() -> None:
    body = slash_command_body(user_id="U1", channel_id="D1", text="hello & <b>")
    verifier = SignatureVerifier(SECRET)

    assert verifier.is_valid_request(body, sign(body, SECRET))
    assert not verifier.is_valid_request(body, sign(body, "another-secret"))
    assert not verifier.is_valid_request(body + "x", sign(body, SECRET))
    assert not verifier.is_valid_request(body, sign(body, SECRET, int(time.time()) - 600))


def test_payload_builders_look_like_slack() -> None:
    event = json.loads(event_body(app_mention_event("U1", "hi", "C1"), "Ev9"))
    click = block_actions_body(
        "U1",
        "answer",
        "hosted",
        "D1",
        "1700000000.000100",
        response_url="http://127.0.0.1:9/x",
    )

    assert event["type"] == "event_callback"
    assert event["event"]["text"] == "<@UBOT> hi"
    assert event["authorizations"][0]["user_id"] == "UBOT"
    assert isinstance(event["event_time"], int)
    assert click.startswith("payload=")
    assert "%22block_actions%22" in click


# -- Bolt end to end -------------------------------------------------------------------------


async def test_bolt_socket_mode_app_answers_a_mention(standin: SlackStandIn) -> None:
    app = AsyncApp(client=web_client(standin), signing_secret=SECRET)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], say: AsyncSay) -> None:
        await say(text="Hi!", blocks=[section("Hi!")], thread_ts=event["ts"])

    handler = AsyncSocketModeHandler(app, app_token="xapp-test")
    mention = app_mention_event("U1", "help", "C1")
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        envelope_id = await standin.send_envelope("events_api", event_payload(mention, "Ev3"))
        await standin.wait_for_ack(envelope_id, timeout=WAIT)
        [reply] = await standin.wait_for("chat.postMessage", timeout=WAIT)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]

    assert standin.calls[0].method == "apps.connections.open"
    assert standin.calls_to("auth.test"), "Bolt authorises its first request with auth.test"
    assert reply.payload["channel"] == "C1"
    assert reply.payload["thread_ts"] == mention["ts"]
    assert reply.token == "xoxb-test"
    assert standin.card_problems == []


async def test_bolt_http_requests_are_verified_and_answered(standin: SlackStandIn) -> None:
    app = AsyncApp(client=web_client(standin), signing_secret=SECRET)

    @app.command("/llm-advisor")
    async def on_command(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="Let's start.", blocks=[section("Let's start.")])

    @app.action("answer")
    async def on_click(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        container = body["container"]
        await client.chat_update(
            channel=container["channel_id"], ts=container["message_ts"], text="Answered."
        )

    @app.event("message")
    async def on_message(say: AsyncSay) -> None:
        await say(text="Got it.")

    command = slash_command_body(
        user_id="U1", channel_id="D1", text="start", response_url=standin.response_url()
    )
    click = block_actions_body("U1", "answer", "hosted", "D1", "1700000000.000100")
    message = event_body(message_event("U1", "hosted", "D1"), "Ev4")

    refused = await app.async_dispatch(
        AsyncBoltRequest(body=command, headers=signed(command, "wrong-secret"))
    )
    answered = [
        await app.async_dispatch(AsyncBoltRequest(body=body, headers=signed(body)))
        for body in (command, click, message)
    ]
    [response] = await standin.wait_for(RESPONSE_URL_METHOD, timeout=WAIT)
    [update] = await standin.wait_for("chat.update", timeout=WAIT)
    [post] = await standin.wait_for("chat.postMessage", timeout=WAIT)

    assert refused.status == 401
    assert [result.status for result in answered] == [200, 200, 200]
    assert response.payload["text"] == "Let's start."
    # Bolt's per-request client adds the workspace's team_id to every call it makes.
    assert update.payload == {
        "channel": "D1",
        "ts": "1700000000.000100",
        "text": "Answered.",
        "team_id": "T1",
    }
    assert post.payload["channel"] == "D1"
    assert standin.card_problems == []
