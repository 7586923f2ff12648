"""Socket Mode: the same app over a WebSocket to a local stand-in endpoint (no inbound HTTP)."""

from __future__ import annotations

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import create_advisor
from bot.slack.delivery import Place
from bot.slack.server import build_slack_app
from dialogs.stores.base import SessionStore
from tests.bot.slack.conftest import new_user, slack_settings
from tests.support.slack_signing import event_payload, message_event, slash_command_payload
from tests.support.slack_standin import SlackStandIn


async def test_events_and_commands_over_socket_mode(
    standin: SlackStandIn, redis_url: str, store: SessionStore
) -> None:
    settings = slack_settings(standin, redis_url)
    advisor = create_advisor(settings, store=store)
    async with aiohttp.ClientSession() as session:
        app = build_slack_app(settings, advisor, session, socket=True)
        handler = AsyncSocketModeHandler(app, "xapp-test")
        await handler.connect_async()
        try:
            await standin.wait_for_connection()
            user = new_user()
            command = slash_command_payload(
                user_id=user, channel_id="C1", response_url=standin.response_url()
            )
            envelope = await standin.send_envelope("slash_commands", command)
            ack = await standin.wait_for_ack(envelope)
            assert "direct messages" in ack["payload"]["text"]

            first = await standin.wait_for("chat.postMessage", count=2)  # intro and question 1
            assert first[-1].payload["channel"] == "D" + user
            event = event_payload(message_event(user, "live", "D" + user), "EvSOCK1")
            envelope = await standin.send_envelope("events_api", event)
            await standin.wait_for_ack(envelope)
            posts = await standin.wait_for("chat.postMessage", count=3)
            assert "How much is a better answer worth" in posts[-1].payload["text"]
            # A redelivered envelope (retry_attempt 1, same event id) applies nothing twice.
            again = await standin.send_envelope(
                "events_api", event, retry_attempt=1, retry_reason="timeout"
            )
            await standin.wait_for_ack(again)
            place = Place(team="T1", channel="D" + user, thread_ts="", user=user)
            session_state = await advisor.peek(place.key)
            assert session_state is not None and session_state.answers == {"stage": "live"}
            assert standin.card_problems == []
        finally:
            await handler.close_async()
