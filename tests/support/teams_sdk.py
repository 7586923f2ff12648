"""The one place tests and benchmarks import the Teams SDK (botbuilder, botframework, msrest)
from, so replacing the SDK touches bot/teams/ and this file (tests/test_layering.py)."""

from __future__ import annotations

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.integration import aiohttp_error_middleware
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.core.teams.teams_activity_extensions import teams_get_channel_data
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from botbuilder.schema.teams import TeamsChannelData
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    ChannelValidation,
    JwtTokenValidation,
    MicrosoftAppCredentials,
    SimpleCredentialProvider,
)
from botframework.connector.auth.app_credentials import AppCredentials
from botframework.connector.auth.service_client_credentials_factory import (
    ServiceClientCredentialsFactory,
)
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

__all__ = [
    "Activity",
    "AppCredentials",
    "CardFactory",
    "ChannelAccount",
    "ChannelValidation",
    "ClientRequestError",
    "CloudAdapter",
    "ConfigurationBotFrameworkAuthentication",
    "ConnectorClient",
    "ConversationAccount",
    "ErrorResponseException",
    "JwtTokenValidation",
    "MessageFactory",
    "MicrosoftAppCredentials",
    "ServiceClientCredentialsFactory",
    "SimpleCredentialProvider",
    "TeamsActivityHandler",
    "TeamsChannelData",
    "TurnContext",
    "aiohttp_error_middleware",
    "teams_get_channel_data",
]
