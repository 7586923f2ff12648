"""A local stand-in for the Bot Framework token issuer, so auth tests never contact Microsoft.

``TeamsIssuer`` generates an RSA key pair at test time and serves, on 127.0.0.1, an OpenID
configuration document and a JWKS whose key carries ``"endorsements": ["msteams"]`` as
login.botframework.com's keys do. ``token()`` mints JWTs shaped like the Bot Connector's
(``iss`` https://api.botframework.com, ``aud`` the bot's app id, ``serviceurl``, ``nbf``,
``exp``; RS256 with ``kid``/``x5t`` headers).

The server runs on its own thread and event loop on purpose: botframework-connector fetches the
OpenID metadata and keys with blocking ``requests.get`` from inside its async validators
(``jwt_token_extractor.py`` ``_OpenIdMetadata._refresh``), which would deadlock against a server
sharing the test's loop.

``bot_configuration()`` gives the attributes that make ``ConfigurationBotFrameworkAuthentication``
validate against this issuer, and ``LocalCredentialsFactory`` replaces MSAL for outgoing calls
(MSAL insists on an https authority and asks login.microsoftonline.com for instance discovery,
so it cannot be pointed at a loopback stand-in).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from types import SimpleNamespace, TracebackType
from typing import Any, Final, Self

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.support.teams_sdk import AppCredentials, ServiceClientCredentialsFactory

#: ``iss`` of tokens the Bot Connector sends to bots (AuthenticationConstants).
BOT_FRAMEWORK_ISSUER: Final = "https://api.botframework.com"
#: What bots ask tokens for when calling the connector (``aud`` of outgoing tokens).
BOT_FRAMEWORK_SCOPE: Final = "https://api.botframework.com"
#: ``iss`` of the app-only tokens Entra ID issues to bots (tenant botframework.com).
ENTRA_BOTFRAMEWORK_ISSUER: Final = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
#: A closed loopback port: settings that must never be used point here and fail fast.
NOWHERE: Final = "http://127.0.0.1:9"
#: The SDK allows 5 minutes of clock skew; expired tokens must be older than that.
CLOCK_TOLERANCE_SECONDS: Final = 5 * 60


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class TeamsIssuer:
    """OpenID metadata + JWKS on a free loopback port, and a minter of Bot Connector tokens."""

    def __init__(self, *, endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.endorsements = list(endorsements)
        self.kid = uuid.uuid4().hex
        self._key = _new_key()
        self._wrong_key: rsa.RSAPrivateKey | None = None
        # botframework caches metadata per URL for the whole process (up to a day) and crashes
        # on an unknown kid instead of refetching: a fresh path per issuer keeps a later issuer
        # on a reused port from meeting a stale cache entry.
        self._prefix = f"/{uuid.uuid4().hex}"
        self.metadata_requests = 0
        self.jwks_requests = 0
        #: Seconds the JWKS endpoint waits before answering (a slow signing-key fetch).
        self.keys_delay = 0.0
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        self._ready.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name="teams-issuer", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the local token issuer did not start within 10 s")
        if self._error is not None:
            raise RuntimeError("the local token issuer failed to start") from self._error
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        loop, self._loop = self._loop, None
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        if self._port is None:
            raise RuntimeError("the local token issuer is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def metadata_url(self) -> str:
        """For TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL (login.botframework.com's path)."""
        return f"{self.origin}{self._prefix}/v1/.well-known/openidconfiguration"

    @property
    def jwks_url(self) -> str:
        return f"{self.origin}{self._prefix}/v1/.well-known/keys"

    # -- tokens ------------------------------------------------------------------------------

    def token(
        self,
        app_id: str,
        *,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        expired: bool = False,
        wrong_key: bool = False,
        audience: str | None = None,
        service_url: str | None = None,
        kid: str | None = None,
        lifetime_seconds: int = 3600,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """A JWT as the Bot Connector puts in ``Authorization: Bearer ...`` for ``app_id``.

        ``audience`` overrides ``aud`` (default: ``app_id``). ``expired`` puts ``exp`` past the
        SDK's 5-minute tolerance. ``wrong_key`` signs with another key under the same ``kid`` (a
        forgery); ``kid`` names a key the JWKS does not have (the SDK raises IndexError for it).
        """
        now = int(time.time())
        # Expired: past `exp` by more than the SDK's clock tolerance.
        issued = now - lifetime_seconds - 2 * CLOCK_TOLERANCE_SECONDS if expired else now - 60
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience if audience is not None else app_id,
            "nbf": issued,
            "exp": issued + lifetime_seconds,
        }
        if service_url is not None:
            claims["serviceurl"] = service_url
        claims.update(extra_claims or {})
        return self._sign(claims, wrong_key=wrong_key, kid=kid)

    def outgoing_token(self, app_id: str, scope: str = BOT_FRAMEWORK_SCOPE) -> str:
        """An app-only token like the one Entra ID gives a bot for calling the connector."""
        now = int(time.time())
        claims = {
            "iss": ENTRA_BOTFRAMEWORK_ISSUER,
            "aud": scope.removesuffix("/.default"),
            "appid": app_id,
            "ver": "1.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        return self._sign(claims, wrong_key=False, kid=None)

    def authorization(self, app_id: str, **token_options: Any) -> str:
        """``Bearer <token(app_id, ...)>``, the Authorization header value."""
        return f"Bearer {self.token(app_id, **token_options)}"

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        jwk.update(
            kty="RSA", use="sig", kid=self.kid, x5t=self.kid, endorsements=list(self.endorsements)
        )
        return {"keys": [jwk]}

    def openid_configuration(self) -> dict[str, Any]:
        """Shaped like login.botframework.com/v1/.well-known/openidconfiguration."""
        return {
            "issuer": BOT_FRAMEWORK_ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": self.jwks_url,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    # -- wiring for botbuilder -----------------------------------------------------------------

    def bot_configuration(self, app_id: str, app_password: str = "local-secret") -> SimpleNamespace:
        """Attributes for ``ConfigurationBotFrameworkAuthentication(configuration, ...)``.

        Any TO_BOT_FROM_*/TO_CHANNEL_FROM_*/OAUTH_URL/CALLER_ID attribute switches the SDK to
        its "parameterized" authentication, which then takes *all* of them from here: the
        issuer and scope must be spelled out, or they are None. Token and login URLs point at a
        closed loopback port; pair this with ``LocalCredentialsFactory`` so MSAL never runs.
        """
        return SimpleNamespace(
            APP_ID=app_id,
            APP_PASSWORD=app_password,
            APP_TYPE="MultiTenant",
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=self.metadata_url,
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=BOT_FRAMEWORK_ISSUER,
            # Emulator and skill tokens are validated against this one: keep it local too.
            TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=self.metadata_url,
            TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=BOT_FRAMEWORK_SCOPE,
            TO_CHANNEL_FROM_BOT_LOGIN_URL=f"{NOWHERE}/botframework.com",
            OAUTH_URL=NOWHERE,
            VALIDATE_AUTHORITY=True,
        )

    def credentials_factory(self, app_id: str) -> LocalCredentialsFactory:
        return LocalCredentialsFactory(app_id=app_id, issuer=self)

    # -- internals ---------------------------------------------------------------------------

    def _sign(self, claims: dict[str, Any], *, wrong_key: bool, kid: str | None) -> str:
        key = self._key
        if wrong_key:
            if self._wrong_key is None:
                self._wrong_key = _new_key()
            key = self._wrong_key
        key_id = kid or self.kid
        return jwt.encode(
            claims, key, algorithm="RS256", headers={"kid": key_id, "x5t": key_id, "typ": "JWT"}
        )

    def _serve(self, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        runner: web.AppRunner | None = None
        try:
            app = web.Application()
            app.router.add_get(f"{self._prefix}/v1/.well-known/openidconfiguration", self._meta)
            app.router.add_get(f"{self._prefix}/v1/.well-known/keys", self._keys)
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.SockSite(runner, sock).start())
        except BaseException as exc:  # reported to start(), which raises it in the test
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    async def _meta(self, request: web.Request) -> web.Response:
        self.metadata_requests += 1
        return web.json_response(self.openid_configuration())

    async def _keys(self, request: web.Request) -> web.Response:
        if self.keys_delay:
            await asyncio.sleep(self.keys_delay)
        self.jwks_requests += 1
        return web.json_response(self.jwks())


class LocalAppCredentials(AppCredentials):
    """Outgoing credentials whose token comes from the local issuer instead of MSAL."""

    def __init__(self, *, app_id: str, oauth_scope: str | None, issuer: TeamsIssuer) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._issuer = issuer
        self.tokens_issued = 0

    def get_access_token(self, force_refresh: bool = False) -> str:
        self.tokens_issued += 1
        return self._issuer.outgoing_token(self.microsoft_app_id, self.oauth_scope)


class LocalCredentialsFactory(ServiceClientCredentialsFactory):
    """``credentials_factory=`` for ConfigurationBotFrameworkAuthentication: the edge where MSAL
    (login.microsoftonline.com) is replaced. Accepts exactly one app id, as the password
    factory does."""

    def __init__(self, *, app_id: str, issuer: TeamsIssuer) -> None:
        self.app_id = app_id
        self._issuer = issuer
        #: (app_id, oauth_scope, login_endpoint) of every create_credentials call.
        self.requests: list[tuple[str, str | None, str | None]] = []

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self,
        app_id: str,
        oauth_scope: str,
        login_endpoint: str,
        validate_authority: bool,
    ) -> AppCredentials:
        self.requests.append((app_id, oauth_scope, login_endpoint))
        if app_id != self.app_id:
            raise PermissionError(f"no credentials for app id {app_id!r}")
        return LocalAppCredentials(app_id=app_id, oauth_scope=oauth_scope, issuer=self._issuer)
