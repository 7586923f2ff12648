"""An in-memory session store for the terminal chat and tests; same contract as Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dialogs.stores.base import (
    CLAIM_TAKEOVER_SECONDS,
    KEY_PREFIX,
    REPLY_CACHE_SECONDS,
    Commit,
    CommitOutcome,
    NoteClaim,
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
        expected_commit: str = "",
    ) -> CommitOutcome:
        async with self._lock:
            raw = self._get(session_key(key))
            text = json.dumps(document)
            expires = self._clock() + ttl_seconds
            if raw is not None and raw == text:
                self._data[session_key(key)] = (text, expires)
                return self._claim(key, claim, expires, resent=True)
            stored = _parsed(raw)
            current = stored if stored is not None or raw is None else {"_unreadable": True}
            seen = stored.get("seen") if stored is not None else None
            if isinstance(seen, list) and event_id in seen:
                return CommitOutcome(status=Commit.DUPLICATE)
            version = _number(stored.get("version")) if stored is not None else 0
            nonce = _text(stored.get("commit")) or "" if stored is not None else ""
            stale = expected_commit and nonce != expected_commit
            if version != expected_version or stale:
                return CommitOutcome(status=Commit.CONFLICT, current=current)
            self._data[session_key(key)] = (text, expires)
            cached = json.dumps({"event": event_id, "replies": list(replies)})
            reply_expires = self._clock() + min(ttl_seconds, REPLY_CACHE_SECONDS)
            self._data[replies_key(key)] = (cached, reply_expires)
            return self._claim(key, claim, expires, resent=False)

    def _claim(
        self, key: SessionKey, claim: NoteClaim | None, expires: float, *, resent: bool
    ) -> CommitOutcome:
        """The claim part of an applied commit: the Redis script's twin, line for line."""
        note = self._get(ref_key(key))
        if claim is None:
            return CommitOutcome(status=Commit.APPLIED, note=note)
        n = _parsed(note)
        was = _message(n) if n is not None else None
        before = json.dumps(was) if was else None
        if n is not None and n.get("stamp") == claim.stamp:
            other = _text(n.get("claim"))
            if not other:
                return CommitOutcome(status=Commit.APPLIED, note=note)
            if resent and other == claim.nonce:
                return CommitOutcome(status=Commit.APPLIED, note=before, claim=note)
            at = n.get("at")
            since = at if isinstance(at, int | float) and not isinstance(at, bool) else 0
            age = int(self._clock()) - since  # whole seconds, as Redis TIME
            if other not in claim.orphans and age <= CLAIM_TAKEOVER_SECONDS:
                return CommitOutcome(status=Commit.APPLIED, note=note)
        new: dict[str, Any] = {"stamp": claim.stamp, "id": "", "prompt": claim.prompt}
        new.update(claim=claim.nonce, at=int(self._clock()))
        if was:
            new["was"] = was
        written = json.dumps(new)
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

    async def replace_ref(
        self, key: SessionKey, *, expected: str, value: str | None, ttl_seconds: int
    ) -> bool:
        async with self._lock:
            if self._get(ref_key(key)) != expected:
                return False
            if not value:  # as the script: nothing to write removes the note
                self._data.pop(ref_key(key), None)
            else:
                self._data[ref_key(key)] = (value, self._clock() + ttl_seconds)
            return True

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def ttl(self, name: str) -> float | None:
        """Seconds left for a key (for tests of the TTL contract)."""
        item = self._data.get(name)
        return None if item is None else item[1] - self._clock()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> float:
    """A stored field as the script's `tonumber(...) or 0` reads it."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return 0
    return 0


def _parsed(raw: str | None) -> dict[str, Any] | None:
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _message(note: dict[str, Any]) -> dict[str, str] | None:
    """The message a note says is on screen: its own, or for a claim the one it replaced."""
    source = note.get("was") if _text(note.get("claim")) is not None else note
    if not isinstance(source, dict) or not _text(source.get("stamp")):
        return None
    fields = {k: _text(source.get(k)) for k in ("stamp", "id", "prompt")}
    return {k: v for k, v in fields.items() if v is not None}
