"""An in-memory session store for the terminal chat and tests; same contract as Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from dialogs.stores.base import (
    Commit,
    CommitOutcome,
    claim_key,
    is_persons_key,
    is_session_key,
    is_workspace_key,
    session_key,
    team_key,
)
from dialogs.turn import SessionKey


class MemoryStore:
    """Keeps JSON text (not live objects) so it behaves like a real store: no shared mutation.
    `commit` is the Redis commit script's twin, rule for rule."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
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
        stored = _parsed(raw)
        return stored if stored is not None else {"_unreadable": True}

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
        return await self._cas(
            session_key(key),
            expected_version=expected_version,
            document=document,
            event_id=event_id,
            ttl_seconds=ttl_seconds,
            expected_commit=expected_commit,
        )

    async def load_team(self, key: SessionKey) -> dict[str, Any] | None:
        raw = self._get(team_key(key))
        if raw is None:
            return None
        stored = _parsed(raw)
        return stored if stored is not None else {"_unreadable": True}

    async def commit_team(
        self,
        key: SessionKey,
        *,
        expected_version: int,
        document: Mapping[str, Any],
        event_id: str,
        ttl_seconds: int,
    ) -> CommitOutcome:
        return await self._cas(
            team_key(key),
            expected_version=expected_version,
            document=document,
            event_id=event_id,
            ttl_seconds=ttl_seconds,
            expected_commit="",
        )

    async def _cas(
        self,
        name: str,
        *,
        expected_version: int,
        document: Mapping[str, Any],
        event_id: str,
        ttl_seconds: int,
        expected_commit: str,
    ) -> CommitOutcome:
        async with self._lock:
            raw = self._get(name)
            text = json.dumps(document)
            expires = self._clock() + ttl_seconds
            if raw is not None and raw == text:  # the same commit sent again
                self._data[name] = (text, expires)
                return CommitOutcome(status=Commit.APPLIED)
            stored = _parsed(raw)
            current = stored if stored is not None or raw is None else {"_unreadable": True}
            seen = stored.get("seen") if stored is not None else None
            if isinstance(seen, list) and event_id in seen:
                return CommitOutcome(status=Commit.DUPLICATE)
            version = _number(stored.get("version")) if stored is not None else 0
            nonce = stored.get("commit") if stored is not None else None
            stale = expected_commit and nonce != expected_commit
            if version != expected_version or stale:
                return CommitOutcome(status=Commit.CONFLICT, current=current)
            recorded = _recorded(stored) if stored is not None else None
            mine = document.get("screen")
            same = isinstance(mine, Mapping) and recorded and mine.get("stamp") == recorded[0]
            if same and isinstance(mine, Mapping) and recorded and mine.get("id") == "":
                text = json.dumps({**document, "screen": {**mine, "id": recorded[1]}})
            self._data[name] = (text, expires)
            return CommitOutcome(status=Commit.APPLIED, recorded=recorded)

    async def record(self, key: SessionKey, *, stamp: str, message_id: str) -> bool:
        async with self._lock:
            name = session_key(key)
            stored = _parsed(self._get(name))
            screen = stored.get("screen") if stored is not None else None
            if stored is None or not isinstance(screen, dict):
                return False
            if screen.get("stamp") != stamp or screen.get("id") != "":
                return False
            screen["id"] = message_id
            self._data[name] = (json.dumps(stored), self._data[name][1])
            return True

    async def claim(self, key: SessionKey, name: str, *, ttl_seconds: int) -> bool:
        async with self._lock:
            target = claim_key(key, name)
            if self._get(target) is not None:
                return False
            self._data[target] = ("1", self._clock() + max(1, int(ttl_seconds)))
            return True

    async def forget(self, *, platform: str, workspace: str, user: str) -> int:
        names = [n for n in list(self._data) if is_persons_key(n, platform, workspace, user)]
        sessions = sum(1 for n in names if is_session_key(n))
        for name in names:
            del self._data[name]
        return sessions

    async def forget_workspace(self, *, platform: str, workspace: str) -> int:
        names = [n for n in list(self._data) if is_workspace_key(n, platform, workspace)]
        sessions = sum(1 for n in names if is_session_key(n))
        for name in names:
            del self._data[name]
        return sessions

    async def sessions_of(
        self, *, platform: str, workspace: str, user: str
    ) -> list[dict[str, Any]]:
        found = []
        for name in sorted(self._data):
            if is_session_key(name) and is_persons_key(name, platform, workspace, user):
                stored = _parsed(self._get(name))
                if stored is not None:
                    found.append(stored)
        return found

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def ttl(self, name: str) -> float | None:
        """Seconds left for a key (for tests of the TTL contract)."""
        item = self._data.get(name)
        return None if item is None else item[1] - self._clock()


def _recorded(stored: dict[str, Any]) -> tuple[str, str] | None:
    """The Redis script's `screen_of`: the stored question on screen and its recorded message."""
    screen = stored.get("screen")
    if not isinstance(screen, dict):
        return None
    stamp, message_id = screen.get("stamp"), screen.get("id")
    if isinstance(stamp, str) and isinstance(message_id, str) and message_id:
        return stamp, message_id
    return None


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
