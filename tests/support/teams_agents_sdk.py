"""The one place tests and benchmarks import the Microsoft 365 Agents SDK from (as
tests/support/teams_sdk.py is for botbuilder), so replacing it touches bot/teams_agents/ and
this file (tests/test_layering.py)."""

from __future__ import annotations

from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import (
    CloudAdapter,
    jwt_authorization_middleware,
    start_agent_process,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    CardFactory,
    MemoryStorage,
    MessageFactory,
    TurnContext,
    TurnState,
)

__all__ = [
    "AgentApplication",
    "AgentAuthConfiguration",
    "CardFactory",
    "CloudAdapter",
    "MemoryStorage",
    "MessageFactory",
    "MsalConnectionManager",
    "TurnContext",
    "TurnState",
    "jwt_authorization_middleware",
    "start_agent_process",
]
