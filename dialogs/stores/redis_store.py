"""The Redis session store: one JSON document per session, committed by one Lua script.

The script checks the session version, refuses an event id it has already seen, and writes the
new document with its TTL, in one atomic step and one round trip. redis-py may re-send the
script after a dropped reply; the script then finds the stored document byte-for-byte the one
it was asked to write, and answers "applied" again instead of applying twice.

One store for the three ways people run Redis (see `parse_redis_url`): a single server, a
primary managed by Sentinel, and a Cluster. Every key of a session carries the conversation's
{hash tag}, so every key of one conversation lands in one Cluster slot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from redis import asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisClusterException, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dialogs.errors import StoreUnavailable
from dialogs.stores.base import (
    Commit,
    CommitOutcome,
    claim_key,
    is_session_key,
    person_pattern,
    session_key,
    team_key,
    workspace_pattern,
)
from dialogs.stores.redis_client import RedisClient, _client, create_redis_client
from dialogs.stores.redis_url import RedisTarget, parse_redis_url
from dialogs.turn import SessionKey

# Clients and REDIS_URL live in their own modules; importers of the store find them here too.
__all__ = ["COMMIT_SCRIPT", "RedisStore", "RedisTarget", "create_redis_client", "parse_redis_url"]

# KEYS: the session. ARGV: expected version, document, event id, TTL, and the "commit" nonce
# the stored document must carry ('' when the caller read none). Answers {status, the stored
# document on a conflict}.
#
# Version and nonce together: versions start again at 1 after `forget`, so a process holding
# an older copy must not mistake a new session of the same version for it.
#
# A message id recorded (RECORD_SCRIPT) for the question on screen is kept when the new
# document names the same question with no id yet, and answered: recording changes no version,
# so a turn stepped from a copy read before the record must neither erase it nor miss it.
#
# On an identical re-send (redis-py retries after a lost reply) and on a duplicate event the
# script writes the same bytes again: that changes nothing, but it puts this connection's
# replication offset past the first write, so a WAIT that follows covers the write being
# acknowledged now (a duplicate of a write no replica holds must not pass for a safe one).
COMMIT_SCRIPT = """
local function screen_of(doc)
  return string.match(doc, '"screen":{"stamp":("[^"]*"),"id":"([^"]*)"')
end
local function keep_recorded(new, stamp, id)
  local old = '"screen":{"stamp":' .. stamp .. ',"id":""'
  local at = string.find(new, old, 1, true)
  if not at then return new end
  return string.sub(new, 1, at - 1) .. '"screen":{"stamp":' .. stamp .. ',"id":"' .. id .. '"' ..
         string.sub(new, at + #old)
end
local current = redis.call('GET', KEYS[1])
local version = 0
local nonce = ''
if current then
  if current == ARGV[2] then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4])
    return {'applied', ''}
  end
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' then
    local seen = doc['seen']
    if type(seen) == 'table' then
      for _, e in ipairs(seen) do
        if e == ARGV[3] then
          redis.call('SET', KEYS[1], current, 'KEEPTTL')
          return {'duplicate', ''}
        end
      end
    end
    version = tonumber(doc['version']) or 0
    if type(doc['commit']) == 'string' then nonce = doc['commit'] end
  end
end
if version ~= tonumber(ARGV[1]) or (ARGV[5] ~= '' and nonce ~= ARGV[5]) then
  return {'conflict', current or ''}
end
local new = ARGV[2]
local stamp, id = nil, nil
if current then stamp, id = screen_of(current) end
if stamp and id ~= '' then
  new = keep_recorded(new, stamp, id)
  redis.call('SET', KEYS[1], new, 'EX', ARGV[4])
  return {'applied', id, stamp}
end
redis.call('SET', KEYS[1], new, 'EX', ARGV[4])
return {'applied', ''}
"""

# KEYS: the session. ARGV: the question's stamp and the message id, each as a JSON string.
# The document is written by this store (orjson, compact, the screen's fields in a fixed order),
# so the screen of a claimed question reads exactly '"screen":{"stamp":<stamp>,"id":""': the
# id is put in place there, leaving every other byte, the version and the TTL as they are.
RECORD_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local old = '"screen":{"stamp":' .. ARGV[1] .. ',"id":""'
local at = string.find(raw, old, 1, true)
if not at then return 0 end
local new = '"screen":{"stamp":' .. ARGV[1] .. ',"id":' .. ARGV[2]
redis.call('SET', KEYS[1], string.sub(raw, 1, at - 1) .. new .. string.sub(raw, at + #old),
           'KEEPTTL')
return 1
"""

_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# RedisClusterException is not a RedisError: it is what an unreachable Cluster raises.
_FAILED = (*_UNAVAILABLE, RedisError, RedisClusterException)


def _unavailable(exc: BaseException) -> StoreUnavailable:
    if isinstance(exc, (*_UNAVAILABLE, RedisClusterException)):
        return StoreUnavailable(f"redis did not answer: {exc}")
    return StoreUnavailable(f"redis error: {exc}")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _outcome(answer: Sequence[Any]) -> CommitOutcome:
    """The commit script's answer: {status, the stored document on a conflict, or a recorded
    message id and its question's stamp}."""
    status, extra, *stamp = (_text(v) for v in answer)
    if status == Commit.CONFLICT:
        return CommitOutcome(status=Commit.CONFLICT, current=_document(extra) if extra else None)
    if not (extra and stamp):
        return CommitOutcome(status=Commit(status))
    recorded = (str(orjson.loads(stamp[0])), extra)
    return CommitOutcome(status=Commit(status), recorded=recorded)


def _commit_args(
    version: int, document: Mapping[str, Any], event_id: str, ttl: int, nonce: str
) -> list[str | int | bytes]:
    """The commit script's ARGV, in its order."""
    return [version, orjson.dumps(document), event_id, max(1, int(ttl)), nonce]


def _document(raw: str | bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        doc = orjson.loads(raw)
    except ValueError:
        return {"_unreadable": True}
    return doc if isinstance(doc, dict) else {"_unreadable": True}


# ------------------------------------------------------------------------------ the store


class RedisStore:
    """The SessionStore on Redis: a single server, a Sentinel primary or a Cluster.

    `wait_replicas` > 0 (single server or Sentinel only) acknowledges a commit only once that
    many replicas hold it; short of that, the turn fails with StoreUnavailable, and since the
    write may still be on the primary, the same event sent again is then a duplicate or
    applies, never both.

    Every command on every topology goes through redis-py's asyncio client (hiredis parses).
    """

    def __init__(
        self,
        *,
        client: RedisClient,
        wait_replicas: int = 0,
        wait_timeout_seconds: float = 0.25,
    ) -> None:
        if wait_replicas and isinstance(client, RedisCluster):
            raise ValueError("wait_replicas needs a single server or Sentinel, not a Cluster")
        self._client = client
        self._commit = client.register_script(COMMIT_SCRIPT)
        self._record = client.register_script(RECORD_SCRIPT)
        self._wait_replicas = wait_replicas
        self._wait_ms = max(1, int(wait_timeout_seconds * 1000))

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float) -> RedisStore:
        """The store a REDIS_URL describes, with its `wait_replicas` (WAIT within half the
        socket timeout, so its answer arrives before the client gives up)."""
        target = parse_redis_url(url)
        return cls(
            client=_client(target, timeout_seconds=timeout_seconds),
            wait_replicas=target.wait_replicas,
            wait_timeout_seconds=timeout_seconds / 2,
        )

    async def _ready(self) -> None:
        """On a Cluster, learn the slot map before any command. redis-py 8.1 routes commands
        sent while its client initialises as if they had no key (to a random primary); a burst
        of them then sets off MOVED redirections and a re-initialisation that closes
        connections in mid-handshake (AttributeError). After the first call this is a check."""
        if isinstance(self._client, RedisCluster):
            await self._client.initialize()

    async def load(self, key: SessionKey) -> dict[str, Any] | None:
        return _document(await self._get(session_key(key)))

    async def _get(self, name: str) -> str | None:
        try:
            await self._ready()
            value = await self._client.get(name)
        except _FAILED as exc:
            raise _unavailable(exc) from exc
        return None if value is None else str(value)

    async def commit(
        self,
        key: SessionKey,
        *,
        expected_version: int,
        document: Mapping[str, Any],
        event_id: str,
        ttl_seconds: int,
        expected_commit: str = "",
    ) -> CommitOutcome:
        args = _commit_args(expected_version, document, event_id, ttl_seconds, expected_commit)
        return await self._cas(session_key(key), args)

    async def load_team(self, key: SessionKey) -> dict[str, Any] | None:
        return _document(await self._get(team_key(key)))

    async def commit_team(
        self,
        key: SessionKey,
        *,
        expected_version: int,
        document: Mapping[str, Any],
        event_id: str,
        ttl_seconds: int,
    ) -> CommitOutcome:
        """The team document through the sessions' own commit script (it has no screen, so
        only the version, event and re-send rules apply)."""
        args = _commit_args(expected_version, document, event_id, ttl_seconds, "")
        return await self._cas(team_key(key), args)

    async def _cas(self, name: str, args: list[str | int | bytes]) -> CommitOutcome:
        keys = [name]
        try:
            if self._wait_replicas and isinstance(self._client, aioredis.Redis):
                await self._ready()
                answer = await self._commit_replicated(self._client, keys, args)
            else:
                await self._ready()
                answer = await self._commit(keys=keys, args=args)
        except _FAILED as exc:
            raise _unavailable(exc) from exc
        return _outcome(answer)

    async def _commit_replicated(
        self, client: aioredis.Redis, keys: list[str], args: list[str | int | bytes]
    ) -> list[Any]:
        """The script and WAIT in one pipeline: one round trip, and WAIT runs on the very
        connection that wrote, which is what it measures."""
        for attempt in (1, 2):
            async with client.pipeline(transaction=False) as pipe:
                pipe.evalsha(self._commit.sha, len(keys), *keys, *args)
                pipe.execute_command("WAIT", self._wait_replicas, self._wait_ms)
                result, acked = await pipe.execute(raise_on_error=False)
            if isinstance(result, NoScriptError) and attempt == 1:
                await client.script_load(COMMIT_SCRIPT)
                continue
            for answer in (result, acked):
                if isinstance(answer, Exception):
                    raise answer
            if _text(result[0]) != "conflict" and int(acked) < self._wait_replicas:
                # Maybe a primary that Sentinel has since replaced (it has no replicas left):
                # drop idle connections so the next turn asks the sentinels where to go.
                await client.connection_pool.disconnect(inuse_connections=False)
                raise StoreUnavailable(
                    f"the write reached {acked} of {self._wait_replicas} replicas "
                    f"within {self._wait_ms} ms; not acknowledged"
                )
            return list(result)
        raise StoreUnavailable("redis lost the commit script twice")

    async def record(self, key: SessionKey, *, stamp: str, message_id: str) -> bool:
        args = [orjson.dumps(stamp), orjson.dumps(message_id)]
        try:
            await self._ready()
            done = await self._record(keys=[session_key(key)], args=args)
        except _FAILED as exc:
            raise _unavailable(exc) from exc
        return bool(int(done))

    async def claim(self, key: SessionKey, name: str, *, ttl_seconds: int) -> bool:
        try:
            await self._ready()
            done = await self._client.set(
                claim_key(key, name), "1", nx=True, ex=max(1, int(ttl_seconds))
            )
        except _FAILED as exc:
            raise _unavailable(exc) from exc
        return bool(done)

    async def forget(self, *, platform: str, workspace: str, user: str) -> int:
        """SCAN for the person's keys (a rare, operator-scale action) and delete them.

        A person's keys spread over many conversations, hence many slots: on a Cluster the
        scan runs on every primary, and DEL is split by slot.
        """
        return await self._delete_matching(person_pattern(platform, workspace, user))

    async def forget_workspace(self, *, platform: str, workspace: str) -> int:
        """Every key of one workspace or tenant, scanned and deleted as `forget` does."""
        return await self._delete_matching(workspace_pattern(platform, workspace))

    async def sessions_of(
        self, *, platform: str, workspace: str, user: str
    ) -> list[dict[str, Any]]:
        """The person's session documents, found by the same scan as `forget`."""
        found: list[dict[str, Any]] = []
        try:
            names = sorted(
                n
                for n in await self._scan(person_pattern(platform, workspace, user))
                if is_session_key(n)
            )
            for name in names:
                stored = _document(await self._get(name))
                if stored is not None and "_unreadable" not in stored:
                    found.append(stored)
        except _FAILED as exc:
            raise _unavailable(exc) from exc
        return found

    async def _scan(self, pattern: str) -> list[str]:
        await self._ready()
        names: list[str] = []
        for node in await self._scan_targets():
            scan = (
                self._client.scan_iter(match=pattern, count=500, target_nodes=node)
                if node is not None
                else self._client.scan_iter(match=pattern, count=500)
            )
            async for name in scan:
                names.append(_text(name))
        return names

    async def _delete_matching(self, pattern: str) -> int:
        try:
            names = await self._scan(pattern)
            for start in range(0, len(names), 200):
                await self._client.delete(*names[start : start + 200])
        except _FAILED as exc:
            raise _unavailable(exc) from exc
        return sum(1 for n in names if is_session_key(n))

    async def _scan_targets(self) -> list[ClusterNode | None]:
        """Each Cluster primary, named explicitly (None: the one server there is)."""
        if not isinstance(self._client, RedisCluster):
            return [None]
        primaries: list[ClusterNode | None] = list(self._client.get_primaries())
        if not primaries:
            raise StoreUnavailable("the Cluster reported no primaries")
        return primaries

    async def ping(self) -> None:
        """Ready means every primary answers: on a Cluster, a silent one holds sessions too."""
        try:
            await self._ready()
            if isinstance(self._client, RedisCluster):
                await self._client.ping(target_nodes=RedisCluster.PRIMARIES)
            else:
                await self._client.ping()
        except _FAILED as exc:
            raise _unavailable(exc) from exc

    async def close(self) -> None:
        await self._client.aclose()
