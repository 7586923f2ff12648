"""The one reader of environment variables: typed settings that fail early, naming the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from dialogs.errors import ConfigError, Problem
from dialogs.stores.redis_store import parse_redis_url

DEFAULT_TTL_DAYS = 30
SLACK_API_URL = "https://slack.com/api/"
#: Which SDK serves Teams (TEAMS_SDK): botbuilder 4.17.1 (the default; archived, its last
#: release) or the Microsoft 365 Agents SDK, its successor (the `agents` extra).
TEAMS_SDKS = ("botbuilder", "agents")
#: The Agents SDK's own names for its service connection's settings (MSAL).
AGENTS_VARIABLES = (
    ("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__AUTHTYPE", "AUTHTYPE"),
    ("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", "CLIENTID"),
    ("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET", "CLIENTSECRET"),
    ("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID", "TENANTID"),
    ("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__FEDERATEDCLIENTID", "FEDERATEDCLIENTID"),
)
#: The variable of each of the service connection's settings, by the SDK's field name.
AGENTS_VARIABLE = {field: name for name, field in AGENTS_VARIABLES}
#: The Agents SDK's kinds of credentials this adapter supports (its AuthTypes' values).
AGENTS_AUTH_TYPES = (
    "ClientSecret",
    "UserManagedIdentity",
    "SystemManagedIdentity",
    "FederatedCredentials",
)


@dataclass(frozen=True, kw_only=True)
class Settings:
    redis_url: str | None = None
    session_ttl_days: int = DEFAULT_TTL_DAYS
    redis_timeout_seconds: float = 0.5
    turn_timeout_seconds: float = 1.5
    session_cache: int = 10_000
    flow_file: Path | None = None
    cost_assumptions_file: Path | None = None
    log_level: str = "WARNING"
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = SLACK_API_URL
    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_type: str = "SingleTenant"
    microsoft_app_tenant_id: str | None = None
    teams_dev_mode: bool = False
    teams_sdk: str = "botbuilder"
    # The Agents SDK's service connection (TEAMS_SDK=agents), under its own variable names.
    agents_auth_type: str = "ClientSecret"
    agents_client_id: str | None = None
    agents_client_secret: str | None = None
    agents_tenant_id: str | None = None
    agents_federated_client_id: str | None = None
    log_debug_text: bool = False
    shutdown_seconds: float = 20.0
    metrics_port: int | None = None
    teams_send_deadline_seconds: float = 10.0
    # One Slack Web API call, at most: longer than Slack's slowest answers (12 s has been seen).
    # A call that times out may have been carried out: the person hears that Slack is slow,
    # and a question whose post timed out is looked for before it is posted again.
    slack_api_timeout_seconds: float = 30.0
    # The optional model of the free-text intake (issue 16): an OpenAI-compatible endpoint.
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    # How long the model may take before the rules read a description, and how many model
    # calls one person may make per window (fixed values; tests set them).
    llm_timeout_seconds: float = 4.0
    llm_calls_per_person: int = 5
    llm_window_seconds: int = 600

    @property
    def session_ttl_seconds(self) -> int:
        return self.session_ttl_days * 86400

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings; raise ConfigError listing every variable that is malformed."""
        settings, problems = cls.read(env)
        if problems:
            raise ConfigError(problems)
        return settings

    def require(self, *names: str) -> None:
        """Fail start-up naming each required variable that is missing or empty."""
        missing = [n for n in names if not getattr(self, n.lower(), None)]
        if missing:
            raise ConfigError(
                [
                    Problem(file="environment", where=n, message="is required and missing or empty")
                    for n in missing
                ]
            )

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None) -> tuple[Settings, list[Problem]]:
        """Settings with defaults in place of bad values, and the problems found (for `check`)."""
        env = os.environ if env is None else env
        problems: list[Problem] = []

        def bad(name: str, message: str) -> None:
            problems.append(Problem(file="environment", where=name, message=message))

        redis_url = env.get("REDIS_URL", "").strip() or None
        if redis_url is not None:
            try:  # a single server, Sentinel or Cluster; the error says what is malformed
                parse_redis_url(redis_url)
            except ValueError as exc:
                bad("REDIS_URL", str(exc))
                redis_url = None  # the default in place of a bad value, as for the others

        def number(
            name: str, default: float, low: float, high: float, whole: bool = False
        ) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw) if whole else float(raw)
            except ValueError:
                bad(name, f"must be a {'whole ' if whole else ''}number, got {raw!r}")
                return default
            if not low <= value <= high:
                bad(name, f"must be between {low:g} and {high:g}, got {raw!r}")
                return default
            return value

        ttl = number("ADVISOR_SESSION_TTL_DAYS", DEFAULT_TTL_DAYS, 1, 3650, whole=True)
        redis_timeout = number("ADVISOR_REDIS_TIMEOUT_SECONDS", 0.5, 0.05, 10)
        turn_timeout = number("ADVISOR_TURN_TIMEOUT_SECONDS", 1.5, 0.1, 30)
        session_cache = number("ADVISOR_SESSION_CACHE", 10_000, 0, 10_000_000, whole=True)

        def path(name: str) -> Path | None:
            raw = env.get(name, "").strip()
            if not raw:
                return None
            p = Path(raw).expanduser()
            if not p.is_file():
                bad(name, f"no such file: {raw}")
            return p

        flow_file = path("ADVISOR_FLOW_FILE")
        cost_file = path("ADVISOR_COST_ASSUMPTIONS")
        slack_api_url = env.get("SLACK_API_URL", "").strip() or SLACK_API_URL
        if urlparse(slack_api_url).scheme not in ("http", "https"):
            bad("SLACK_API_URL", "must be an http(s) URL")
            slack_api_url = SLACK_API_URL
        if not slack_api_url.endswith("/"):
            slack_api_url += "/"
        tokens = {
            name: env.get(name, "").strip() or None
            for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
        }
        for name, prefix in (("SLACK_BOT_TOKEN", "xoxb-"), ("SLACK_APP_TOKEN", "xapp-")):
            value = tokens[name]
            if value is not None and not value.startswith(prefix):
                bad(name, f"must start with {prefix}")
        ms = {
            name: env.get(name, "").strip() or None
            for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID")
        }
        app_type = env.get("MICROSOFT_APP_TYPE", "").strip() or "SingleTenant"
        if app_type not in ("SingleTenant", "MultiTenant", "UserAssignedMSI"):
            bad("MICROSOFT_APP_TYPE", "must be SingleTenant, MultiTenant or UserAssignedMSI")
            app_type = "SingleTenant"
        teams_sdk = env.get("TEAMS_SDK", "").strip().lower() or "botbuilder"
        if teams_sdk not in TEAMS_SDKS:
            bad("TEAMS_SDK", f"must be botbuilder or agents, got {teams_sdk!r}")
            teams_sdk = "botbuilder"
        agents = {field: env.get(name, "").strip() or None for name, field in AGENTS_VARIABLES}
        agents_auth_type = agents["AUTHTYPE"] or "ClientSecret"
        if agents_auth_type not in AGENTS_AUTH_TYPES:
            bad(AGENTS_VARIABLE["AUTHTYPE"], f"must be one of {', '.join(AGENTS_AUTH_TYPES)}")
            agents_auth_type = "ClientSecret"
        flags: dict[str, bool] = {}
        for name in ("TEAMS_DEV_MODE", "ADVISOR_LOG_DEBUG_TEXT"):
            raw = env.get(name, "").strip().lower()
            if raw not in ("", "true", "false", "1", "0", "yes", "no"):
                bad(name, "must be true or false")
            flags[name] = raw in ("true", "1", "yes")
        shutdown = number("ADVISOR_SHUTDOWN_SECONDS", 20.0, 1, 300)
        metrics_port = number("ADVISOR_METRICS_PORT", 0, 1, 65535, whole=True)
        # A turn's outbound Teams calls in all; Teams redelivers a turn not answered in ~15 s.
        send_deadline = number("ADVISOR_TEAMS_SEND_DEADLINE_SECONDS", 10.0, 0.1, 14)
        slack_timeout = number("ADVISOR_SLACK_API_TIMEOUT_SECONDS", 30.0, 0.1, 120)
        llm = {
            name: env.get(name, "").strip() or None
            for name in ("ADVISOR_LLM_URL", "ADVISOR_LLM_MODEL", "ADVISOR_LLM_API_KEY")
        }
        if llm["ADVISOR_LLM_URL"] and urlparse(llm["ADVISOR_LLM_URL"]).scheme not in (
            "http",
            "https",
        ):
            bad("ADVISOR_LLM_URL", "must be an http(s) URL")
            llm["ADVISOR_LLM_URL"] = None
        if bool(llm["ADVISOR_LLM_URL"]) != bool(llm["ADVISOR_LLM_MODEL"]):
            bad("ADVISOR_LLM_MODEL", "ADVISOR_LLM_URL and ADVISOR_LLM_MODEL go together")
            llm["ADVISOR_LLM_URL"] = llm["ADVISOR_LLM_MODEL"] = None
        level = env.get("ADVISOR_LOG_LEVEL", "WARNING").strip().upper() or "WARNING"
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            bad("ADVISOR_LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")
            level = "WARNING"
        return cls(
            redis_url=redis_url,
            session_ttl_days=int(ttl),
            redis_timeout_seconds=redis_timeout,
            turn_timeout_seconds=turn_timeout,
            session_cache=int(session_cache),
            flow_file=flow_file,
            cost_assumptions_file=cost_file,
            log_level=level,
            slack_bot_token=tokens["SLACK_BOT_TOKEN"],
            slack_signing_secret=tokens["SLACK_SIGNING_SECRET"],
            slack_app_token=tokens["SLACK_APP_TOKEN"],
            slack_api_url=slack_api_url,
            microsoft_app_id=ms["MICROSOFT_APP_ID"],
            microsoft_app_password=ms["MICROSOFT_APP_PASSWORD"],
            microsoft_app_type=app_type,
            microsoft_app_tenant_id=ms["MICROSOFT_APP_TENANT_ID"],
            teams_dev_mode=flags["TEAMS_DEV_MODE"],
            teams_sdk=teams_sdk,
            agents_auth_type=agents_auth_type,
            agents_client_id=agents["CLIENTID"],
            agents_client_secret=agents["CLIENTSECRET"],
            agents_tenant_id=agents["TENANTID"],
            agents_federated_client_id=agents["FEDERATEDCLIENTID"],
            log_debug_text=flags["ADVISOR_LOG_DEBUG_TEXT"],
            shutdown_seconds=shutdown,
            metrics_port=int(metrics_port) or None,
            teams_send_deadline_seconds=send_deadline,
            slack_api_timeout_seconds=slack_timeout,
            llm_url=llm["ADVISOR_LLM_URL"],
            llm_model=llm["ADVISOR_LLM_MODEL"],
            llm_api_key=llm["ADVISOR_LLM_API_KEY"],
        ), problems
