"""Serving the Teams bot: CloudAdapter on aiohttp at POST /api/messages."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector.auth import ServiceClientCredentialsFactory

from bot.http_limits import BodyRejected, check_depth, is_loopback_url, read_body
from bot.lifecycle import Drainer
from bot.observe import Metrics
from bot.render import create_environment
from bot.settings import Settings
from bot.teams.auth import OffLoopCredentialsFactory, StrictAuthentication
from bot.teams.bot import AdvisorTeamsBot
from bot.teams.common import header_safe
from bot.teams.connectors import ConnectorClients
from bot.teams.delivery import start_deadline
from bot.teams.render import TeamsRenderer
from dialogs.advisor import Advisor
from dialogs.errors import ConfigError, Problem

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
DEV_MODE_BANNER = (
    "\n*** TEAMS DEV MODE: no Microsoft app credentials; unauthenticated requests ACCEPTED. ***\n"
    "*** Local testing only. Set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD otherwise.  ***\n"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class AuthConfiguration:
    """The attribute names botbuilder's configuration classes read."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str | None


def credential_problems(settings: Settings, *, dev: bool) -> list[Problem]:
    """What keeps the Teams endpoint from starting; none with credentials, or in dev mode."""
    if settings.microsoft_app_id and settings.microsoft_app_password:
        if settings.microsoft_app_type == "SingleTenant" and not settings.microsoft_app_tenant_id:
            return [
                Problem(
                    file="environment",
                    where="MICROSOFT_APP_TENANT_ID",
                    message="is required for SingleTenant apps",
                )
            ]
        return []
    if dev or settings.teams_dev_mode:
        return []
    return [
        Problem(
            file="environment",
            where=n,
            message="is required (or run with --dev for local testing)",
        )
        for n in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD")
        if not getattr(settings, n.lower())
    ]


def check_credentials(settings: Settings, *, dev: bool) -> None:
    """Refuse to run without credentials unless dev mode says so (loudly)."""
    problems = credential_problems(settings, dev=dev)
    if problems:
        raise ConfigError(problems)
    if not (settings.microsoft_app_id and settings.microsoft_app_password):
        print(DEV_MODE_BANNER, file=sys.stderr)
        log.warning("Teams dev mode: unauthenticated requests are accepted")


def create_teams_bot(
    settings: Settings,
    advisor: Advisor,
    *,
    dev: bool = False,
    auth_configuration: object | None = None,
    credentials_factory: ServiceClientCredentialsFactory | None = None,
    drainer: Drainer | None = None,
    metrics: Metrics | None = None,
) -> tuple[CloudAdapter, AdvisorTeamsBot]:
    """The adapter and bot. `auth_configuration` and `credentials_factory` replace the Bot
    Framework's public endpoints (sovereign clouds; tests use a local issuer)."""
    check_credentials(settings, dev=dev)
    credentialed = bool(settings.microsoft_app_id and settings.microsoft_app_password)
    configuration = auth_configuration or AuthConfiguration(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=settings.microsoft_app_password or "",
        APP_TYPE=settings.microsoft_app_type if credentialed else "MultiTenant",
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )
    factory = OffLoopCredentialsFactory(
        credentials_factory or ConfigurationServiceClientCredentialFactory(configuration)
    )
    inner = ConfigurationBotFrameworkAuthentication(configuration, credentials_factory=factory)
    # One connector client per service URL, its credentials renewed as they age.
    clients = ConnectorClients(refresh=factory.refresh)
    adapter = CloudAdapter(
        StrictAuthentication(
            inner, offload=credentialed, configuration=configuration, clients=clients
        )
    )
    renderer = TeamsRenderer(env=create_environment(), flow=advisor.flow)
    bot = AdvisorTeamsBot(advisor=advisor, renderer=renderer, drainer=drainer, metrics=metrics)
    bot.delivery.deadline_seconds = settings.teams_send_deadline_seconds
    return adapter, bot


def messages_handler(adapter: CloudAdapter, bot: AdvisorTeamsBot) -> Handler:
    """POST /api/messages: the token first (401), then the body: its type (415), size (413),
    nesting (400), JSON and shape (400); in dev mode replies go only to loopback addresses."""
    auth = adapter.bot_framework_authentication
    strict = auth if isinstance(auth, StrictAuthentication) else None

    async def logic(context: TurnContext) -> None:
        # The clock on the turn's outbound calls starts with the turn (bot.teams.delivery).
        start_deadline(context, bot.delivery.deadline_seconds)
        await bot.on_turn(context)

    async def handle(request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        if strict is not None:
            try:
                await strict.authenticate_header(header)
            except PermissionError:
                return web.json_response({"error": "unauthorized"}, status=401)
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected application/json"}, status=415)
        try:
            raw = await read_body(request)
            check_depth(raw)
        except BodyRejected as rejected:
            return rejected.response()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return web.json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(body, dict) or not body.get("type"):
            return web.json_response({"error": "not an activity"}, status=400)
        activity = read_activity(body)
        if isinstance(activity, str):
            return web.json_response({"error": activity}, status=400)
        if (strict is None or not strict.requires_token) and not is_loopback_url(
            activity.service_url
        ):
            # Without authentication anyone could make the bot post anywhere.
            return web.json_response(
                {"error": "dev mode replies only to a loopback serviceUrl"}, status=400
            )
        try:
            # What CloudAdapter.process does after reading the body, which is read already.
            answer = await adapter.process_activity(header, activity, logic)
        except PermissionError:
            return web.json_response({"error": "unauthorized"}, status=401)
        except Exception:
            log.exception("could not process an activity")
            return web.json_response({"error": "internal error"}, status=500)
        if answer is None:
            return web.Response(status=201)
        return web.json_response(serializer_helper(answer.body), status=answer.status)

    return handle


def read_activity(body: dict[str, Any]) -> Activity | str:
    """The activity, or what makes this not an activity Teams would send. botbuilder answers
    500 on wrongly typed fields and on a missing sender or conversation, and cannot reply where
    the conversation id does not fit in an HTTP header, so these get a 400."""
    try:
        activity: Activity = Activity().deserialize(body)
    except Exception:
        return "the activity's fields do not have the types of the Bot Framework schema"
    conversation = activity.conversation
    if conversation is None or not conversation.id:
        return "conversation.id is missing"
    if not header_safe(str(conversation.id)):
        return "conversation.id has characters a reply cannot carry"
    if activity.from_property is None or not activity.from_property.id:
        return "from.id is missing"
    if activity.recipient is None or not activity.recipient.id:
        return "recipient.id is missing"
    if not activity.service_url:
        return "serviceUrl is missing"
    return activity


def add_teams_routes(web_app: web.Application, adapter: CloudAdapter, bot: AdvisorTeamsBot) -> None:
    web_app.router.add_post(MESSAGES_PATH, messages_handler(adapter, bot))
    auth = adapter.bot_framework_authentication
    if isinstance(auth, StrictAuthentication):
        clients = auth.clients

        async def close_clients(_: web.Application) -> None:
            await clients.close()  # the connector clients' aiohttp session

        web_app.on_cleanup.append(close_clients)
