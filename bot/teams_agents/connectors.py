"""Connector clients kept per service URL, through the Agents SDK's public client factory.

The SDK's RestChannelServiceClientFactory builds a TeamsConnectorClient and a UserTokenClient
for every turn, each with a new aiohttp ClientSession (so new connections to the connector), and
the adapter closes both when the turn ends. This factory keeps one connector client per (service
URL, audience, scopes) and one user-token client per app id, whose per-turn `close` leaves the
session open; the token is asked of the SDK's token provider every turn (MSAL caches it), and a
new token gets a new client, the old one closed once no turn can still be using it. Bounded:
past MAX_CLIENTS the least recently used is retired the same way. `aclose` closes them all.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Final

from microsoft_agents.activity import RoleTypes
from microsoft_agents.hosting.core import RestChannelServiceClientFactory, TurnContext
from microsoft_agents.hosting.core.authorization import (
    AnonymousTokenProvider,
    AuthenticationConstants,
    ClaimsIdentity,
    Connections,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

#: Connector clients kept at once (one per service URL and audience in practice).
MAX_CLIENTS: Final = 64
#: A client replaced (new token) or dropped (bound) is closed this long after, when no turn can
#: still hold it: a turn's outbound calls end within its send deadline (10 s by default).
RETIRE_AFTER_SECONDS: Final = 120.0

ClientKey = tuple[str, str, tuple[str, ...]]  # (service URL, audience, scopes)


class KeptConnectorClient(TeamsConnectorClient):
    """A connector client that outlives the turn: the adapter's `close` after each turn leaves
    its session (and its connections) open; `shut` closes it."""

    def __init__(self, *, endpoint: str, token: str) -> None:
        super().__init__(endpoint=endpoint, token=token)
        self.token = token

    async def close(self) -> None:
        return None

    async def shut(self) -> None:
        await super().close()


class KeptUserTokenClient(UserTokenClient):
    """A user-token client that outlives the turn (see KeptConnectorClient)."""

    def __init__(self, *, endpoint: str, token: str, app_id: str | None) -> None:
        super().__init__(endpoint=endpoint, token=token, app_id=app_id)
        self.token = token

    async def close(self) -> None:
        return None

    async def shut(self) -> None:
        await super().close()


Kept = KeptConnectorClient | KeptUserTokenClient


class PooledClientFactory(RestChannelServiceClientFactory):
    """The SDK's REST client factory, reusing clients across turns. Agentic requests and
    Copilot Studio's connector users get the SDK's own per-turn clients, as before."""

    def __init__(
        self,
        connection_manager: Connections,
        *,
        limit: int = MAX_CLIENTS,
        token_service_endpoint: str = AuthenticationConstants.AGENTS_SDK_OAUTH_URL,
        token_service_audience: str = AuthenticationConstants.AGENTS_SDK_SCOPE,
    ) -> None:
        super().__init__(connection_manager, token_service_endpoint, token_service_audience)
        self.connections = connection_manager
        self.limit = limit
        self.token_endpoint = token_service_endpoint
        self.token_audience = token_service_audience
        self.anonymous = AnonymousTokenProvider()
        self._clients: OrderedDict[ClientKey, KeptConnectorClient] = OrderedDict()
        self._token_clients: OrderedDict[str, KeptUserTokenClient] = OrderedDict()
        self._retiring: dict[asyncio.Task[None], Kept] = {}
        #: (service URL, audience) of every connector client built, in order: what tests read.
        self.built: list[tuple[str, str]] = []

    @property
    def kept(self) -> int:
        """Connector clients kept now. (Not __len__: the SDK tests its factory for truth.)"""
        return len(self._clients)

    @staticmethod
    def _sdk_builds(context: TurnContext | None) -> bool:
        if context is None:
            return True
        activity = context.activity
        if activity.is_agentic_request():
            return True
        return activity.recipient is not None and activity.recipient.role == (
            RoleTypes.connector_user
        )

    async def create_connector_client(  # noqa: PLR0917 -- the SDK's signature
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        if self._sdk_builds(context) or not service_url or not audience:
            return await super().create_connector_client(
                context, claims_identity, service_url, audience, scopes, use_anonymous
            )
        scopes = scopes or claims_identity.get_token_scope()
        provider = (
            self.anonymous
            if use_anonymous
            else self.connections.get_token_provider(claims_identity, service_url)
        )
        token = await provider.get_access_token(audience, scopes)
        key = (service_url, audience, tuple(scopes or ()))
        client = self._clients.get(key)
        if client is not None and client.token == token:
            self._clients.move_to_end(key)
            return client
        if client is not None:
            self._retire(client)
        client = KeptConnectorClient(endpoint=service_url, token=token)
        self.built.append((service_url, audience))
        self._clients[key] = client
        self._clients.move_to_end(key)
        while len(self._clients) > self.limit:
            self._retire(self._clients.popitem(last=False)[1])
        return client

    async def create_user_token_client(
        self,
        context: TurnContext,
        claims_identity: ClaimsIdentity,
        use_anonymous: bool = False,
    ) -> UserTokenClient:
        if context is not None and context.activity.is_agentic_request():
            return await super().create_user_token_client(context, claims_identity, use_anonymous)
        token = ""
        if not use_anonymous:
            provider = self.connections.get_token_provider(claims_identity, self.token_endpoint)
            token = await provider.get_access_token(
                self.token_audience, claims_identity.get_token_scope()
            )
            if not token:
                raise ValueError("no token for the user-token client")
        app_id = claims_identity.get_app_id()
        key = app_id or ""
        client = self._token_clients.get(key)
        if client is not None and client.token == token:
            return client
        if client is not None:
            self._retire(client)
        client = KeptUserTokenClient(endpoint=self.token_endpoint, token=token, app_id=app_id)
        self._token_clients[key] = client
        while len(self._token_clients) > self.limit:
            self._retire(self._token_clients.popitem(last=False)[1])
        return client

    def _retire(self, client: Kept) -> None:
        async def later() -> None:
            await asyncio.sleep(RETIRE_AFTER_SECONDS)
            await client.shut()

        task = asyncio.create_task(later())
        self._retiring[task] = client
        task.add_done_callback(lambda done: self._retiring.pop(done, None))

    async def aclose(self) -> None:
        """Close every client, retiring or kept (the server is stopping)."""
        retiring = list(self._retiring.items())
        for task, _ in retiring:
            task.cancel()
        kept: list[Kept] = [
            *(client for _, client in retiring),
            *self._clients.values(),
            *self._token_clients.values(),
        ]
        self._clients.clear()
        self._token_clients.clear()
        for client in kept:
            await client.shut()
