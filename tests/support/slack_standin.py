"""A loopback stand-in for the Slack Web API and Socket Mode that records what the bot sends.

It is a real aiohttp server on 127.0.0.1, so slack_sdk and Bolt run their own request, retry
and WebSocket code unchanged, and nothing ever leaves the machine. Every card the bot sends is
checked against Block Kit (``slack_sdk.models``) and the limits Slack enforces; problems are
collected in ``card_problems`` instead of raised, so one assertion at the end of a test shows
them all.
"""

# ruff: noqa: ASYNC109 -- the waits take a `timeout` bound by design and apply it with
# asyncio.timeout inside; callers should not have to wrap every wait themselves.

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Self, TypeVar

from aiohttp import WSCloseCode, WSMsgType, web

from tests.support.block_kit import (
    JSON_FIELDS,
    MESSAGE_METHODS,
    RESPONSE_URL_METHOD,
    card_problems_of,
)
from tests.support.loopback import LoopbackServer
from tests.support.slack_agent import AGENT_METHODS, AgentApi
from tests.support.slack_files import SlackFiles

T = TypeVar("T")

BOT_USER_ID: Final = "UBOT"
BOT_ID: Final = "BBOT"
TEAM_ID: Final = "T1"
TEAM_NAME: Final = "Test"
BOT_NAME: Final = "advisor"
APP_ID: Final = "A1"
ENVELOPE_TYPES: Final = frozenset({"events_api", "slash_commands", "interactive"})
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


class SlackStandIn(LoopbackServer):
    """Slack's Web API and Socket Mode on a free loopback port; see the module docstring."""

    what = "the Slack stand-in"

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.card_problems: list[str] = []
        #: Every envelope pushed over Socket Mode, and every ack the client sent back.
        self.envelopes: list[dict[str, Any]] = []
        #: Files uploaded with files_upload_v2 (tests/support/slack_files.py).
        self.files = SlackFiles()
        #: The agent experience's methods (tests/support/slack_agent.py); ``agent.enabled =
        #: False`` is a workspace without them.
        self.agent = AgentApi()
        self.acks: list[dict[str, Any]] = []
        self._faults: defaultdict[str, deque[_Fault]] = defaultdict(deque)
        #: Messages posted (chat.postMessage) per channel, for conversations.history/replies.
        self.history: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self._delays: defaultdict[str, deque[float]] = defaultdict(deque)
        self._sockets: list[tuple[int, web.WebSocketResponse]] = []  # (connection number, ws)
        self._connections_made = 0
        self._ts_counter = 0
        self._view_counter = 0
        self._changed = asyncio.Event()
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

    @property
    def socket_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/link/?ticket={uuid.uuid4()}&app_id={APP_ID}"

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

    async def wait_for_connection(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until connection number ``count`` (counted from start) is open and greeted.

        ``wait_for_connection(2)`` after ``send_disconnect()`` waits for the reconnection.
        """

        def ready() -> bool | None:
            return True if any(number >= count for number, _ in self._sockets) else None

        def seen() -> str:
            return f"Socket Mode connection #{count}; made {self._connections_made}"

        await self._until(ready, timeout, seen)

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The ack (``{"envelope_id": ..., "payload"?: ...}``) the client sent for an envelope."""

        def ready() -> dict[str, Any] | None:
            return next((ack for ack in self.acks if ack["envelope_id"] == envelope_id), None)

        def seen() -> str:
            return f"an ack of envelope {envelope_id}; acks so far: {self.acks}"

        return await self._until(ready, timeout, seen)

    @property
    def connections(self) -> int:
        return len(self._sockets)

    # -- Socket Mode -------------------------------------------------------------------------

    async def send_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str | None = None,
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Push an envelope to the newest connected client, as Slack does; return its id.

        Waits (up to ``timeout``) for a client to connect. Slack puts ``retry_attempt`` and
        ``retry_reason`` only on Events API envelopes; so does this, unless it is a retry.
        """
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {sorted(ENVELOPE_TYPES)}")
        await self.wait_for_connection(timeout=timeout)
        envelope_id = envelope_id or str(uuid.uuid4())
        if accepts_response_payload is None:
            # Slack lets these answer in the ack: slash commands, and view submissions and
            # option requests among interactions.
            accepts_response_payload = envelope_type == "slash_commands" or (
                payload.get("type") in ("view_submission", "block_suggestion")
            )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api" or retry_attempt > 0:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = (
                retry_reason if retry_reason is not None else ("timeout" if retry_attempt else "")
            )
        self.envelopes.append(envelope)
        await self._sockets[-1][1].send_json(envelope)
        return envelope_id

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask connected clients to reconnect, as Slack does every few hours."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "standin"}}
        for _, ws in list(self._sockets):
            await ws.send_json(message)

    # -- internals ---------------------------------------------------------------------------

    def _bump(self) -> None:
        # Waiters hold the old event; replacing it makes "set, then clear" race-free.
        self._changed.set()
        self._changed = asyncio.Event()

    async def _until(
        self, ready: Callable[[], T | None], limit: float, what: Callable[[], str]
    ) -> T:
        try:
            async with asyncio.timeout(limit):
                while (result := ready()) is None:
                    await self._changed.wait()
                return result
        except TimeoutError:
            raise TimeoutError(f"waited {limit}s for {what()}") from None

    def _methods(self) -> list[str]:
        return [call.method for call in self.calls]

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            payload = await _read_payload(request)
        except ValueError:
            self._record(Call(method, {"_raw": await request.text()}, _bearer(request)))
            return web.json_response({"ok": False, "error": "invalid_json"})
        token = _bearer(request)
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
            payload = await _read_payload(request)
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
        channel = payload.get("channel")
        channel = _dm_for_user(channel) if isinstance(channel, str) and channel else None
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            if channel is None:
                return {"ok": False, "error": "channel_not_found"}
            if not any(payload.get(key) for key in ("text", "blocks", "attachments")):
                return {"ok": False, "error": "no_text"}
            if self.agent.refuses(payload):  # a workspace without the agent features
                return {"ok": False, "error": "invalid_blocks"}
            if not self._files_shown(payload, channel):
                return {"ok": False, "error": "invalid_blocks"}
        match method:
            case "auth.test":
                return {
                    "ok": True,
                    "url": f"{self.origin}/",
                    "team": TEAM_NAME,
                    "user": BOT_NAME,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                }
            case "chat.postMessage":
                ts = self._next_ts()
                self.history[channel or ""].append(_echo(payload, ts))
                return {"ok": True, "channel": channel, "ts": ts, "message": _echo(payload, ts)}
            case "conversations.history":
                # Newest first, as Slack gives them; `oldest` and `limit` are not applied (the
                # stand-in's timestamps are not the wall clock's).
                messages = list(reversed(self.history.get(channel or "", [])))
                return {"ok": True, "messages": messages, "has_more": False}
            case "conversations.replies":
                thread = str(payload.get("ts", ""))
                messages = [
                    m
                    for m in self.history.get(channel or "", [])
                    if thread in (m.get("ts"), m.get("thread_ts"))
                ]
                return {"ok": True, "messages": messages, "has_more": False}
            case "chat.update":
                ts = str(payload.get("ts", ""))
                if not ts:
                    return {"ok": False, "error": "message_not_found"}
                return {
                    "ok": True,
                    "channel": channel,
                    "ts": ts,
                    "text": payload.get("text", ""),
                    "message": _echo(payload, ts),
                }
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": self._next_ts()}
            case "chat.getPermalink":
                ts = str(payload.get("message_ts", ""))
                link = f"{self.origin}/archives/{channel}/p{ts.replace('.', '')}"
                return {"ok": True, "channel": channel, "permalink": link}
            case "conversations.open":
                users = payload.get("users")
                first = users[0] if isinstance(users, list) else str(users or "").split(",")[0]
                opened = f"D{first}" if first else channel
                if not opened:
                    return {"ok": False, "error": "users_list_not_supplied"}
                return {"ok": True, "no_op": False, "channel": {"id": opened}}
            case "conversations.info":
                return {"ok": True, "channel": _channel_info(channel)}
            case "views.publish":
                view = payload.get("view")
                if not isinstance(view, dict):
                    return {"ok": False, "error": "invalid_arguments"}
                self._view_counter += 1
                published = {
                    **view,
                    "id": f"V{self._view_counter:08d}",
                    "team_id": TEAM_ID,
                    "app_id": APP_ID,
                    "bot_id": BOT_ID,
                    "hash": f"{self._view_counter}.standin",
                }
                return {"ok": True, "view": published}
            case "views.open":
                view = payload.get("view")
                if not payload.get("trigger_id"):
                    return {"ok": False, "error": "invalid_trigger_id"}
                if not isinstance(view, dict):
                    return {"ok": False, "error": "invalid_arguments"}
                self._view_counter += 1
                modal = {
                    **view,
                    "id": f"V{self._view_counter:08d}",
                    "team_id": TEAM_ID,
                    "app_id": APP_ID,
                    "bot_id": BOT_ID,
                    "hash": f"{self._view_counter}.standin",
                }
                return {"ok": True, "view": modal}
            case "files.getUploadURLExternal":
                return self.files.get_upload_url(payload, self.origin)
            case "files.completeUploadExternal":
                given = payload.get("channel_id")
                return self.files.complete(payload, _dm_for_user(given) if given else None)
            case _ if method in AGENT_METHODS:
                return self._agent_answer(method, payload, channel)
            case "apps.connections.open":
                if token is None or not token.startswith("xapp-"):
                    return {"ok": False, "error": "not_allowed_token_type"}
                return {"ok": True, "url": self.socket_url}
            case _:
                return {"ok": True}

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

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=2.0)
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "debug_info": {
                    "host": "applink-standin",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": APP_ID},
            }
        )
        self._connections_made += 1
        entry = (self._connections_made, ws)
        self._sockets.append(entry)
        self._bump()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_client_message(message.data)
        finally:
            self._sockets.remove(entry)
            self._bump()
        return ws

    def _on_client_message(self, data: str) -> None:
        try:
            message = json.loads(data)
        except json.JSONDecodeError:
            return
        if isinstance(message, dict) and "envelope_id" in message:
            self.acks.append(message)
            self._bump()


# -- request parsing -------------------------------------------------------------------------


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _read_payload(request: web.Request) -> dict[str, Any]:
    """Query string and body merged; raises ValueError for a malformed JSON body."""
    payload: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = json.loads(await request.text())
            if not isinstance(body, dict):
                raise ValueError("JSON body is not an object")
            payload.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    payload[key] = {"filename": value.filename, "size": len(value.file.read())}
                else:
                    payload[key] = value
    for key in JSON_FIELDS & payload.keys():
        if isinstance(payload[key], str):
            with contextlib.suppress(json.JSONDecodeError):  # else left as sent, for the card check
                payload[key] = json.loads(payload[key])
    return payload


def _dm_for_user(channel: str) -> str:
    """Posting to a user id lands in the DM with that user, whose id Slack returns."""
    return f"D{channel}" if channel[0] in "UW" else channel


def _echo(payload: dict[str, Any], ts: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "team": TEAM_ID,
        "ts": ts,
        "text": payload.get("text", ""),
    }
    for key in ("blocks", "thread_ts", "attachments"):
        if key in payload:
            message[key] = payload[key]
    return message


def _channel_info(channel: str | None) -> dict[str, Any]:
    channel = channel or "C0"
    kind = channel[0]
    return {
        "id": channel,
        "name": channel.lower(),
        "is_channel": kind == "C",
        "is_group": kind == "G",
        "is_im": kind == "D",
        "is_private": kind in "GD",
        "is_member": True,
        "is_archived": False,
    }


# -- card checks -----------------------------------------------------------------------------
