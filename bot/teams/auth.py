"""Bot Framework authentication that fails closed and keeps blocking calls off the event loop."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from types import SimpleNamespace
from typing import Any

import jwt
import requests
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)
from botframework.connector.auth.authentication_constants import AuthenticationConstants
from botframework.connector.auth.government_constants import GovernmentConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

from bot.teams.connectors import ConnectorClients, PooledConnectorFactory, app_id_of

log = logging.getLogger(__name__)

TOKEN_REFRESH_SECONDS = 30 * 60
#: Signing keys are fetched at most once in this many seconds, whether the fetch worked or not,
#: so tokens naming unknown keys (or arriving while the issuer is down) cannot make every
#: request call out.
KEY_REFRESH_MIN_SECONDS = 5 * 60
#: Keys older than this are refreshed (at the rate above), as the SDK does daily.
KEY_MAX_AGE_SECONDS = 24 * 60 * 60
KEY_FETCH_TIMEOUT_SECONDS = 10


class StrictAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """Wraps the SDK's authentication so every rejected token is a 401, never a 500.

    The SDK fetches signing keys with blocking `requests` calls; validation therefore runs on a
    worker thread with its own event loop, so no other conversation waits on it. Connector and
    user-token clients come from `clients`, built once per service URL (bot.teams.connectors)
    rather than once per turn.
    """

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        *,
        offload: bool,
        configuration: object = None,
        clients: ConnectorClients | None = None,
    ) -> None:
        self.inner = inner
        self.offload = offload
        self.clients = clients or ConnectorClients()
        bound_key_fetches(metadata_urls(configuration))

    @property
    def requires_token(self) -> bool:
        """With credentials every request needs a token; without (dev mode) none does."""
        return self.offload

    async def authenticate_header(self, auth_header: str) -> None:
        """Checks the token alone, before the body is read: PermissionError if it is missing
        (with credentials), malformed or badly signed. The activity's service URL and channel
        are checked against it again when the activity is processed."""
        if not auth_header and not self.requires_token:
            return
        scheme, _, token = auth_header.partition(" ")
        if scheme != "Bearer" or not token or " " in token:
            raise PermissionError("the Authorization header is not a bearer token")
        try:
            jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise PermissionError("the bearer token is not a JWT") from exc
        await self.authenticate_request(Activity(), auth_header)

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        try:
            result: AuthenticateRequestResult
            if self.offload:
                result = await asyncio.to_thread(
                    asyncio.run, self.inner.authenticate_request(activity, auth_header)
                )
            else:
                result = await self.inner.authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as exc:
            log.warning("rejected a request whose token did not validate: %s", type(exc).__name__)
            raise PermissionError("invalid token") from exc
        if result.connector_factory is not None:
            result.connector_factory = self._pooled(
                result.connector_factory, result.claims_identity
            )
        return result

    def _pooled(self, inner: ConnectorFactory, claims_identity: Any) -> ConnectorFactory:
        return PooledConnectorFactory(
            inner, clients=self.clients, app_id=app_id_of(claims_identity)
        )

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        raise PermissionError("streaming connections are not supported")

    def create_connector_factory(self, claims_identity: Any) -> ConnectorFactory:
        return self._pooled(self.inner.create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: Any) -> UserTokenClient:
        return await self.clients.user_token_client(
            app_id_of(claims_identity),
            lambda: self.inner.create_user_token_client(claims_identity),
        )

    def get_originating_audience(self) -> str:
        return str(self.inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> Any:
        return await self.inner.authenticate_channel_request(auth_header)


class _IssuedToken(AppCredentials):  # type: ignore[misc]
    """Credentials that hand out a token fetched earlier, off the event loop; one per app and
    scope, kept by connector clients across turns and renewed in place (`refresh`)."""

    def __init__(
        self, *, app_id: str, oauth_scope: str, token: str, key: tuple[str, str, str]
    ) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self.token = token
        self.key = key

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self.token


class OffLoopCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """Keeps one credentials object per app and scope and fetches tokens on a worker thread.

    The SDK builds new credentials (so a new MSAL app with an empty token cache) for every turn
    and fetches the token synchronously on the event loop; this does neither.
    """

    def __init__(self, inner: ServiceClientCredentialsFactory) -> None:
        self.inner = inner
        self._credentials: dict[tuple[str, str, str], Any] = {}
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._issued: dict[tuple[str, str, str], _IssuedToken] = {}
        self._lock = asyncio.Lock()

    async def refresh(self, credentials: Any) -> None:
        """Renew, off the loop, the token of credentials this factory issued, when it is older
        than TOKEN_REFRESH_SECONDS (a reused connector client keeps its credentials)."""
        if not isinstance(credentials, _IssuedToken):
            return
        key = credentials.key
        if self._issued.get(key) is credentials:
            credentials.token = await self._token(key, self._credentials[key])

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
        token = await self._token(key, credentials)
        issued = self._issued.get(key)
        if issued is None:
            issued = _IssuedToken(app_id=app_id, oauth_scope=oauth_scope, token=token, key=key)
            self._issued[key] = issued
        issued.token = token
        return issued

    async def _token(self, key: tuple[str, str, str], credentials: Any) -> str:
        cached = self._tokens.get(key)
        if cached is None or time.monotonic() - cached[1] > TOKEN_REFRESH_SECONDS:
            async with self._lock:
                cached = self._tokens.get(key)
                if cached is None or time.monotonic() - cached[1] > TOKEN_REFRESH_SECONDS:
                    token = await asyncio.to_thread(credentials.get_access_token)
                    cached = (str(token), time.monotonic())
                    self._tokens[key] = cached
        return cached[0]


class BoundedSigningKeys:
    """The token signing keys of one OpenID metadata URL, as the SDK's validators look them up
    (`await keys.get(kid)`, an object with `public_key` and `endorsements`, or None), fetched
    at most once per KEY_REFRESH_MIN_SECONDS, with a timeout.

    The SDK's own lookup refetches on every request while fetches fail, raises IndexError for
    a key it does not know, and calls out with no timeout: a forged token naming an unknown key
    would make the bot call out on every request."""

    def __init__(self, url: str, *, min_interval: float = KEY_REFRESH_MIN_SECONDS) -> None:
        self.url = url
        self.min_interval = min_interval
        self.keys: list[Any] = []
        self.fetched_at: float | None = None  # monotonic, last successful fetch
        self.attempted_at: float | None = None  # monotonic, last attempt
        self._refresh_lock = threading.Lock()  # validation runs on worker threads

    async def get(self, key_id: str) -> Any:
        now = time.monotonic()
        if self.fetched_at is None or now - self.fetched_at > KEY_MAX_AGE_SECONDS:
            self._refresh_bounded()
        key = self._find(key_id)
        if key is None:
            self._refresh_bounded()  # a key rotated in since: once per interval at most
            key = self._find(key_id)
        return key

    def _refresh_bounded(self) -> None:
        with self._refresh_lock:
            now = time.monotonic()
            if self.attempted_at is not None and now - self.attempted_at < self.min_interval:
                return
            self.attempted_at = now
            try:
                metadata = requests.get(self.url, timeout=KEY_FETCH_TIMEOUT_SECONDS)
                metadata.raise_for_status()
                keys = requests.get(metadata.json()["jwks_uri"], timeout=KEY_FETCH_TIMEOUT_SECONDS)
                keys.raise_for_status()
                found = keys.json()["keys"]
                if not isinstance(found, list):
                    raise ValueError("keys is not a list")
            except Exception as exc:
                log.warning("could not fetch the token signing keys: %s", type(exc).__name__)
                return
            self.keys = found
            self.fetched_at = time.monotonic()

    def _find(self, key_id: str) -> SimpleNamespace | None:
        for key in self.keys:
            if isinstance(key, dict) and key.get("kid") == key_id:
                try:
                    public_key = RSAAlgorithm.from_jwk(json.dumps(key))
                except Exception:
                    return None
                return SimpleNamespace(
                    public_key=public_key, endorsements=key.get("endorsements", [])
                )
        return None


# The configuration attributes botbuilder reads for its own metadata URLs.
OVERRIDE_NAMES = (
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
    "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
)


def metadata_urls(configuration: object) -> list[str]:
    """Every OpenID metadata URL the SDK may validate channel tokens against: its public and
    government defaults, and the configuration's overrides."""
    urls = [
        AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        GovernmentConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        GovernmentConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    ]
    for name in (
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
        "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
    ):
        value = getattr(configuration, name, None)
        if isinstance(value, str) and value:
            urls.append(value)
    return urls


def bound_key_fetches(urls: list[str]) -> None:
    """Put BoundedSigningKeys in the SDK's per-URL key cache (`JwtTokenExtractor.metadataCache`,
    which its validators consult before making a lookup of their own) for each URL. Nothing of
    the SDK is replaced: its validators find these in the cache it keeps for this purpose."""
    cache: dict[str, Any] = JwtTokenExtractor.metadataCache
    for url in urls:
        if not isinstance(cache.get(url), BoundedSigningKeys):
            cache[url] = BoundedSigningKeys(url)
