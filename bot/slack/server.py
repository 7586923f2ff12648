"""Serving the Slack app: its route on the aiohttp application of bot.server (POST
/slack/events), or over Socket Mode."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_plus

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.http_limits import BodyRejected, check_depth, read_body
from bot.lifecycle import Drainer, settle_heap
from bot.observe import Metrics
from bot.render import create_environment
from bot.settings import Settings
from bot.slack.app import create_slack_app
from bot.slack.render import SlackRenderer
from dialogs.advisor import Advisor

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
#: The default bound on one Web API call (ADVISOR_SLACK_API_TIMEOUT_SECONDS, bot.settings).
WEB_API_TIMEOUT_SECONDS = 30.0


def create_http_session(
    timeout_seconds: float = WEB_API_TIMEOUT_SECONDS,
) -> aiohttp.ClientSession:
    """The one HTTP session for outbound Web API calls. slack_sdk applies its own `timeout`
    only to sessions it creates, so a session we hand it must carry the timeout itself."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_seconds))


def configure_web_client(
    client: AsyncWebClient, settings: Settings, session: aiohttp.ClientSession
) -> AsyncWebClient:
    """One shared HTTP session, a timeout, and retries for 429, 5xx and dropped connections.

    Listeners run after the acknowledgement, so a retry that waits out a Retry-After never
    delays Slack's 3-second deadline.
    """
    client.base_url = settings.slack_api_url
    client.timeout = int(settings.slack_api_timeout_seconds + 0.999)  # sessions it makes itself
    client.session = session
    client.retry_handlers = [
        # Only a connection that never opened is safe to retry: after a reset mid-request,
        # Slack may already have posted the message, and a resend would post it twice.
        AsyncConnectionErrorRetryHandler(
            max_retry_count=2, error_types=[aiohttp.ClientConnectorError]
        ),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]
    return client


def create_web_client(
    settings: Settings, session: aiohttp.ClientSession, *, token: str
) -> AsyncWebClient:
    """A Web API client on its own, configured as the app's (`configure_web_client`)."""
    return configure_web_client(AsyncWebClient(token=token), settings, session)


def build_slack_app(
    settings: Settings,
    advisor: Advisor,
    session: aiohttp.ClientSession,
    *,
    socket: bool = False,
    drainer: Drainer | None = None,
    metrics: Metrics | None = None,
) -> AsyncApp:
    """Over HTTP the signing secret is required; over Socket Mode Slack authenticates the socket."""
    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN" if socket else "SLACK_SIGNING_SECRET")
    assert settings.slack_bot_token is not None
    renderer = SlackRenderer(env=create_environment(), flow=advisor.flow)
    app = create_slack_app(
        advisor=advisor,
        renderer=renderer,
        token=settings.slack_bot_token,
        signing_secret=None if socket else settings.slack_signing_secret,
        drainer=drainer,
        metrics=metrics,
    )
    # Bolt gives each request a client copied from the app's (its session, base URL, timeout
    # and retry handlers), and Socket Mode uses the app's: so the app's own client is the one
    # to configure.
    configure_web_client(app.client, settings, session)
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def events_handler(app: AsyncApp, signing_secret: str | None = None) -> Handler:
    """POST /slack/events: the signature is checked on the raw bytes before anything parses
    them (401 otherwise); then size and nesting limits (413, 400); then Bolt."""
    secret = signing_secret or getattr(app, "_signing_secret", "") or ""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            raw = await read_body(request)
        except BodyRejected as rejected:
            return rejected.response()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not signature_valid(secret, raw, timestamp, signature):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "body is not UTF-8"}, status=400)
        try:
            json_body = request.content_type == "application/json"
            check_depth(text if json_body else unquote_plus(text))
        except BodyRejected as rejected:
            return rejected.response()
        try:
            # Bolt reads the payload's ids while building the request; odd shapes raise here.
            bolt_request = await to_bolt_request(request)
            well_formed = _well_formed(bolt_request.body)
        except (ValueError, UnicodeDecodeError, TypeError, KeyError, AttributeError):
            well_formed = False
        if not well_formed:
            # Signed, so from Slack (or replayed): acknowledge and drop it, since a retry of
            # the same payload cannot succeed. Bolt itself would answer 500 on these shapes.
            log.warning("dropped a signed request whose payload has an unexpected shape")
            return web.Response(status=200)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    return handle


#: Seconds since the epoch as Slack sends them: ASCII digits, no more than 12 of them.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def signature_valid(secret: str, raw: bytes, timestamp: str, signature: str) -> bool:
    """Slack's v0 signature over the raw bytes, with a timestamp of sane shape and age."""
    if not secret or not signature or not _TIMESTAMP.fullmatch(timestamp):
        return False
    verifier = SignatureVerifier(secret)
    try:
        return verifier.is_valid(body=raw, timestamp=timestamp, signature=signature)
    except UnicodeDecodeError:  # slack_sdk decodes the body; compare over the bytes instead
        if abs(time.time() - int(timestamp)) > 60 * 5:
            return False
        base = b"v0:" + timestamp.encode() + b":" + raw
        digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={digest}", signature)


_SCALARS = ("user", "channel", "team", "authorizations")
_OBJECTS = ("view", "container", "message", "state")


def _well_formed(body: dict[str, Any]) -> bool:
    """Shapes Bolt's own middleware assumes (it answers 500 otherwise): Slack always sends
    these fields as strings or objects, views and containers as objects, and actions as a
    list of objects with an action_id."""
    if not isinstance(body, dict):
        return False
    event = body.get("event")
    if event is not None:
        if not isinstance(event, dict):
            return False
        for name in _SCALARS:
            if name in event and not isinstance(event[name], str | dict):
                return False
    if "authorizations" in body and not isinstance(body["authorizations"], list):
        return False
    for name in _OBJECTS:  # Bolt calls .get on these (view_submission's view, for one)
        if name in body and not isinstance(body[name], dict):
            return False
    for name in ("user", "channel", "team", "enterprise"):
        if body.get(name) is not None and not isinstance(body[name], str | dict):
            return False
    actions = body.get("actions")
    if actions is not None:
        if not isinstance(actions, list):
            return False
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                return False
    return True


def add_slack_routes(web_app: web.Application, app: AsyncApp) -> None:
    web_app.router.add_post(EVENTS_PATH, events_handler(app))


class SocketConnection:
    """The Slack app over Socket Mode, beside HTTP (`serve --slack-socket`)."""

    def __init__(self, app: AsyncApp, app_token: str) -> None:
        self.handler = AsyncSocketModeHandler(app, app_token)

    async def connect(self) -> None:
        await self.handler.connect_async()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self.handler.close_async()  # type: ignore[no-untyped-call]


def create_socket_connection(
    settings: Settings,
    advisor: Advisor,
    session: aiohttp.ClientSession,
    *,
    drainer: Drainer | None = None,
    metrics: Metrics | None = None,
) -> SocketConnection:
    app = build_slack_app(settings, advisor, session, socket=True, drainer=drainer, metrics=metrics)
    assert settings.slack_app_token is not None
    return SocketConnection(app, settings.slack_app_token)


async def run_socket(settings: Settings, advisor: Advisor) -> None:
    async with create_http_session(settings.slack_api_timeout_seconds) as session:
        app = build_slack_app(settings, advisor, session, socket=True)
        assert settings.slack_app_token is not None
        handler = AsyncSocketModeHandler(app, settings.slack_app_token)
        settle_heap()
        log.warning("Slack Socket Mode connecting")
        await handler.start_async()  # type: ignore[no-untyped-call]
