"""Connector clients kept per service URL, through botbuilder's public ConnectorFactory.

botbuilder builds a new ConnectorClient for every turn (an msrest pipeline and configuration,
model serialisers, a requests session with its connection pool) and a new user-token client
beside it; each turn then opens fresh connections to the connector. Here one client is built per
(app id, audience, service URL) and reused by every turn that replies there; the number kept is
bounded (least recently used out). Every kept client sends through one aiohttp session of the
adapter (bot.teams.connector_http), from the event loop, so its connections stay alive and no
call needs a worker thread.

Sharing is safe: a turn's limits (`bot.teams.delivery.limit_connector`) are written to the
client's configuration and read by the sender in the same step of the event loop, before the
request leaves, so a turn never sends with another turn's timeout.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
import requests.utils
from botframework.connector import ConnectorClient
from botframework.connector.auth import ClaimsIdentity, ConnectorFactory, UserTokenClient
from botframework.connector.auth.authentication_constants import AuthenticationConstants

from bot.teams.connector_http import connector_pipeline

#: Clients kept at once: one per service URL a bot replies to (Teams has a few regions), with
#: room to spare; past it the least recently used is dropped (a turn holding it keeps it).
MAX_CLIENTS: Final = 64

ClientKey = tuple[str, str, str]  # (app id, audience, service URL)


def app_id_of(claims_identity: ClaimsIdentity | None) -> str:
    """The bot's app id as botbuilder derives it for outbound calls: the token's audience (a
    channel's token) or its appid claim (the emulator's); empty when unauthenticated."""
    if claims_identity is None:
        return ""
    app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if app_id is None:
        app_id = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return str(app_id or "")


class ConnectorClients:
    """The clients of one adapter, by (app id, audience, service URL), at most `limit`.

    `refresh` is awaited with a reused client's credentials, so a token fetched for an earlier
    turn is renewed before it runs out (bot.teams.auth.OffLoopCredentialsFactory.refresh)."""

    def __init__(
        self,
        *,
        limit: int = MAX_CLIENTS,
        refresh: Callable[[Any], Awaitable[None]] | None = None,
    ) -> None:
        self.limit = limit
        self._refresh = refresh
        self._clients: OrderedDict[ClientKey, ConnectorClient] = OrderedDict()
        self._token_clients: OrderedDict[str, UserTokenClient] = OrderedDict()
        #: The key of every client built, in order: what the tests read to see reuse.
        self.built: list[ClientKey] = []
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The adapter's one aiohttp session, opened on the first call (inside the event loop).
        Proxies are the clients' own (settle_environment), so it reads none from the
        environment itself."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(trust_env=False)
        return self._session

    async def close(self) -> None:
        """Close the session (the app's cleanup)."""
        if self._session is not None:
            await self._session.close()

    @property
    def kept(self) -> int:
        """Connector clients kept now. (Not __len__: the SDK tests its factory for truth.)"""
        return len(self._clients)

    async def get(
        self, key: ClientKey, build: Callable[[], Awaitable[ConnectorClient]]
    ) -> ConnectorClient:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            if self._refresh is not None:
                await self._refresh(client.config.credentials)
            return client
        client = await build()
        self.built.append(key)
        self._clients[key] = client  # a turn that built the same meanwhile keeps its own
        while len(self._clients) > self.limit:
            self._clients.popitem(last=False)
        return client

    async def user_token_client(
        self, app_id: str, build: Callable[[], Awaitable[UserTokenClient]]
    ) -> UserTokenClient:
        """One user-token client per app id (the SDK builds one per turn; this bot signs no
        one in, so it is never called, only handed to the turn)."""
        client = self._token_clients.get(app_id)
        if client is None:
            client = await build()
            self._token_clients[app_id] = client
            while len(self._token_clients) > self.limit:
                self._token_clients.popitem(last=False)
        return client


def settle_environment(client: ConnectorClient, service_url: str) -> None:
    """Read once, for the one host this client calls, what requests otherwise reads from the
    environment on every call (msrest leaves `trust_env` on): the proxies for the service URL
    (HTTP(S)_PROXY, NO_PROXY) and the CA bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE); then
    tell msrest, through its public proxy settings, not to have requests look again. Those
    lookups walk os.environ twice per call, about a tenth of a botbuilder turn's CPU. (requests
    also stops looking for ~/.netrc credentials, which a bot's calls never use.)"""
    config = client.config
    if not config.proxies.use_env_settings:
        return
    for scheme, url in requests.utils.get_environ_proxies(service_url).items():
        if scheme != "no":
            config.proxies.add(scheme, url)
    if config.connection.verify is True:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        config.connection.verify = bundle or True
    config.proxies.use_env_settings = False


class PooledConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """The SDK's connector factory for one request, answering from `clients` when it can."""

    def __init__(self, inner: ConnectorFactory, *, clients: ConnectorClients, app_id: str) -> None:
        self.inner = inner
        self.clients = clients
        self.app_id = app_id

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (self.app_id, audience or "", service_url)

        async def build() -> ConnectorClient:
            client = await self.inner.create(service_url, audience)
            settle_environment(client, service_url)
            # The client as the SDK built it (credentials, base URL, user agent), sending
            # through aiohttp: msrest reads `config.pipeline` on each call, and this is how
            # the SDK's own BotFrameworkSDKClientAsync installs a `pipeline_type` it is given
            # (that constructor argument cannot be used here: the SDK's factory builds the
            # client, with credentials only it can ask for).
            client.config.pipeline = connector_pipeline(client.config, self.clients.session)
            return client

        return await self.clients.get(key, build)
