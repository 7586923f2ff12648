"""`llm-advisor serve`: one aiohttp application for Slack and Teams, with health and metrics.

`llm-advisor slack` and `llm-advisor teams` serve the same application restricted to one
platform (`only`), so every HTTP endpoint has health checks, metrics and draining on SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

from bot.app import create_advisor
from bot.http_limits import MAX_BODY_BYTES, is_loopback_host
from bot.lifecycle import Drainer, settle_heap
from bot.observe import Metrics, TurnObserver, configure_json_logging
from bot.settings import Settings
from bot.slack.server import (
    SocketConnection,
    add_slack_routes,
    build_slack_app,
    create_http_session,
    create_socket_connection,
)
from bot.teams.server import add_teams_routes, create_teams_bot, credential_problems
from bot.teams_agents import credentials as agents_credentials
from dialogs.advisor import Advisor
from dialogs.errors import ConfigError, Problem, StoreUnavailable

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 1.0
MEMORY_STORE_NOTE = (
    "no REDIS_URL: sessions live in this process's memory, not shared with other "
    "processes and lost on restart"
)
Platform = Literal["slack", "teams"]


@dataclass
class Service:
    """Everything `serve` runs, so tests can build it in-process with the same wiring."""

    settings: Settings
    advisor: Advisor
    metrics: Metrics
    drainer: Drainer
    http: aiohttp.ClientSession
    app: web.Application
    platforms: list[str] = field(default_factory=list)
    socket: SocketConnection | None = None

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        await self.http.close()
        await self.advisor.store.close()


def platforms_configured(
    settings: Settings, *, slack_socket: bool, teams_dev: bool, only: Platform | None = None
) -> tuple[bool, bool]:
    """Which platforms to serve: those configured, or just `only`, which must then be."""
    if only == "slack":
        needed = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
        if slack_socket:
            needed.append("SLACK_APP_TOKEN")
        settings.require(*needed)
        return True, False
    if only == "teams":
        problems = teams_problems(settings, dev=teams_dev)
        if problems:
            raise ConfigError(problems)
        return False, True
    slack = bool(settings.slack_bot_token and (settings.slack_signing_secret or slack_socket))
    credentialed = (
        bool(settings.agents_client_id)
        if settings.teams_sdk == "agents"
        else bool(settings.microsoft_app_id and settings.microsoft_app_password)
    )
    teams = credentialed or teams_dev or settings.teams_dev_mode
    if teams and settings.teams_sdk == "agents":
        missing = agents_credentials.sdk_missing(settings)
        if missing:
            raise ConfigError(missing)
    if not slack and not teams:
        problems = [
            Problem(file="environment", where=name, message="is not set")
            for name in (
                "SLACK_BOT_TOKEN",
                "SLACK_SIGNING_SECRET",
                "MICROSOFT_APP_ID",
                "MICROSOFT_APP_PASSWORD",
            )
            if not getattr(settings, name.lower())
        ]
        problems.append(
            Problem(
                file="environment",
                where="platforms",
                message="neither Slack (SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or "
                "SLACK_APP_TOKEN) nor Teams (MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD, "
                "or TEAMS_DEV_MODE) is configured",
            )
        )
        raise ConfigError(problems)
    return slack, teams


def teams_problems(settings: Settings, *, dev: bool) -> list[Problem]:
    """What keeps the chosen Teams SDK's endpoint from starting."""
    if settings.teams_sdk == "agents":
        missing = agents_credentials.sdk_missing(settings)
        return missing or agents_credentials.credential_problems(settings, dev=dev)
    return credential_problems(settings, dev=dev)


async def create_service(
    settings: Settings,
    *,
    slack_socket: bool = False,
    teams_dev: bool = False,
    teams_options: dict[str, Any] | None = None,
    only: Platform | None = None,
    separate_metrics: bool = False,
) -> Service:
    """Build the web application; the caller runs it (and calls `close`). With
    `separate_metrics`, /metrics is left to `metrics_app` on a port of its own."""
    slack_on, teams_on = platforms_configured(
        settings, slack_socket=slack_socket, teams_dev=teams_dev, only=only
    )
    metrics = Metrics()
    drainer = Drainer()
    advisor = create_advisor(settings)
    advisor.observer = TurnObserver(metrics=metrics, log_text=settings.log_debug_text)
    http = create_http_session(settings.slack_api_timeout_seconds)
    app = web.Application(
        middlewares=[_refuse_while_draining(drainer)], client_max_size=MAX_BODY_BYTES
    )
    service = Service(
        settings=settings, advisor=advisor, metrics=metrics, drainer=drainer, http=http, app=app
    )
    try:
        _add_platforms(
            service,
            slack=slack_on,
            slack_socket=slack_socket,
            teams=teams_on,
            teams_dev=teams_dev,
            teams_options=teams_options or {},
        )
    except BaseException:
        await service.close()  # a platform refused its settings: let go of Redis and HTTP
        raise
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz(service))
    if not separate_metrics:
        app.router.add_get("/metrics", _metrics(service))
    return service


def metrics_app(service: Service) -> web.Application:
    """/metrics alone, for ADVISOR_METRICS_PORT (--metrics-port)."""
    app = web.Application()
    app.router.add_get("/metrics", _metrics(service))
    return app


def _add_platforms(
    service: Service,
    *,
    slack: bool,
    slack_socket: bool,
    teams: bool,
    teams_dev: bool,
    teams_options: dict[str, Any],
) -> None:
    settings, advisor, http, app = service.settings, service.advisor, service.http, service.app
    drainer, metrics = service.drainer, service.metrics
    if slack:
        if settings.slack_signing_secret:
            slack_app = build_slack_app(settings, advisor, http, drainer=drainer, metrics=metrics)
            add_slack_routes(app, slack_app)
            service.platforms.append("slack")
        if slack_socket:
            service.socket = create_socket_connection(
                settings, advisor, http, drainer=drainer, metrics=metrics
            )
            service.platforms.append("slack-socket")
    if teams and settings.teams_sdk == "agents":
        # Imported only when chosen: the Agents SDK is an optional extra.
        from bot.teams_agents.server import (  # noqa: PLC0415
            add_agents_routes,
            create_agents_bot,
        )

        agents = create_agents_bot(
            settings, advisor, dev=teams_dev, drainer=drainer, metrics=metrics, **teams_options
        )
        add_agents_routes(app, agents)
        service.platforms.append("teams")
    elif teams:
        adapter, bot = create_teams_bot(
            settings, advisor, dev=teams_dev, drainer=drainer, metrics=metrics, **teams_options
        )
        add_teams_routes(app, adapter, bot)
        service.platforms.append("teams")


def check_exposure(
    settings: Settings, *, host: str, teams_dev: bool, only: Platform | None = None
) -> None:
    """Refuse Teams dev mode (unauthenticated requests) on an address others can reach."""
    dev = teams_dev or settings.teams_dev_mode
    if only == "slack" or not dev or is_loopback_host(host):
        return
    flag = "--dev" if only == "teams" else "--teams-dev"
    raise ConfigError(
        [
            Problem(
                file="command line",
                where="--host",
                message=f"Teams dev mode ({flag} or TEAMS_DEV_MODE) accepts unauthenticated "
                f"requests, so it listens only on a loopback address (127.0.0.1, ::1, "
                f"localhost), not {host!r}; drop it, and set MICROSOFT_APP_ID and "
                "MICROSOFT_APP_PASSWORD, to listen elsewhere",
            )
        ]
    )


def _refuse_while_draining(drainer: Drainer) -> Any:
    """Requests on connections kept alive across SIGTERM get 503 (Slack and Teams retry them
    elsewhere); health checks still answer."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if drainer.draining and request.path not in ("/healthz", "/metrics"):
            return web.json_response({"error": "shutting down"}, status=503)
        response: web.StreamResponse = await handler(request)
        return response

    return middleware


async def _healthz(request: web.Request) -> web.Response:
    """The process is alive and its event loop answers."""
    return web.json_response({"status": "ok"})


def _readyz(service: Service) -> Any:
    async def readyz(request: web.Request) -> web.Response:
        if service.drainer.draining:
            return web.json_response(
                {"status": "unavailable", "reason": "shutting down"}, status=503
            )
        if not service.advisor.flow.questions:
            return web.json_response(
                {"status": "unavailable", "reason": "flow not loaded"}, status=503
            )
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                await service.advisor.store.ping()
        except (StoreUnavailable, TimeoutError) as exc:
            reason = f"session store unavailable: {type(exc).__name__}"
            return web.json_response({"status": "unavailable", "reason": reason}, status=503)
        ready: dict[str, Any] = {"status": "ready", "platforms": service.platforms}
        if service.settings.redis_url is None:
            ready["store"] = "memory"
            ready["warning"] = MEMORY_STORE_NOTE
        return web.json_response(ready)

    return readyz


def _metrics(service: Service) -> Any:
    async def metrics(request: web.Request) -> web.Response:
        return web.Response(
            body=service.metrics.exposition(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )

    return metrics


async def run_serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    slack_socket: bool = False,
    teams_dev: bool = False,
    only: Platform | None = None,
    metrics_port: int | None = None,
) -> int:
    """Serve until SIGTERM/SIGINT; then stop taking requests, drain turns, close connections."""
    check_exposure(settings, host=host, teams_dev=teams_dev, only=only)
    configure_json_logging(
        "INFO" if settings.log_level in ("WARNING", "ERROR") else settings.log_level
    )
    if settings.log_debug_text:
        log.warning("ADVISOR_LOG_DEBUG_TEXT is on: message text will appear in the logs")
    metrics_port = metrics_port or settings.metrics_port
    service = await create_service(
        settings,
        slack_socket=slack_socket,
        teams_dev=teams_dev,
        only=only,
        separate_metrics=metrics_port is not None,
    )
    if settings.redis_url is None:
        log.warning("%s; set REDIS_URL for anything but a trial", MEMORY_STORE_NOTE)
        print(f"warning: {MEMORY_STORE_NOTE}", file=sys.stderr, flush=True)
    runner = web.AppRunner(service.app, handle_signals=False, access_log=None)
    await runner.setup()
    metrics_runner: web.AppRunner | None = None
    if metrics_port is not None:
        metrics_runner = web.AppRunner(metrics_app(service), handle_signals=False, access_log=None)
        await metrics_runner.setup()
        await web.TCPSite(metrics_runner, host, metrics_port).start()
    settle_heap()
    site = web.TCPSite(runner, host, port)
    await site.start()
    if service.socket is not None:
        await service.socket.connect()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("serving %s on http://%s:%d", ", ".join(service.platforms), host, port)
    print(
        f"llm-advisor serving {', '.join(service.platforms)} on port {port}",
        file=sys.stderr,
        flush=True,
    )
    await stop.wait()
    log.info("shutting down: no new requests; draining %d turn(s)", service.drainer.in_flight)
    service.drainer.draining = True
    await site.stop()
    finished = await service.drainer.drain(settings.shutdown_seconds)
    if not finished:
        log.error("shutdown deadline passed with %d turn(s) in flight", service.drainer.in_flight)
    await runner.cleanup()
    if metrics_runner is not None:
        await metrics_runner.cleanup()
    await service.close()
    log.info("stopped")
    return 0
