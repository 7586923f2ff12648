"""Serving the Teams bot on the Agents SDK: its CloudAdapter and JWT check on aiohttp at
POST /api/messages, behind the same request limits as the botbuilder endpoint."""

from __future__ import annotations

import json
import logging
import sys
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import jwt
from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator
from microsoft_agents.hosting.core import AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization import AuthTypes
from pydantic import ValidationError

from bot.http_limits import BodyRejected, check_depth, is_loopback_url, read_body
from bot.lifecycle import Drainer
from bot.observe import Metrics
from bot.render import create_environment
from bot.settings import Settings
from bot.teams.common import header_safe
from bot.teams.render import TeamsRenderer
from bot.teams_agents.bot import AdvisorAgentsBot
from bot.teams_agents.connectors import PooledClientFactory
from bot.teams_agents.credentials import credential_problems
from dialogs.advisor import Advisor
from dialogs.errors import ConfigError

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
#: Where the SDK's JWT check finds its configuration (it reads request.app[...]).
CONFIGURATION_KEY = "agent_configuration"
DEV_MODE_BANNER = (
    "\n*** TEAMS DEV MODE (Agents SDK): anonymous requests ACCEPTED. Local testing only. ***\n"
    "*** Set CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID and its credentials.   ***\n"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, kw_only=True)
class AgentsTeams:
    """The Agents SDK's adapter and configuration, our bot (with its AgentApplication), and the
    connector clients the adapter reuses across turns."""

    adapter: CloudAdapter
    configuration: AgentAuthConfiguration
    bot: AdvisorAgentsBot
    clients: PooledClientFactory


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The service connection, the SDK's way (MSAL): a client secret, a managed identity or
    federated credentials; without a client id, anonymous (dev mode, checked before)."""
    if not settings.agents_client_id:
        return AgentAuthConfiguration(anonymous_allowed=True)
    return AgentAuthConfiguration(
        auth_type=AuthTypes(settings.agents_auth_type),
        client_id=settings.agents_client_id,
        tenant_id=settings.agents_tenant_id,
        client_secret=settings.agents_client_secret,
        federated_client_id=settings.agents_federated_client_id,
        # The SDK checks the verified issuer against its list only when asked to.
        validate_issuer=True,
    )


#: The SDK's loggers that repeat, at ERROR or WARNING on every call, what this adapter logs
#: once per failure (bot.adapter.Boundary: one line, the traceback at DEBUG): a refused
#: connector call, and a user-token client made without an app id (every turn in dev mode).
QUIET_LOGGERS = (
    "microsoft_agents.activity.activity",  # a body its model refuses: answered 400 here
    "microsoft_agents.hosting.core.connector.client.connector_client",
    "microsoft_agents.hosting.core.connector.client.user_token_client",
)


def create_agents_bot(
    settings: Settings,
    advisor: Advisor,
    *,
    dev: bool = False,
    drainer: Drainer | None = None,
    metrics: Metrics | None = None,
) -> AgentsTeams:
    """The adapter and bot; refuses to start without credentials unless in dev mode."""
    problems = credential_problems(settings, dev=dev)
    if problems:
        raise ConfigError(problems)
    configuration = auth_configuration(settings)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if configuration.ANONYMOUS_ALLOWED:
        print(DEV_MODE_BANNER, file=sys.stderr)
        log.warning("Teams dev mode (Agents SDK): anonymous requests are accepted")
    connections = MsalConnectionManager(
        connections_configurations={"SERVICE_CONNECTION": configuration}
    )
    # One connector client per service URL, not one (and an aiohttp session) per turn.
    clients = PooledClientFactory(connections)
    adapter = CloudAdapter(connection_manager=connections, channel_service_client_factory=clients)
    renderer = TeamsRenderer(env=create_environment(), flow=advisor.flow)
    bot = AdvisorAgentsBot(
        advisor=advisor,
        renderer=renderer,
        connection_manager=connections,
        drainer=drainer,
        metrics=metrics,
    )
    bot.delivery.deadline_seconds = settings.teams_send_deadline_seconds
    return AgentsTeams(adapter=adapter, configuration=configuration, bot=bot, clients=clients)


def token_rejected(header: str, configuration: AgentAuthConfiguration) -> bool:
    """Whether to answer 401 before the SDK looks at the token: not a bearer JWT, or from an
    issuer this bot does not accept (the SDK would fetch signing keys for any issuer first).
    No header passes here: the SDK itself accepts it only in anonymous (dev) mode."""
    if not header:
        return False
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token or " " in token:
        return True
    if configuration.ANONYMOUS_ALLOWED:
        return True  # dev mode takes no tokens (none could name this bot, which has no id)
    try:
        jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return True
    issuer = claims.get("iss")
    accepted = {i.lower() for i in configuration.ISSUERS}
    return not isinstance(issuer, str) or issuer.lower() not in accepted


#: Objects whose null fields mean "absent" (Teams and botbuilder read them so; the SDK's model
#: refuses null where it types a string). Card data (`value`) and channelData are left as sent.
NULLABLE_PARTS = ("from", "recipient", "conversation")


def without_nulls(body: dict[str, Any]) -> dict[str, Any]:
    """The activity with its null fields left out, at the top and in NULLABLE_PARTS."""
    out = {k: v for k, v in body.items() if v is not None}
    for part in NULLABLE_PARTS:
        if isinstance(out.get(part), dict):
            out[part] = {k: v for k, v in out[part].items() if v is not None}
    return out


@dataclass(frozen=True)
class CheckedRequest:
    """The SDK's HttpRequestProtocol over a request whose body was read and checked here."""

    request: web.Request
    body: dict[str, Any]
    method: str = "POST"

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers

    async def json(self) -> dict[str, Any]:
        return self.body

    def get_claims_identity(self) -> Any:
        return self.request.get("claims_identity")  # set by the SDK's JWT check

    def get_path_param(self, name: str) -> str:
        return self.request.match_info[name]


def read_activity(body: dict[str, Any]) -> Activity | str:
    """The activity, or what makes it not one Teams would send (answered 400)."""
    try:
        activity = Activity.model_validate(body)
    except ValidationError:
        return "the activity's fields do not have the types of the Bot Framework schema"
    if activity.conversation is None or not activity.conversation.id:
        return "conversation.id is missing"
    if not header_safe(str(activity.conversation.id)):
        return "conversation.id has characters a reply cannot carry"
    if activity.from_property is None or not activity.from_property.id:
        return "from.id is missing"
    if activity.recipient is None or not activity.recipient.id:
        return "recipient.id is missing"
    if not activity.service_url:
        return "serviceUrl is missing"
    return activity


def messages_handler(teams: AgentsTeams) -> Handler:
    """POST /api/messages: the token first (401), then the body: its type (415), size (413),
    nesting (400), JSON and shape (400); in dev mode replies go only to loopback addresses.
    Then the SDK's own JWT check and its adapter, as `start_agent_process` would."""
    configuration = teams.configuration

    async def process(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        """What start_agent_process does, on the body as checked (it would read it again)."""
        answer = await teams.adapter.process_request(CheckedRequest(request, body), teams.bot.app)
        if answer.body is not None:
            return web.json_response(answer.body, status=answer.status_code, headers=answer.headers)
        return web.Response(status=answer.status_code, headers=answer.headers)

    async def handle(request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        if token_rejected(header, configuration) or (
            not header and not configuration.ANONYMOUS_ALLOWED
        ):
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
        body = without_nulls(body)
        activity = read_activity(body)
        if isinstance(activity, str):
            return web.json_response({"error": activity}, status=400)
        if configuration.ANONYMOUS_ALLOWED and not is_loopback_url(activity.service_url):
            # Without authentication anyone could make the bot post anywhere.
            return web.json_response(
                {"error": "dev mode replies only to a loopback serviceUrl"}, status=400
            )
        try:
            authorized: Handler = jwt_authorization_decorator(  # type: ignore[no-untyped-call]
                partial(process, body=body)
            )
            answer = await authorized(request)
        except PermissionError:
            return web.json_response({"error": "unauthorized"}, status=401)
        except Exception:
            log.exception("could not process an activity")
            return web.json_response({"error": "internal error"}, status=500)
        return answer

    return handle


def add_agents_routes(web_app: web.Application, teams: AgentsTeams) -> None:
    with warnings.catch_warnings():  # the SDK reads a plain string key, not a web.AppKey
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        web_app[CONFIGURATION_KEY] = teams.configuration
    web_app.router.add_post(MESSAGES_PATH, messages_handler(teams))

    async def close_clients(_: web.Application) -> None:
        await teams.clients.aclose()

    web_app.on_cleanup.append(close_clients)
