"""An in-memory session store for the terminal chat and tests; same contract as Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dialogs.stores.base import (
    KEY_PREFIX,
    REPLY_CACHE_SECONDS,
    Commit,
    CommitOutcome,
    NoteClaim,
    claim_note,
    claim_parts,
    is_persons_key,
    ref_key,
    replies_key,
    session_key,
)
from dialogs.turn import SessionKey


class MemoryStore:
    """Keeps JSON text (not live objects) so it behaves like a real store: no shared mutation."""

    def __init__(self, *, clock: Any = time.monotonic) -> None:
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()
        self._clock = clock

    def _get(self, name: str) -> str | None:
        item = self._data.get(name)
        if item is None:
            return None
        value, expires = item
        if expires <= self._clock():
            del self._data[name]
            return None
        return value

    async def load(self, key: SessionKey) -> dict[str, Any] | None:
        raw = self._get(session_key(key))
        if raw is None:
            return None
        doc: dict[str, Any] = json.loads(raw)
        return doc

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
    ) -> CommitOutcome:
        async with self._lock:
            raw = self._get(session_key(key))
            text = json.dumps(document)
            expires = self._clock() + ttl_seconds
            if raw is not None and raw == text:
                self._data[session_key(key)] = (text, expires)
                return self._claim(key, claim, expires, resent=True)
            current = json.loads(raw) if raw is not None else None
            if current is not None and event_id in current.get("seen", []):
                return CommitOutcome(status=Commit.DUPLICATE)
            version = int(current.get("version", 0) or 0) if current is not None else 0
            if version != expected_version:
                return CommitOutcome(status=Commit.CONFLICT, current=current)
            self._data[session_key(key)] = (text, expires)
            cached = json.dumps({"event": event_id, "replies": list(replies)})
            reply_expires = self._clock() + min(ttl_seconds, REPLY_CACHE_SECONDS)
            self._data[replies_key(key)] = (cached, reply_expires)
            return self._claim(key, claim, expires, resent=False)

    def _claim(
        self, key: SessionKey, claim: NoteClaim | None, expires: float, *, resent: bool
    ) -> CommitOutcome:
        """The claim part of an applied commit (the Redis script's twin)."""
        note = self._get(ref_key(key))
        if claim is None:
            return CommitOutcome(status=Commit.APPLIED, note=note)
        stamp, nonce, was = claim_parts(note)
        if resent and stamp == claim.stamp and nonce == claim.nonce:
            return CommitOutcome(status=Commit.APPLIED, note=was, claim=note)
        before, written = claim_note(claim, note, self._clock())
        if written is None:
            return CommitOutcome(status=Commit.APPLIED, note=note)
        self._data[ref_key(key)] = (written, expires)
        return CommitOutcome(status=Commit.APPLIED, note=before, claim=written)

    async def cached_replies(self, key: SessionKey, event_id: str) -> list[dict[str, Any]] | None:
        raw = self._get(replies_key(key))
        if raw is None:
            return None
        cached = json.loads(raw)
        if cached.get("event") != event_id:
            return None
        replies: list[dict[str, Any]] = cached["replies"]
        return replies

    async def delete(self, key: SessionKey) -> None:
        for name in (session_key(key), replies_key(key), ref_key(key)):
            self._data.pop(name, None)

    async def forget(self, *, platform: str, workspace: str, user: str) -> int:
        names = [n for n in list(self._data) if is_persons_key(n, platform, workspace, user)]
        sessions = sum(1 for n in names if n.startswith(f"{KEY_PREFIX}:s:"))
        for name in names:
            del self._data[name]
        return sessions

    async def put_ref(self, key: SessionKey, value: str, ttl_seconds: int) -> None:
        self._data[ref_key(key)] = (value, self._clock() + ttl_seconds)

    async def get_ref(self, key: SessionKey) -> str | None:
        return self._get(ref_key(key))

    async def release_ref(
        self, key: SessionKey, *, claimed: str, previous: str | None, ttl_seconds: int
    ) -> None:
        async with self._lock:
            if self._get(ref_key(key)) != claimed:
                return
            if previous is None:
                self._data.pop(ref_key(key), None)
            else:
                self._data[ref_key(key)] = (previous, self._clock() + ttl_seconds)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def ttl(self, name: str) -> float | None:
        """Seconds left for a key (for tests of the TTL contract)."""
        item = self._data.get(name)
        return None if item is None else item[1] - self._clock()
