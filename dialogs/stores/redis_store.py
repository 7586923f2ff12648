"""The Redis session store: one JSON document per session, committed by one Lua script.

The script checks the session version, refuses an event id it has already seen, writes the new
document and the replies of this event, and sets both TTLs, in one atomic step and one round
trip. redis-py may re-send the script after a dropped reply; the script then finds the event
already recorded and, since the stored document is byte-for-byte the one it was asked to
write, answers "applied" again instead of applying twice.

One store for the three ways people run Redis (see `parse_redis_url`): a single server, a
primary managed by Sentinel, and a Cluster. Every key of a session carries the conversation's
{hash tag}, so the script and the MGET touch one Cluster slot.
"""

from __future__ import annotations

import base64
import json
import zlib
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
    CLAIM_TAKEOVER_SECONDS,
    KEY_PREFIX,
    REPLY_CACHE_SECONDS,
    Commit,
    CommitOutcome,
    NoteClaim,
    commit_keys,
    person_pattern,
    ref_key,
    replies_key,
    session_key,
)
from dialogs.stores.redis_client import RedisClient, _client, create_redis_client
from dialogs.stores.redis_url import RedisTarget, parse_redis_url
from dialogs.turn import SessionKey

# Clients and REDIS_URL live in their own modules; importers of the store find them here too.
__all__ = ["COMMIT_SCRIPT", "RedisStore", "RedisTarget", "create_redis_client", "parse_redis_url"]

# KEYS: the session, its cached replies, its screen note. ARGV: expected version, document,
# event id, replies, session TTL, replies TTL; the claim: the question's stamp ('' for none),
# its prompt, this commit's nonce, the nonces of earlier commits whose claims may be orphaned
# (comma-separated), after how many seconds any unrecorded claim is; and the "commit" nonce
# the stored document must carry ('' when the caller read none). Answers {status, the message
# on screen before this commit's claim (a note), the note the claim wrote ('' when not
# claimed), the stored document on a conflict}.
#
# Notes: a recorded one names a question's stamp, its message id and prompt; a claim (made
# here, recorded later by the adapter) has no message id yet and carries its commit's nonce,
# the server time, and the message it replaced as "was", for the adapter to update in place
# (and for a re-sent commit to read back). Times come from the Redis server's clock only.
#
# Version and nonce together: versions start again at 1 after `forget`, so a process holding
# an older copy must not mistake a new session of the same version for it.
#
# On an identical re-send the script writes the same bytes (and TTL) again: that changes
# nothing, but it puts this connection's replication offset past the first write, so a WAIT
# that follows covers the write being acknowledged now.
COMMIT_SCRIPT = """
local function str(v)
  if type(v) == 'string' then return v end
  return nil
end
local function message(n)
  local from = n
  if str(n['claim']) then from = n['was'] end
  if type(from) ~= 'table' or not str(from['stamp']) or from['stamp'] == '' then return nil end
  return {stamp = from['stamp'], id = str(from['id']), prompt = str(from['prompt'])}
end
local function claim(resent)
  local note = redis.call('GET', KEYS[3])
  if ARGV[7] == '' then return {'applied', note or '', '', ''} end
  local n = nil
  if note then
    local ok, d = pcall(cjson.decode, note)
    if ok and type(d) == 'table' then n = d end
  end
  local was = n and message(n)
  local before = was and cjson.encode(was) or ''
  if n and n['stamp'] == ARGV[7] then
    local other = str(n['claim'])
    if other == nil or other == '' then return {'applied', note, '', ''} end
    if resent and other == ARGV[9] then return {'applied', before, note, ''} end
    local orphan = false
    for o in string.gmatch(ARGV[10], '[^,]+') do
      if o == other then orphan = true end
    end
    local at = n['at']
    if type(at) ~= 'number' then at = 0 end
    local now = tonumber(redis.call('TIME')[1])
    if not orphan and now - at <= tonumber(ARGV[11]) then return {'applied', note, '', ''} end
  end
  local new = {stamp = ARGV[7], id = '', prompt = ARGV[8], claim = ARGV[9],
               at = tonumber(redis.call('TIME')[1]), was = was}
  local written = cjson.encode(new)
  redis.call('SET', KEYS[3], written, 'EX', ARGV[5])
  return {'applied', before, written, ''}
end
local current = redis.call('GET', KEYS[1])
local version = 0
local nonce = ''
if current then
  if current == ARGV[2] then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[5])
    return claim(true)
  end
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' then
    local seen = doc['seen']
    if type(seen) == 'table' then
      for _, e in ipairs(seen) do
        if e == ARGV[3] then return {'duplicate', '', '', ''} end
      end
    end
    version = tonumber(doc['version']) or 0
    nonce = str(doc['commit']) or ''
  end
end
if version ~= tonumber(ARGV[1]) or (ARGV[12] ~= '' and nonce ~= ARGV[12]) then
  return {'conflict', '', '', current or ''}
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[5])
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[6])
return claim(false)
"""

# Replace the note (ARGV[2]; '' deletes it) only while it is still ARGV[1]: record the message
# of a claimed question, or put the note back when the question could not be posted.
REPLACE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '' then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  end
  return 1
end
return 0
"""

_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# RedisClusterException is not a RedisError: it is what an unreachable Cluster raises.
_FAILED = (*_UNAVAILABLE, RedisError, RedisClusterException)


def _unavailable(exc: BaseException) -> StoreUnavailable:
    if isinstance(exc, (*_UNAVAILABLE, RedisClusterException)):
        return StoreUnavailable(f"redis did not answer: {exc}")
    return StoreUnavailable(f"redis error: {exc}")


def _pack(value: Mapping[str, Any]) -> bytes:
    """Compact JSON, deflated when large: a summary's replies shrink from ~8 KB to ~2.5 KB."""
    data = orjson.dumps(value)
    if len(data) < 1024:
        return data
    return b"z:" + base64.b64encode(zlib.compress(data, 6))


def _unpack(raw: str) -> dict[str, Any] | None:
    try:
        text = zlib.decompress(base64.b64decode(raw[2:])).decode() if raw.startswith("z:") else raw
        value = json.loads(text)
    except (ValueError, zlib.error):
        return None
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _outcome(answer: Sequence[Any]) -> CommitOutcome:
    """The commit script's answer: {status, note before the claim, note claimed, document}."""
    status, note, claimed, current = (_text(v) for v in answer)
    return CommitOutcome(
        status=Commit(status),
        note=note or None,
        claim=claimed or None,
        current=_document(current) if current else None,
    )


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
        self._replace = client.register_script(REPLACE_SCRIPT)
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
        replies: Sequence[Mapping[str, Any]],
        ttl_seconds: int,
        claim: NoteClaim | None = None,
        expected_commit: str = "",
    ) -> CommitOutcome:
        cached = _pack({"event": event_id, "replies": list(replies)})
        keys = list(commit_keys(key))
        args: list[str | int | bytes] = [
            expected_version,
            orjson.dumps(document),
            event_id,
            cached,
            max(1, int(ttl_seconds)),
            max(1, min(int(ttl_seconds), REPLY_CACHE_SECONDS)),
            claim.stamp if claim else "",
            claim.prompt if claim else "",
            claim.nonce if claim else "",
            ",".join(claim.orphans) if claim else "",
            CLAIM_TAKEOVER_SECONDS,
            expected_commit,
        ]
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
            if _text(result[0]) == "applied" and int(acked) < self._wait_replicas:
                # Maybe a primary that Sentinel has since replaced (it has no replicas left):
                # drop idle connections so the next turn asks the sentinels where to go.
                await client.connection_pool.disconnect(inuse_connections=False)
                raise StoreUnavailable(
                    f"the write reached {acked} of {self._wait_replicas} replicas "
                    f"within {self._wait_ms} ms; not acknowledged"
                )
            return list(result)
        raise StoreUnavailable("redis lost the commit script twice")

    async def cached_replies(self, key: SessionKey, event_id: str) -> list[dict[str, Any]] | None:
        raw = await self._get(replies_key(key))
        if raw is None:
            return None
        cached = _unpack(str(raw))
        if cached is None or cached.get("event") != event_id:
            return None
        replies: list[dict[str, Any]] = cached["replies"]
        return replies

    async def delete(self, key: SessionKey) -> None:
        try:
            await self._ready()
            await self._client.delete(session_key(key), replies_key(key), ref_key(key))
        except _FAILED as exc:
            raise _unavailable(exc) from exc

    async def forget(self, *, platform: str, workspace: str, user: str) -> int:
        """SCAN for the person's keys (a rare, operator-scale action) and delete them.

        A person's keys spread over many conversations, hence many slots: on a Cluster the
        scan runs on every primary, and DEL is split by slot.
        """
        pattern = person_pattern(platform, workspace, user)
        sessions = 0
        try:
            await self._ready()
            batch: list[str] = []
            for node in await self._scan_targets():
                scan = (
                    self._client.scan_iter(match=pattern, count=500, target_nodes=node)
                    if node is not None
                    else self._client.scan_iter(match=pattern, count=500)
                )
                async for name in scan:
                    batch.append(str(name))
                    if str(name).startswith(f"{KEY_PREFIX}:s:"):
                        sessions += 1
                    if len(batch) >= 200:
                        await self._client.delete(*batch)
                        batch = []
            if batch:
                await self._client.delete(*batch)
        except _FAILED as exc:
            raise _unavailable(exc) from exc
        return sessions

    async def _scan_targets(self) -> list[ClusterNode | None]:
        """Each Cluster primary, named explicitly (None: the one server there is)."""
        if not isinstance(self._client, RedisCluster):
            return [None]
        primaries: list[ClusterNode | None] = list(self._client.get_primaries())
        if not primaries:
            raise StoreUnavailable("the Cluster reported no primaries")
        return primaries

    async def put_ref(self, key: SessionKey, value: str, ttl_seconds: int) -> None:
        try:
            await self._ready()
            await self._client.set(ref_key(key), value, ex=max(1, int(ttl_seconds)))
        except _FAILED as exc:
            raise _unavailable(exc) from exc

    async def replace_ref(
        self, key: SessionKey, *, expected: str, value: str | None, ttl_seconds: int
    ) -> bool:
        keys = [ref_key(key)]
        args: list[str | int] = [expected, value or "", max(1, int(ttl_seconds))]
        try:
            await self._ready()
            done = await self._replace(keys=keys, args=args)
        except _FAILED as exc:
            raise _unavailable(exc) from exc
        return bool(int(done))

    async def get_ref(self, key: SessionKey) -> str | None:
        return await self._get(ref_key(key))

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
