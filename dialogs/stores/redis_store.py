"""The Redis session store: one JSON document per session, committed by one Lua script.

The script checks the session version, refuses an event id it has already seen, writes the new
document and the replies of this event, and sets both TTLs, in one atomic step and one round
trip. redis-py may re-send the script after a dropped reply; the script then finds the event
already recorded and, since the stored document is byte-for-byte the one it was asked to
write, answers "applied" again instead of applying twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dialogs.errors import StoreUnavailable
from dialogs.stores.base import (
    KEY_PREFIX,
    Commit,
    person_pattern,
    ref_key,
    replies_key,
    session_key,
)
from dialogs.turn import SessionKey

COMMIT_SCRIPT = """
local current = redis.call('GET', KEYS[1])
local version = 0
if current then
  if current == ARGV[2] then return 'applied' end
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' then
    local seen = doc['seen']
    if type(seen) == 'table' then
      for _, e in ipairs(seen) do
        if e == ARGV[3] then return 'duplicate' end
      end
    end
    version = tonumber(doc['version']) or 0
  end
end
if version ~= tonumber(ARGV[1]) then return 'conflict' end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[5])
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
return 'applied'
"""

_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _document(raw: str | bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return {"_unreadable": True}
    return doc if isinstance(doc, dict) else {"_unreadable": True}


def create_redis_client(url: str, *, timeout_seconds: float) -> aioredis.Redis:
    """Short timeouts and one quick retry: a hung Redis must fail a turn fast, not in a minute."""
    return aioredis.Redis.from_url(
        url,
        socket_connect_timeout=timeout_seconds,
        socket_timeout=timeout_seconds,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1),
        retry_on_timeout=True,
        health_check_interval=30,
        decode_responses=True,
    )


class RedisStore:
    def __init__(self, *, client: aioredis.Redis) -> None:
        self._client = client
        self._commit = client.register_script(COMMIT_SCRIPT)

    async def load(self, key: SessionKey) -> dict[str, Any] | None:
        try:
            raw = await self._client.get(session_key(key))
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"redis did not answer: {exc}") from exc
        except RedisError as exc:
            raise StoreUnavailable(f"redis error: {exc}") from exc
        return _document(raw)

    async def load_with_ref(self, key: SessionKey) -> tuple[dict[str, Any] | None, str | None]:
        try:
            raw, ref = await self._client.mget(session_key(key), ref_key(key))
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"redis did not answer: {exc}") from exc
        except RedisError as exc:
            raise StoreUnavailable(f"redis error: {exc}") from exc
        return _document(raw), None if ref is None else str(ref)

    async def commit(
        self,
        key: SessionKey,
        *,
        expected_version: int,
        document: Mapping[str, Any],
        event_id: str,
        replies: Sequence[Mapping[str, Any]],
        ttl_seconds: int,
    ) -> Commit:
        cached = json.dumps({"event": event_id, "replies": list(replies)}, separators=(",", ":"))
        args: list[str | int] = [
            expected_version,
            json.dumps(document, separators=(",", ":")),
            event_id,
            cached,
            max(1, int(ttl_seconds)),
        ]
        try:
            result = await self._commit(keys=[session_key(key), replies_key(key)], args=args)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"redis did not answer: {exc}") from exc
        except RedisError as exc:
            raise StoreUnavailable(f"redis error: {exc}") from exc
        return Commit(result)

    async def cached_replies(self, key: SessionKey, event_id: str) -> list[dict[str, Any]] | None:
        try:
            raw = await self._client.get(replies_key(key))
        except (*_UNAVAILABLE, RedisError) as exc:
            raise StoreUnavailable(f"redis did not answer: {exc}") from exc
        if raw is None:
            return None
        cached = json.loads(raw)
        if cached.get("event") != event_id:
            return None
        replies: list[dict[str, Any]] = cached["replies"]
        return replies

    async def delete(self, key: SessionKey) -> None:
        try:
            await self._client.delete(session_key(key), replies_key(key), ref_key(key))
        except (*_UNAVAILABLE, RedisError) as exc:
            raise StoreUnavailable(f"redis did not answer: {exc}") from exc

    async def forget(self, *, platform: str, workspace: str, user: str) -> int:
        """SCAN for the person's keys (a rare, operator-scale action) and delete them.

        On Redis Cluster the scan must run on every primary; this client talks to one node.
        """
        pattern = person_pattern(platform, workspace, user)
        sessions = 0
        try:
            batch: list[str] = []
            async for name in self._client.scan_iter(match=pattern, count=500):
                batch.append(str(name))
                if str(name).startswith(f"{KEY_PREFIX}:s:"):
                    sessions += 1
                if len(batch) >= 200:
                    await self._client.delete(*batch)
                    batch = []
            if batch:
                await self._client.delete(*batch)
        except (*_UNAVAILABLE, RedisError) as exc:
            raise StoreUnavailable(f"redis did not answer: {exc}") from exc
        return sessions

    async def put_ref(self, key: SessionKey, value: str, ttl_seconds: int) -> None:
        try:
            await self._client.set(ref_key(key), value, ex=max(1, int(ttl_seconds)))
        except (*_UNAVAILABLE, RedisError) as exc:
            raise StoreUnavailable(f"redis did not answer: {exc}") from exc

    async def get_ref(self, key: SessionKey) -> str | None:
        try:
            value = await self._client.get(ref_key(key))
        except (*_UNAVAILABLE, RedisError) as exc:
            raise StoreUnavailable(f"redis did not answer: {exc}") from exc
        return None if value is None else str(value)

    async def ping(self) -> None:
        try:
            await self._client.ping()
        except (*_UNAVAILABLE, RedisError) as exc:
            raise StoreUnavailable(f"redis did not answer: {exc}") from exc

    async def close(self) -> None:
        await self._client.aclose()
