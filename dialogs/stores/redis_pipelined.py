"""A lean, pipelined connection for the store's per-turn commands on a single Redis server.

redis-py's asyncio client spends about 200 us of CPU on each command (a pool checkout, its
own packing, a timeout per read, observability hooks), several times what the command costs
Redis. A Slack turn sends two, and that was the largest part of the advisor's cost over a bare
Bolt app. This connection writes the commands of one pass of the event loop together, on one
socket that every turn of the process shares, and hands the replies back in order (Redis
answers a connection's commands in the order they came). hiredis packs the commands and
parses the replies.

It fails the way the redis-py client beside it does:
- each command must be answered within the socket timeout. When the oldest one is late, or
  the connection breaks, the connection is closed and every command waiting on it fails: where
  the next reply would start in the stream is no longer known;
- a command that failed so is sent once more, on a new connection, after a short pause (the
  same single retry as redis-py's). Every command sent here is safe to send twice: the commit
  script recognises its own re-send, and the others read or write only conditionally;
- errors are redis-py's exceptions (ConnectionError, TimeoutError, ResponseError,
  NoScriptError), so the store reports them as before.

Only plain TCP connections to one server take this path (`PipelinedRedis.serving`); TLS,
Unix sockets, Sentinel and Cluster keep redis-py for everything.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from typing import Any, Final, cast

import hiredis
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

RETRY_PAUSE_SECONDS: Final = 0.02
# The connection options this path understands; a client set up with any other keeps redis-py.
_UNDERSTOOD: Final = frozenset(
    {
        "host",
        "port",
        "db",
        "username",
        "password",
        "socket_timeout",
        "socket_connect_timeout",
        "client_name",
        # redis-py's own machinery, replaced here by the rules in the module's docstring:
        "retry",
        "retry_on_timeout",
        "retry_on_error",
        "health_check_interval",
        "decode_responses",
        "encoding",
        "encoding_errors",
        "socket_type",
        "redis_connect_func",
        "lib_name",
        "lib_version",
        "protocol",
        "credential_provider",
        "event_dispatcher",
        "maint_notifications_config",
        "maint_notifications_pool_handler",
        "himport_registry",
        "orig_host_address",
        "orig_socket_timeout",
        "orig_socket_connect_timeout",
    }
)
Arg = str | int | float | bytes


def _pack(args: tuple[Arg, ...]) -> bytes:
    # hiredis's type stub declares a one-element tuple; the function takes any number.
    packed: bytes = hiredis.pack_command(cast(Any, args))
    return packed


class _Replies(asyncio.Protocol):
    """One connection: replies are matched, in order, to the commands waiting for them."""

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self.reader = hiredis.Reader(encoding="utf-8", errors="replace")
        # (future, deadline) of each command sent and not yet answered, oldest first
        self.waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._loop = asyncio.get_running_loop()
        self._watchdog: asyncio.TimerHandle | None = None
        self.failure: Exception | None = None
        self._outgoing: list[bytes] = []  # commands sent in this pass of the event loop
        self.writes = 0  # socket writes so far (each carries one or more commands)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, packed: bytes) -> asyncio.Future[Any]:
        if self.failure is not None or self.transport is None:
            raise RedisConnectionError(f"connection to redis lost: {self.failure}")
        future: asyncio.Future[Any] = self._loop.create_future()
        deadline = self._loop.time() + self.timeout_seconds
        self.waiting.append((future, deadline))
        if not self._outgoing:
            self._loop.call_soon(self._flush)
        self._outgoing.append(packed)
        if self._watchdog is None:
            self._watchdog = self._loop.call_at(deadline, self._check_deadline)
        return future

    def _flush(self) -> None:
        """Write every command sent since the last flush at once: the turns that reach Redis
        in one pass of the event loop share one system call (two in three under load)."""
        outgoing, self._outgoing = self._outgoing, []
        if self.failure is None and self.transport is not None and outgoing:
            self.transport.write(b"".join(outgoing))
            self.writes += 1

    def _check_deadline(self) -> None:
        """The oldest unanswered command is the first to be late: one timer serves them all."""
        self._watchdog = None
        if not self.waiting:
            return
        deadline = self.waiting[0][1]
        if deadline <= self._loop.time():
            self.abort(RedisTimeoutError(f"redis did not answer within {self.timeout_seconds:g} s"))
        else:
            self._watchdog = self._loop.call_at(deadline, self._check_deadline)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while True:
            try:
                reply = self.reader.gets()
            except hiredis.ProtocolError as exc:
                self.abort(RedisConnectionError(f"unreadable reply from redis: {exc}"))
                return
            if reply is False:
                return
            if not self.waiting:
                self.abort(RedisConnectionError("redis sent a reply nobody asked for"))
                return
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RedisConnectionError(f"connection to redis lost: {exc or 'closed'}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def abort(self, error: Exception) -> None:
        """Fail every waiting command with `error` and drop the connection."""
        self._fail(error)
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, error: Exception) -> None:
        if self.failure is None:
            self.failure = error
        self._outgoing.clear()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)


class PipelinedRedis:
    """Commands to one Redis server over one shared, pipelined connection (see the module)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        client_name: str | None = None,
        timeout_seconds: float,
        connect_timeout_seconds: float | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout_seconds = timeout_seconds
        self.connect_timeout_seconds = connect_timeout_seconds or timeout_seconds
        self._setup: list[tuple[Arg, ...]] = []
        if password is not None:
            user: tuple[Arg, ...] = () if username is None else (username,)
            self._setup.append(("AUTH", *user, password))
        if db:
            self._setup.append(("SELECT", db))
        if client_name:
            self._setup.append(("CLIENT", "SETNAME", client_name))
        self._conn: _Replies | None = None
        self._connecting: asyncio.Future[_Replies] | None = None
        self._closing = False
        self.sent = 0  # commands sent, retries included (the benchmarks count round trips)

    @property
    def writes(self) -> int:
        """Socket writes on the current connection (each carries one or more commands)."""
        return self._conn.writes if self._conn is not None else 0

    @classmethod
    def serving(cls, client: object) -> PipelinedRedis | None:
        """The pipelined twin of a redis-py client, when it talks plain TCP to one server
        with options this path understands; None otherwise (keep using redis-py)."""
        if type(client) is not aioredis.Redis:  # not a Sentinel primary, not a Cluster
            return None
        pool = client.connection_pool
        if type(pool) is not aioredis.ConnectionPool or pool.connection_class is not (
            aioredis.Connection
        ):
            return None
        kwargs = pool.connection_kwargs
        if set(kwargs) - _UNDERSTOOD or kwargs.get("credential_provider") is not None:
            return None
        if kwargs.get("protocol") not in (None, 2, "2") or not kwargs.get("decode_responses"):
            return None
        timeout = kwargs.get("socket_timeout")
        if not timeout:
            return None  # no timeout asked for: this path always has one
        return cls(
            host=str(kwargs.get("host", "localhost")),
            port=int(kwargs.get("port", 6379)),
            db=int(kwargs.get("db", 0) or 0),
            username=kwargs.get("username"),
            password=kwargs.get("password"),
            client_name=kwargs.get("client_name"),
            timeout_seconds=float(timeout),
            connect_timeout_seconds=kwargs.get("socket_connect_timeout"),
        )

    async def execute(self, *args: Arg) -> Any:
        """Send one command and return its reply; one retry on a new connection when the
        connection fails or the reply is late."""
        packed = _pack(args)
        try:
            return await self._once(packed)
        except (RedisConnectionError, RedisTimeoutError):
            if self._closing:
                raise
            await asyncio.sleep(RETRY_PAUSE_SECONDS)
            return await self._once(packed)

    async def evalsha(self, sha: str, script: str, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        """EVALSHA, loading the script first if the server does not have it (a restart, a
        SCRIPT FLUSH, a new server behind the same address)."""
        command = ("EVALSHA", sha, len(keys), *keys, *args)
        try:
            return await self.execute(*command)
        except NoScriptError:
            await self.execute("SCRIPT", "LOAD", script)
            return await self.execute(*command)

    async def _once(self, packed: bytes) -> Any:
        conn = self._conn
        if conn is None or conn.failure is not None:
            conn = await self._connection()
        self.sent += 1
        reply = await conn.send(packed)
        if isinstance(reply, hiredis.ReplyError):
            text = str(reply)
            if text.startswith("NOSCRIPT"):
                raise NoScriptError(text)
            raise ResponseError(text)
        return reply

    async def _connection(self) -> _Replies:
        """The live connection, or a new one; turns arriving meanwhile wait for the same one."""
        if self._closing:
            raise RedisConnectionError("the redis connection is closed")
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        connecting = self._connecting
        try:
            return await asyncio.shield(connecting)
        finally:
            if self._connecting is connecting and connecting.done():
                self._connecting = None

    async def _connect(self) -> _Replies:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout_seconds):
                _, conn = await loop.create_connection(
                    lambda: _Replies(self.timeout_seconds), self.host, self.port
                )
        except TimeoutError as exc:
            where = f"{self.host}:{self.port}"
            raise RedisTimeoutError(f"could not connect to redis at {where}") from exc
        except OSError as exc:
            raise RedisConnectionError(
                f"could not connect to redis at {self.host}:{self.port}: {exc}"
            ) from exc
        replies = [conn.send(_pack(command)) for command in self._setup]
        for reply in replies:
            answer = await reply
            if isinstance(answer, hiredis.ReplyError):
                conn.abort(RedisConnectionError(f"redis refused the connection: {answer}"))
                raise RedisConnectionError(f"redis refused the connection: {answer}")
        self._conn = conn
        return conn

    async def aclose(self) -> None:
        self._closing = True
        conn, self._conn = self._conn, None
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(BaseException):
                await self._connecting
        if conn is not None and conn.transport is not None:
            conn.transport.close()
            with contextlib.suppress(asyncio.TimeoutError):
                async with asyncio.timeout(1.0):
                    await conn.closed
