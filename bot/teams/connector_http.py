"""The HTTP side of a kept botbuilder ConnectorClient: its calls leave from the event loop
through one aiohttp session, not from a worker thread through `requests`.

botframework-connector's aio ConnectorClient is an msrest async service client; msrest's default
pipeline sends each call with `requests` in the loop's thread pool (msrest's own aiohttp sender
drops a request's headers and body, so it cannot be used as it is). This module is msrest's
public pipeline extension point filled in: an `AsyncPipeline` of the policies msrest's default
one has (user agent, the credentials' bearer token, raw body deserialisation, HTTP logging) and
an `AsyncHTTPSender` on aiohttp. It reads what the `requests` sender read from the client's
configuration: the timeout (`connection.timeout`, set per call by
bot.teams.delivery.limit_connector), the TLS verification and client certificate, the proxies
(settled once per client by bot.teams.connectors.settle_environment) and the redirect policy.
Nothing is retried here (the `requests` sender retried through urllib3 unless told not to;
bot.teams.delivery decides retries). A failed request is raised as msrest raises it,
`ClientRequestError`, with the aiohttp error as its inner exception (bot.teams.delivery.never_sent
reads it).
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import requests
from msrest.exceptions import ClientRequestError
from msrest.pipeline import Request, Response, SansIOHTTPPolicy
from msrest.pipeline.async_abc import AsyncHTTPSender, AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http import ClientRequest
from msrest.universal_http.async_abc import AsyncClientResponse
from multidict import CIMultiDict


class BearerToken(SansIOHTTPPolicy[ClientRequest, Any]):
    """The credentials' Authorization header on each request, as msrest's default pipeline
    gets it: from `signed_session` (msrest's credentials protocol), which sets the bearer
    token, or takes it away when unauthenticated (dev mode)."""

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials
        self._carrier = requests.Session()  # only its headers are used: nothing is sent

    def on_request(self, request: Request[ClientRequest], **kwargs: Any) -> None:
        self._carrier.headers.pop("Authorization", None)
        signed = self.credentials.signed_session(self._carrier)
        authorization = signed.headers.get("Authorization")
        if authorization:
            request.http_request.headers["Authorization"] = authorization


@dataclass(frozen=True)
class Answer:
    """The connector's answer, read whole (connector answers are small). It is what msrest
    hands out as `ErrorResponseException.response` (its response's `internal_response`), so it
    has the fields a `requests.Response` gives there, as the `requests` sender's did."""

    status_code: int
    reason: str | None
    headers: CIMultiDict[str]
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8-sig", errors="replace")


class ConnectorResponse(AsyncClientResponse):
    """msrest's view of an answer (its deserialisers read `text()`, `headers`, `status_code`)."""

    def __init__(self, request: ClientRequest, answer: Answer) -> None:
        super().__init__(request, answer)
        self.status_code = answer.status_code
        self.headers = answer.headers
        self.reason = answer.reason

    def body(self) -> bytes:
        content: bytes = self.internal_response.content
        return content

    def raise_for_status(self) -> None:
        if self.status_code is not None and self.status_code >= 400:
            raise ClientRequestError(f"Received status code {self.status_code}")

    def stream_download(
        self, chunk_size: int | None = None, callback: Callable[..., Any] | None = None
    ) -> AsyncIterator[bytes]:
        async def whole() -> AsyncIterator[bytes]:
            if callback is not None:
                callback(self.body(), self.internal_response)
            yield self.body()

        return whole()


@functools.lru_cache(maxsize=8)
def tls_context(verify: bool | str, cert: str | tuple[str, str] | None) -> ssl.SSLContext | bool:
    """What aiohttp's `ssl` takes for requests' `verify` (True, False or a CA bundle path) and
    `cert` (a client certificate file, or certificate and key); built once per value."""
    if cert is None and isinstance(verify, bool):
        return verify  # aiohttp's own default context, or no verification
    if isinstance(verify, bool):
        context = ssl.create_default_context()
    elif os.path.isdir(verify):
        context = ssl.create_default_context(capath=verify)
    else:
        context = ssl.create_default_context(cafile=verify)
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


class AiohttpSender(AsyncHTTPSender[ClientRequest, ConnectorResponse]):
    """Sends one connector client's requests through a shared aiohttp session."""

    def __init__(self, config: Any, session: Callable[[], aiohttp.ClientSession]) -> None:
        self.config = config
        self.session = session

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        """The session is the adapter's (bot.teams.connectors.ConnectorClients.close)."""

    async def send(
        self, request: Request[ClientRequest], **kwargs: Any
    ) -> Response[ClientRequest, ConnectorResponse]:
        # Everything is read from the configuration before the first suspension, in the same
        # step of the event loop as the turn's limit_connector wrote it.
        config = self.config
        http = request.http_request
        seconds = config.connection.timeout
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)
        scheme = http.url.partition(":")[0].lower()
        proxies = config.proxies.proxies
        headers = dict(config.headers) if getattr(config, "headers", None) else {}
        headers.update(http.headers)
        try:
            async with self.session().request(
                http.method,
                http.url,
                headers=headers,
                data=http.data.encode() if isinstance(http.data, str) else http.data,
                timeout=timeout,
                ssl=tls_context(config.connection.verify, config.connection.cert),
                proxy=proxies.get(scheme) or proxies.get("all"),
                allow_redirects=bool(config.redirect_policy),
                max_redirects=max(config.redirect_policy.max_redirects, 1),
            ) as response:
                answer = Answer(
                    status_code=response.status,
                    reason=response.reason,
                    headers=CIMultiDict(response.headers),
                    content=await response.read(),
                    url=str(response.url),
                )
        except aiohttp.ClientError as exc:
            raise ClientRequestError("Error occurred in request.", exc) from exc
        return Response(request, ConnectorResponse(http, answer))


def connector_pipeline(
    config: Any, session: Callable[[], aiohttp.ClientSession]
) -> AsyncPipeline[ClientRequest, ConnectorResponse]:
    """msrest's default async pipeline for `config` (botframework's AsyncBfPipeline has the
    same policies), sending through aiohttp."""
    policies = [
        config.user_agent_policy,
        BearerToken(config.credentials),
        RawDeserializer(),
        config.http_logger_policy,
    ]
    return AsyncPipeline(policies, AiohttpSender(config, session))
