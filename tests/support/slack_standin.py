"""A loopback stand-in for the Slack Web API and Socket Mode that records what the bot sends.

It is a real aiohttp server on 127.0.0.1, so slack_sdk and Bolt run their own request, retry
and WebSocket code unchanged, and nothing ever leaves the machine. Every card the bot sends is
checked against Block Kit (``slack_sdk.models``) and the limits Slack enforces; problems are
collected in ``card_problems`` instead of raised, so one assertion at the end of a test shows
them all.

The stand-in is split by concept: Socket Mode (slack_socket_mode.py, its base class), the Web
API's request parsing and answers (slack_web_api.py), the files and agent methods
(slack_files.py, slack_agent.py), the workspace's ids (slack_workspace.py). Import them all from
here, as before.
"""

# ruff: noqa: ASYNC109 -- the waits take a `timeout` bound by design and apply it with
# asyncio.timeout inside; callers should not have to wrap every wait themselves.

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Final, Self

from aiohttp import WSCloseCode, web

from tests.support import slack_web_api
from tests.support.block_kit import (
    MESSAGE_METHODS,
    RESPONSE_URL_METHOD,
    card_problems_of,
)
from tests.support.slack_agent import AgentApi
from tests.support.slack_files import SlackFiles
from tests.support.slack_socket_mode import ENVELOPE_TYPES, SlackSocketMode
from tests.support.slack_web_api import bearer, read_payload
from tests.support.slack_workspace import (
    APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_ID,
    TEAM_NAME,
)

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_NAME",
    "BOT_USER_ID",
    "ENVELOPE_TYPES",
    "PROXY_ENV_VARS",
    "TEAM_ID",
    "TEAM_NAME",
    "Call",
    "SlackStandIn",
]

# Form-encoded calls carry these as JSON strings; decode them so tests see the structure.
PROXY_ENV_VARS: Final = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")

_HTTP_ERRORS: Final = {429: "ratelimited", 500: "fatal_error", 503: "service_unavailable"}
_FIRST_TS_MICROS: Final = 1_700_000_000_000_000


@dataclass(frozen=True)
class Call:
    """One request as the stand-in received it.

    ``payload`` merges query string and body (JSON or form, JSON-holding form fields decoded);
    ``text_fallback`` says whether a message call carried a non-blank top-level ``text``
    (None for methods that post no message).
    """

    method: str
    payload: dict[str, Any]
    token: str | None
    text_fallback: bool | None = None
    # What the stand-in answered (e.g. the ts of a posted message); filled in after recording.
    result: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class _Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class SlackStandIn(SlackSocketMode):
    """Slack's Web API and Socket Mode on a free loopback port; see the module docstring."""

    what = "the Slack stand-in"

    def __init__(self) -> None:
        super().__init__()  # Socket Mode's envelopes, acks and connections, and the change signal
        self.calls: list[Call] = []
        self.card_problems: list[str] = []
        #: Files uploaded with files_upload_v2 (tests/support/slack_files.py).
        self.files = SlackFiles()
        #: The agent experience's methods (tests/support/slack_agent.py); ``agent.enabled =
        #: False`` is a workspace without them.
        self.agent = AgentApi()
        self._faults: defaultdict[str, deque[_Fault]] = defaultdict(deque)
        #: Messages posted (chat.postMessage) per channel, for conversations.history/replies.
        self.history: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self._delays: defaultdict[str, deque[float]] = defaultdict(deque)
        self._ts_counter = 0
        self._view_counter = 0
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Self:
        if self._runner is not None:
            return self
        if proxies := [name for name in PROXY_ENV_VARS if os.environ.get(name, "").strip()]:
            raise RuntimeError(
                f"{', '.join(proxies)} set: slack_sdk would send the stand-in's loopback traffic"
                " through that proxy (it ignores NO_PROXY); unset them for the test, e.g. with"
                " monkeypatch.delenv"
            )
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_get("/link/", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        runner = await self.serve(app)
        self._closing = asyncio.Event()
        self._runner = runner
        return self

    async def stop(self) -> None:
        """Close Socket Mode connections, wake delayed answers, and shut the server down.

        Close Socket Mode clients first: on a server-side close they reconnect by design.
        """
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing.set()
        for _, ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"stand-in stopping")
        await runner.cleanup()

    @property
    def base_url(self) -> str:
        """For ``AsyncWebClient(base_url=...)``."""
        return f"{self.origin}/api/"

    def response_url(self, key: str = "1") -> str:
        """A ``response_url`` for payload builders; POSTs to it are recorded as response_url."""
        return f"{self.origin}/response/{key}"

    # -- programming answers -----------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        With ``error``: HTTP 200 and ``{"ok": false, "error": error}``, as Slack reports API
        errors. Otherwise HTTP ``status`` (default 429, which always carries Retry-After,
        default 1 s; slack_sdk's handler sleeps Retry-After plus up to 1 s of jitter).
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if error is not None:
            if status not in (None, 200):
                raise ValueError("Slack reports API errors with HTTP 200; give error or status")
            fault = _Fault(200, {"ok": False, "error": error}, {})
        else:
            code = 429 if status is None else status
            if code < 400:
                raise ValueError(f"status {code} is not a failure")
            headers: dict[str, str] = {}
            if code == 429 or retry_after is not None:
                headers["Retry-After"] = str(1 if retry_after is None else retry_after)
            body = {"ok": False, "error": _HTTP_ERRORS.get(code, "request_failed")}
            fault = _Fault(code, body, headers)
        self._faults[method].extend([fault] * times)

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` after ``seconds`` (cut short by stop)."""
        if times < 1 or seconds < 0:
            raise ValueError("times must be at least 1 and seconds not negative")
        self._delays[method].extend([seconds] * times)

    def reset(self) -> None:
        """Forget calls, problems, envelopes, acks and pending faults. Timestamps keep rising."""
        self.calls.clear()
        self.card_problems.clear()
        self.envelopes.clear()
        self.acks.clear()
        self.files.uploads.clear()
        self.agent.reset()
        self._faults.clear()
        self._delays.clear()
        self.history.clear()

    # -- reading what happened ---------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` arrived; return all of them.

        Bolt runs listeners after the ack, so their Web API calls land after the test's
        request returns.
        """

        def ready() -> list[Call] | None:
            found = self.calls_to(method)
            return found if len(found) >= count else None

        def seen() -> str:
            got = len(self.calls_to(method))
            return f"{count} call(s) of {method}, got {got}; all calls: {self._methods()}"

        return await self._until(ready, timeout, seen)

    # -- internals ---------------------------------------------------------------------------

    def _methods(self) -> list[str]:
        return [call.method for call in self.calls]

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            payload = await read_payload(request)
        except ValueError:
            self._record(Call(method, {"_raw": await request.text()}, bearer(request)))
            return web.json_response({"ok": False, "error": "invalid_json"})
        token = bearer(request)
        if token is None and isinstance(payload.get("token"), str):
            token = payload.pop("token")
        call = self._make_call(method, payload, token)
        self._record(call)
        if (answer := await self._programmed(method)) is not None:
            return answer
        if token is None and not method.startswith("oauth."):
            return web.json_response({"ok": False, "error": "not_authed"})
        body = self._answer(method, payload, token)
        call.result.update(body)
        return web.json_response(body)

    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = await read_payload(request)
        except ValueError:
            payload = {"_raw": await request.text()}
        self._record(self._make_call(RESPONSE_URL_METHOD, payload, None))
        if (answer := await self._programmed(RESPONSE_URL_METHOD)) is not None:
            return answer
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        answer = await self.files.receive(request)
        self._record(Call("upload", {"file_id": request.match_info["file_id"]}, None))
        return answer

    def _make_call(self, method: str, payload: dict[str, Any], token: str | None) -> Call:
        text_fallback = None
        if method in MESSAGE_METHODS:
            text = payload.get("text")
            text_fallback = isinstance(text, str) and bool(text.strip())
        return Call(method, payload, token, text_fallback)

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self.card_problems.extend(card_problems_of(call.method, call.payload))
        self._bump()

    async def _programmed(self, method: str) -> web.Response | None:
        if self._delays[method]:
            seconds = self._delays[method].popleft()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        if self._faults[method]:
            fault = self._faults[method].popleft()
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        return None

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = _FIRST_TS_MICROS + self._ts_counter * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _answer(self, method: str, payload: dict[str, Any], token: str | None) -> dict[str, Any]:
        return slack_web_api.answer(self, method, payload, token)

    def _files_shown(self, payload: dict[str, Any], channel: str) -> bool:
        """Whether every image block naming an uploaded file (`slack_file`) names one shared in
        this channel (a file never uploaded, deleted or shared elsewhere is refused)."""
        for block in payload.get("blocks") or ():
            named = block.get("slack_file") if isinstance(block, dict) else None
            if not isinstance(named, dict) or block.get("type") != "image":
                continue
            upload = self.files.uploads.get(str(named.get("id", "")))
            if upload is None or not upload.shared or upload.channel != channel:
                return False
        return True

    def _agent_answer(
        self, method: str, payload: dict[str, Any], channel: str | None
    ) -> dict[str, Any]:
        answer = self.agent.answer(method, payload, channel=channel, ts=self._next_ts())
        self.card_problems.extend(self.agent.problems)
        self.agent.problems.clear()
        stream = self.agent.streams.get(str(answer.get("ts", "")))
        if method == "chat.startStream" and stream is not None:
            self.history[stream.channel].append(
                stream.message(user=BOT_USER_ID, bot_id=BOT_ID, team=TEAM_ID)
            )
        elif method == "chat.stopStream" and stream is not None:  # the finished message
            history = self.history[stream.channel]
            final = stream.message(user=BOT_USER_ID, bot_id=BOT_ID, team=TEAM_ID)
            self.history[stream.channel] = [final if m["ts"] == stream.ts else m for m in history]
        return answer
