"""The Slack stand-in's Socket Mode (hello, envelopes, acks, reconnecting) and Bolt apps end to end
on it, over Socket Mode and signed HTTP, driven by the real slack_sdk and Bolt clients."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
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
    slash_command_body,
    slash_command_payload,
)
from tests.support.slack_standin import SlackStandIn
from tests.support.slack_standin_rig import SECRET, WAIT, section, signed, standin, web_client

__all__ = ["standin"]  # the fixture, used here by name


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
