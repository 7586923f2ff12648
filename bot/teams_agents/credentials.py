"""What the Agents SDK adapter needs to start, with no SDK import: `check` and `serve` ask this
before the SDK is loaded (it may not be installed)."""

from __future__ import annotations

from importlib.util import find_spec

from bot.settings import AGENTS_VARIABLE, Settings
from dialogs.errors import Problem

#: The distributions of the `agents` extra, by the module each provides.
MODULES = (
    "microsoft_agents.hosting.aiohttp",
    "microsoft_agents.hosting.msteams",
    "microsoft_agents.authentication.msal",
)
INSTALL_HINT = "pip install 'llm-advisor[agents]'"


def missing_modules() -> list[str]:
    """The Agents SDK modules not installed (found without importing them)."""
    missing = []
    for name in MODULES:
        try:
            found = find_spec(name) is not None
        except ModuleNotFoundError:  # a parent package is missing
            found = False
        if not found:
            missing.append(name)
    return missing


def credential_problems(settings: Settings, *, dev: bool) -> list[Problem]:
    """What keeps the Agents SDK endpoint from starting; none with complete credentials of the
    chosen kind (AUTHTYPE), or in dev mode (anonymous, loopback replies only)."""

    def needs(field: str, why: str) -> Problem:
        return Problem(file="environment", where=AGENTS_VARIABLE[field], message=why)

    if not settings.agents_client_id:
        if dev or settings.teams_dev_mode:
            return []
        return [needs("CLIENTID", "is required (or run with --dev for local testing)")]
    kind = settings.agents_auth_type
    problems: list[Problem] = []
    if kind == "ClientSecret":
        if not settings.agents_client_secret:
            problems.append(needs("CLIENTSECRET", "is required with AUTHTYPE ClientSecret"))
        if not settings.agents_tenant_id:
            problems.append(needs("TENANTID", "is required with AUTHTYPE ClientSecret"))
    elif kind == "FederatedCredentials":
        if not settings.agents_federated_client_id:
            problems.append(
                needs("FEDERATEDCLIENTID", "is required with AUTHTYPE FederatedCredentials")
            )
        if not settings.agents_tenant_id:
            problems.append(needs("TENANTID", "is required with AUTHTYPE FederatedCredentials"))
    return problems


def sdk_missing(settings: Settings) -> list[Problem]:
    """TEAMS_SDK=agents without the Agents SDK installed, as a problem saying what to do."""
    if settings.teams_sdk != "agents":
        return []
    missing = missing_modules()
    if not missing:
        return []
    return [
        Problem(
            file="environment",
            where="TEAMS_SDK",
            message="is agents, but the Microsoft 365 Agents SDK is not installed (missing "
            f"{', '.join(missing)}): {INSTALL_HINT}, or set TEAMS_SDK=botbuilder",
        )
    ]
