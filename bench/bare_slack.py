"""The bare Bolt app the Slack benchmark measures the advisor against, in its own process.

    SLACK_BOT_TOKEN=... SLACK_SIGNING_SECRET=... SLACK_API_URL=... \\
        python -m bench.bare_slack --port N --payloads FILE

The least a Bolt app can do per click with the advisor's Web API calls: one action listener
that acknowledges, updates the clicked message (chat.update) and posts the next question
(chat.postMessage), and does nothing else. It posts the advisor's own answered and question
messages and listens to the action ids of the advisor's answer buttons (FILE: {"answered":
{...}, "question": {...}, "action_id": "..."}, captured from the advisor), so both sides send
the same bytes per call.

Everything around the listener is as `llm-advisor serve` has it, so the difference is the
advisor's own work: the same settings object, the same AsyncWebClient (shared aiohttp
session, timeout, retry handlers) from bot.slack.server, Bolt's aiohttp adapter functions
behind an aiohttp AppRunner without access log, the heap settled once built, and slack_sdk's
level-reading loggers given the level in force (bot.observe.set_library_levels, without which
slack_sdk formats every call for a debug line). It writes no log lines: serve's per-turn JSON
line is the advisor's work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.bare_serving import serve_until_stopped
from bot.observe import set_library_levels
from bot.settings import Settings
from bot.slack.server import EVENTS_PATH, create_http_session, create_web_client

HEALTH_PATH = "/healthz"


def build_bare_app(client: AsyncWebClient, secret: str, payloads: dict[str, Any]) -> AsyncApp:
    answered, question = payloads["answered"], payloads["question"]
    prefix = str(payloads["action_id"]).rstrip("0123456789")  # answer_3: answer_<number>
    app = AsyncApp(client=client, signing_secret=secret, process_before_response=False)

    @app.action(re.compile(f"^{re.escape(prefix)}[0-9]+$"))
    async def on_click(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        container = body["container"]
        channel = container["channel_id"]
        await client.chat_update(channel=channel, ts=container["message_ts"], **answered)
        await client.chat_postMessage(channel=channel, **question)

    return app


def web_application(app: AsyncApp) -> web.Application:
    async def events(request: web.Request) -> web.StreamResponse:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app = web.Application()
    web_app.router.add_post(EVENTS_PATH, events)
    web_app.router.add_get(HEALTH_PATH, health)
    return web_app


async def serve(port: int, payloads: dict[str, Any]) -> None:
    settings = Settings.from_env()
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    set_library_levels(settings.log_level)
    async with create_http_session() as session:
        client = create_web_client(settings, session, token=settings.slack_bot_token)
        app = build_bare_app(client, settings.slack_signing_secret, payloads)
        await serve_until_stopped(web_application(app), port, f"bare Bolt app on port {port}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_slack", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payloads", type=Path, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, json.loads(args.payloads.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
