"""Redis round trips counted on the client, and commands counted on the server.

Client side: a redis-py client built with `connection_class=CountingConnection` (a public
parameter of redis-py's connection pool) counts every write of packed commands on its
connections. redis-py uses a pooled connection for one command (or one pipeline) at a time and
reads the answers before giving it back, so each write is one round trip. Writes made while a
connection opens (HELLO, CLIENT SETINFO, SELECT) are counted apart: they are the connection's
cost, not a turn's. Only this process's clients built here are counted; nothing of the
advisor's code is patched (the store takes the client as a constructor argument).

Server side: INFO commandstats before and after, for a server process whose client cannot be
instrumented. Those counts include the commands Lua scripts run, so they are commands, not
round trips.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from dialogs.stores.redis_client import create_redis_client
from dialogs.stores.redis_store import RedisStore
from dialogs.stores.redis_url import parse_redis_url


@dataclass
class Sends:
    """What every CountingConnection of this process wrote."""

    sends: int = 0  # writes of one or more packed commands, handshakes included
    handshakes: int = 0  # of which while a connection opened
    connections: int = 0  # connections opened

    @property
    def round_trips(self) -> int:
        """Writes outside connection handshakes: each one waits for its answers."""
        return self.sends - self.handshakes

    def since(self, earlier: Sends) -> Sends:
        """What was counted after `earlier` (a `replace(SENDS)` taken before)."""
        return Sends(
            self.sends - earlier.sends,
            self.handshakes - earlier.handshakes,
            self.connections - earlier.connections,
        )


SENDS = Sends()


class CountingConnection(aioredis.Connection):
    """A redis-py TCP connection that counts its writes in SENDS."""

    _handshaking = False

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        SENDS.connections += 1
        self._handshaking = True
        try:
            await super().on_connect_check_health(check_health=check_health)
        finally:
            self._handshaking = False

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        SENDS.sends += 1
        if self._handshaking:
            SENDS.handshakes += 1
        await super().send_packed_command(command, check_health=check_health)


def round_trips() -> int:
    """Round trips made so far by this process's counting clients (handshakes excluded)."""
    return SENDS.round_trips


def counting_client(url: str, *, timeout_seconds: float) -> aioredis.Redis | None:
    """A client for a single server at `url` with the production client's settings and
    CountingConnection; None for Sentinel, Cluster, TLS and unix sockets (not counted)."""
    target = parse_redis_url(url)
    if target.topology != "standalone" or target.tls or not target.url.startswith("redis://"):
        return None
    # The options of dialogs.stores.redis_client for a single server, checked against a
    # production client below so the two cannot drift apart unnoticed.
    client = aioredis.Redis.from_url(
        target.url,
        connection_class=CountingConnection,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1),
        retry_on_timeout=True,
        health_check_interval=30,
        decode_responses=True,
        socket_connect_timeout=timeout_seconds,
        socket_timeout=timeout_seconds,
    )
    production = create_redis_client(url, timeout_seconds=timeout_seconds)
    assert isinstance(production, aioredis.Redis)
    ours, theirs = _settings(client), _settings(production)
    if ours != theirs:
        raise RuntimeError(f"the counting client differs from the production one: {ours} {theirs}")
    return client


def _settings(client: aioredis.Redis) -> dict[str, Any]:
    """What a pool builds its connections with: plain values as they are, the retry by its
    policy, other objects (handlers made per pool) by their type."""
    kwargs: dict[str, Any] = {}
    for name, value in client.connection_pool.connection_kwargs.items():
        if isinstance(value, Retry):
            backoff = value._backoff  # redis-py keeps the policy private; compared, not changed
            kwargs[name] = (value._retries, type(backoff).__name__, vars(backoff))
        elif value is None or isinstance(value, str | int | float | tuple):
            kwargs[name] = value
        else:
            kwargs[name] = type(value).__name__
    return kwargs


def counting_store(url: str, *, timeout_seconds: float) -> RedisStore | None:
    """The production store on a counting client (None where `counting_client` is None)."""
    client = counting_client(url, timeout_seconds=timeout_seconds)
    if client is None:
        return None
    return RedisStore(client=client, wait_replicas=parse_redis_url(url).wait_replicas)


# ---------------------------------------------------------------------------- the server's count


@dataclass(frozen=True, kw_only=True)
class CommandSnapshot:
    total: int
    by_command: dict[str, int]


async def snapshot(client: aioredis.Redis) -> CommandSnapshot:
    """One INFO call: the server's command counters (this INFO is counted by the next one)."""
    info: dict[str, Any] = await client.info("stats", "commandstats")
    by_command = {
        name.removeprefix("cmdstat_"): int(value["calls"])
        for name, value in info.items()
        if name.startswith("cmdstat_") and isinstance(value, dict)
    }
    return CommandSnapshot(total=int(info["total_commands_processed"]), by_command=by_command)


def commands_between(before: CommandSnapshot, after: CommandSnapshot) -> dict[str, int]:
    """Commands run between two snapshots, by command, without the INFO calls themselves."""
    ran = {
        name: count - before.by_command.get(name, 0)
        for name, count in after.by_command.items()
        if name != "info"
    }
    return {name: n for name, n in ran.items() if n > 0}


def per_turn(commands: dict[str, int], turns: int) -> str:
    """'2.00 (evalsha 1.00, get 1.00)': commands per turn, largest first."""
    total = sum(commands.values())
    parts = ", ".join(
        f"{name} {n / turns:.2f}" for name, n in sorted(commands.items(), key=lambda i: -i[1])
    )
    return f"{total / max(turns, 1):.2f} ({parts})"
