"""Socket Mode on the Slack stand-in: the WebSocket link a client opens (hello, reconnects on
request), envelopes pushed as Slack pushes them, the acks sent back, and the waits on them.

`SlackSocketMode` is the base of `SlackStandIn` (tests/support/slack_standin.py), which adds the
Web API; the change signal and `_until` it keeps here serve the waits of both.
"""

# ruff: noqa: ASYNC109 -- the waits take a `timeout` bound by design and apply it with
# asyncio.timeout inside; callers should not have to wrap every wait themselves.

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any, Final, TypeVar

from aiohttp import WSMsgType, web

from tests.support.loopback import LoopbackServer
from tests.support.slack_workspace import APP_ID

T = TypeVar("T")

ENVELOPE_TYPES: Final = frozenset({"events_api", "slash_commands", "interactive"})


class SlackSocketMode(LoopbackServer):
    """Socket Mode's side of the Slack stand-in; see the module docstring."""

    def __init__(self) -> None:
        #: Every envelope pushed over Socket Mode, and every ack the client sent back.
        self.envelopes: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self._sockets: list[tuple[int, web.WebSocketResponse]] = []  # (connection number, ws)
        self._connections_made = 0
        self._changed = asyncio.Event()

    @property
    def socket_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/link/?ticket={uuid.uuid4()}&app_id={APP_ID}"

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
