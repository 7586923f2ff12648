"""Bot Framework authentication that fails closed and keeps blocking calls off the event loop."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from botbuilder.schema import Activity
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)

log = logging.getLogger(__name__)

TOKEN_REFRESH_SECONDS = 30 * 60


class StrictAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """Wraps the SDK's authentication so every rejected token is a 401, never a 500.

    The SDK fetches signing keys with blocking `requests` calls; validation therefore runs on a
    worker thread with its own event loop, so no other conversation waits on it.
    """

    def __init__(self, inner: BotFrameworkAuthentication, *, offload: bool) -> None:
        self.inner = inner
        self.offload = offload

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        try:
            if self.offload:
                return await asyncio.to_thread(
                    asyncio.run, self.inner.authenticate_request(activity, auth_header)
                )
            result: AuthenticateRequestResult = await self.inner.authenticate_request(
                activity, auth_header
            )
            return result
        except PermissionError:
            raise
        except Exception as exc:
            log.warning("rejected a request whose token did not validate: %s", type(exc).__name__)
            raise PermissionError("invalid token") from exc

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        raise PermissionError("streaming connections are not supported")

    def create_connector_factory(self, claims_identity: Any) -> ConnectorFactory:
        return self.inner.create_connector_factory(claims_identity)

    async def create_user_token_client(self, claims_identity: Any) -> UserTokenClient:
        return await self.inner.create_user_token_client(claims_identity)

    def get_originating_audience(self) -> str:
        return str(self.inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> Any:
        return await self.inner.authenticate_channel_request(auth_header)


class _IssuedToken(AppCredentials):  # type: ignore[misc]
    """Credentials that hand out a token fetched earlier, off the event loop."""

    def __init__(self, *, app_id: str, oauth_scope: str, token: str) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._token


class OffLoopCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """Keeps one credentials object per app and scope and fetches tokens on a worker thread.

    The SDK builds new credentials (so a new MSAL app with an empty token cache) for every turn
    and fetches the token synchronously on the event loop; this does neither.
    """

    def __init__(self, inner: ServiceClientCredentialsFactory) -> None:
        self.inner = inner
        self._credentials: dict[tuple[str, str, str], Any] = {}
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self.inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self.inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        key = (app_id or "", oauth_scope or "", login_endpoint or "")
        credentials = self._credentials.get(key)
        if credentials is None:
            credentials = await self.inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
            self._credentials[key] = credentials
        if not app_id or not getattr(credentials, "microsoft_app_id", None):
            return credentials  # authentication disabled (dev mode): nothing to fetch
        cached = self._tokens.get(key)
        if cached is None or time.monotonic() - cached[1] > TOKEN_REFRESH_SECONDS:
            async with self._lock:
                cached = self._tokens.get(key)
                if cached is None or time.monotonic() - cached[1] > TOKEN_REFRESH_SECONDS:
                    token = await asyncio.to_thread(credentials.get_access_token)
                    cached = (str(token), time.monotonic())
                    self._tokens[key] = cached
        return _IssuedToken(app_id=app_id, oauth_scope=oauth_scope, token=cached[0])
