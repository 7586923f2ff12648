"""A small TCP fault proxy on 127.0.0.1 for tests: put it between the advisor and Redis, or
between the advisor and a stand-in Slack or Teams API, and switch faults on at run time.

    async with FaultProxy("127.0.0.1", redis_port) as proxy:
        url = proxy.rebase("redis://127.0.0.1:6379/0")  # the same URL, through the proxy
        proxy.drop_replies(times=1, matching=b"EVALSHA")
        ...

Modes (the proxy starts in pass-through):

- ``pass_through()``: bytes flow both ways untouched.
- ``delay(seconds)``: every chunk, both ways, waits ``seconds`` before it is forwarded.
- ``drop_replies(times, matching)``: a request is forwarded upstream, but the connection it
  came on turns *deaf*: whatever upstream answers on it is swallowed, until the client closes
  it. The write happened; the client never hears so. A deaf connection stays deaf even after
  the mode is switched back, since handing it a late reply would desynchronise its protocol.
- ``reset(times, matching, after_forwarding)``: the connection is closed abruptly with an RST
  (SO_LINGER 0). By default the request is not forwarded (it never reached the server); with
  ``after_forwarding=True`` it is, and the RST replaces the reply (it reached the server, and
  the answer was lost).
- ``black_hole(times, matching)``: the request is read and neither forwarded nor answered, and
  the connection stays *stuck* that way until the client gives up; like a hung server or a
  silently dropped route.

A *request* is one chunk the client sent (one ``read``); ``matching`` limits a fault to chunks
that contain those bytes (``b"EVALSHA"``, ``b"chat.postMessage"``), and everything else passes.
``times`` counts the requests a fault applies to before the proxy goes back to pass-through;
None keeps the fault until the mode is switched. ``reset_open_connections()`` RSTs every
connection at once, like a network blip.

``counters`` tells what happened (connections, bytes each way, swallowed replies, resets,
black-holed requests); ``wait_for`` waits, bounded, until a condition on them holds.
"""

# ruff: noqa: ASYNC109 -- wait_for takes a `timeout` bound by design and applies it inside.

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self, TypeVar
from urllib.parse import urlsplit, urlunsplit

from tests.support.loopback import HOST, LoopbackServer

T = TypeVar("T")

CHUNK = 64 * 1024
CONNECT_TIMEOUT_SECONDS = 2.0


class Mode(StrEnum):
    PASS = "pass"
    DELAY = "delay"
    DROP_REPLIES = "drop_replies"
    RESET = "reset"
    BLACK_HOLE = "black_hole"


@dataclass
class Counters:
    """What the proxy saw and did since it started (or since ``reset_counters``)."""

    connections: int = 0  # accepted from clients
    open: int = 0  # currently open client connections
    bytes_from_client: int = 0
    bytes_to_upstream: int = 0
    bytes_from_upstream: int = 0
    bytes_to_client: int = 0
    requests_faulted: int = 0  # requests a drop, reset or black-hole fault applied to
    replies_dropped: int = 0  # chunks from upstream swallowed on deaf connections
    resets: int = 0  # client connections closed with an RST
    black_holed: int = 0  # client chunks swallowed on stuck connections
    upstream_failures: int = 0  # connections whose upstream could not be reached


@dataclass
class _Fault:
    mode: Mode
    times: int | None = None
    matching: bytes | None = None
    seconds: float = 0.0
    after_forwarding: bool = False


@dataclass(eq=False)
class _Link:
    """One client connection and its upstream connection."""

    number: int
    client_reader: asyncio.StreamReader
    client_writer: asyncio.StreamWriter
    upstream_reader: asyncio.StreamReader | None = None
    upstream_writer: asyncio.StreamWriter | None = None
    deaf: bool = False  # swallow everything upstream sends (a lost reply)
    stuck: bool = False  # swallow everything both ways (black hole)
    reset_on_reply: bool = False  # RST the client when upstream answers
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    closed: bool = False


def _shut(writer: asyncio.StreamWriter | None, *, rst: bool) -> None:
    """Close a connection: with ``rst`` now, with a TCP reset; else after flushing, with a FIN."""
    if writer is None or writer.transport.is_closing():
        return
    if not rst:
        writer.close()
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy(LoopbackServer):
    """A loopback TCP proxy with switchable faults; see the module docstring."""

    what = "the fault proxy"

    def __init__(self, upstream_host: str, upstream_port: int, *, scheme: str = "http") -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.scheme = scheme
        self.counters = Counters()
        self._fault = _Fault(Mode.PASS)
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._links: set[_Link] = set()
        self._changed = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Self:
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, HOST, 0)
            self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and close every connection (with an RST: nothing is pending)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for link in list(self._links):
            self._close(link, rst=True)
        tasks = [task for link in list(self._links) for task in link.tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the fault proxy is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"{self.scheme}://{HOST}:{self.port}"

    def rebase(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's (scheme and path kept)."""
        parts = urlsplit(url)
        netloc = f"{HOST}:{self.port}"
        if parts.username or parts.password:
            netloc = f"{parts.netloc.rsplit('@', 1)[0]}@{netloc}"
        return urlunsplit(parts._replace(netloc=netloc))

    # -- switching modes ---------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        return self._fault.mode

    def pass_through(self) -> None:
        self._fault = _Fault(Mode.PASS)

    def delay(self, seconds: float) -> None:
        """Hold every chunk, both ways, for ``seconds`` before forwarding it."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self._fault = _Fault(Mode.DELAY, seconds=seconds)

    def drop_replies(self, times: int | None = None, *, matching: bytes | None = None) -> None:
        """Forward requests but lose their replies (see the module docstring)."""
        self._fault = _Fault(Mode.DROP_REPLIES, _times(times), matching)

    def reset(
        self,
        times: int | None = None,
        *,
        matching: bytes | None = None,
        after_forwarding: bool = False,
    ) -> None:
        """RST the connection of the next requests, before or after forwarding them."""
        self._fault = _Fault(Mode.RESET, _times(times), matching, after_forwarding=after_forwarding)

    def black_hole(self, times: int | None = None, *, matching: bytes | None = None) -> None:
        """Swallow requests and answer nothing, ever, on their connections."""
        self._fault = _Fault(Mode.BLACK_HOLE, _times(times), matching)

    def reset_open_connections(self) -> int:
        """RST every open client connection now; returns how many."""
        links = [link for link in self._links if not link.closed]
        for link in links:
            self._close(link, rst=True)
        return len(links)

    def reset_counters(self) -> None:
        self.counters = Counters(open=self.counters.open)
        self._bump()

    # -- waiting -----------------------------------------------------------------------------

    async def wait_for(self, check: Callable[[Counters], T], timeout: float = 5.0) -> T:
        """Wait until ``check(counters)`` is truthy and return it; TimeoutError names them."""
        try:
            async with asyncio.timeout(timeout):
                while not (result := check(self.counters)):
                    await self._changed.wait()
                return result
        except TimeoutError:
            raise TimeoutError(f"waited {timeout}s; proxy counters: {self.counters}") from None

    # -- internals ---------------------------------------------------------------------------

    def _bump(self) -> None:
        # Waiters hold the old event; replacing it makes "set, then clear" race-free.
        self._changed.set()
        self._changed = asyncio.Event()

    def _take(self, chunk: bytes) -> _Fault | None:
        """The drop, reset or black-hole fault this client chunk triggers, if any."""
        fault = self._fault
        if fault.mode in (Mode.PASS, Mode.DELAY):
            return None
        if fault.matching is not None and fault.matching not in chunk:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._fault = _Fault(Mode.PASS)
        self.counters.requests_faulted += 1
        return fault

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counters.connections += 1
        self.counters.open += 1
        link = _Link(self.counters.connections, reader, writer)
        self._links.add(link)
        self._bump()
        try:
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
                    up_reader, up_writer = await asyncio.open_connection(
                        self.upstream_host, self.upstream_port
                    )
            except (OSError, TimeoutError):
                self.counters.upstream_failures += 1
                self._close(link, rst=True)
                return
            if link.closed:  # reset while connecting upstream
                _shut(up_writer, rst=False)
                return
            link.upstream_reader, link.upstream_writer = up_reader, up_writer
            link.tasks = [
                asyncio.create_task(self._client_to_upstream(link)),
                asyncio.create_task(self._upstream_to_client(link)),
            ]
            await asyncio.gather(*link.tasks, return_exceptions=True)
        finally:
            self._close(link, rst=False)
            self._links.discard(link)
            self.counters.open -= 1
            self._bump()

    async def _client_to_upstream(self, link: _Link) -> None:
        assert link.upstream_writer is not None
        try:
            while chunk := await link.client_reader.read(CHUNK):
                self.counters.bytes_from_client += len(chunk)
                if link.stuck:
                    self.counters.black_holed += 1
                    self._bump()
                    continue
                fault = self._take(chunk)
                if fault is None and self._fault.mode is Mode.DELAY:
                    await asyncio.sleep(self._fault.seconds)
                elif fault is not None and fault.mode is Mode.BLACK_HOLE:
                    link.stuck = True
                    self.counters.black_holed += 1
                    self._bump()
                    continue
                elif fault is not None and fault.mode is Mode.RESET:
                    if not fault.after_forwarding:
                        self._close(link, rst=True)
                        return
                    link.reset_on_reply = True
                elif fault is not None and fault.mode is Mode.DROP_REPLIES:
                    link.deaf = True
                link.upstream_writer.write(chunk)
                await link.upstream_writer.drain()
                self.counters.bytes_to_upstream += len(chunk)
                self._bump()
        except (ConnectionError, OSError):
            pass
        finally:
            self._close(link, rst=False)

    async def _upstream_to_client(self, link: _Link) -> None:
        assert link.upstream_reader is not None
        try:
            while chunk := await link.upstream_reader.read(CHUNK):
                self.counters.bytes_from_upstream += len(chunk)
                if link.reset_on_reply:
                    self._close(link, rst=True)
                    return
                if link.deaf or link.stuck:
                    self.counters.replies_dropped += 1
                    self._bump()
                    continue
                if self._fault.mode is Mode.DELAY:
                    await asyncio.sleep(self._fault.seconds)
                link.client_writer.write(chunk)
                await link.client_writer.drain()
                self.counters.bytes_to_client += len(chunk)
                self._bump()
        except (ConnectionError, OSError):
            pass
        finally:
            self._close(link, rst=False)

    def _close(self, link: _Link, *, rst: bool) -> None:
        if link.closed:
            return
        link.closed = True
        if rst:
            self.counters.resets += 1
        _shut(link.client_writer, rst=rst)
        _shut(link.upstream_writer, rst=False)
        current = asyncio.current_task()
        for task in link.tasks:
            if task is not current:
                task.cancel()
        self._bump()


def _times(times: int | None) -> int | None:
    if times is not None and times < 1:
        raise ValueError("times must be at least 1 (or None: until switched)")
    return times
