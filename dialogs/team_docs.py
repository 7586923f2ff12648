"""The small documents kept beside a team (issue 14): a person's list of teams, a workspace's
marker, a team's roster of names. Each is read with a time limit and changed by compare-and-set
(`SessionStore.load_team` / `commit_team`), retried a bounded number of times on a conflict."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from dialogs.errors import StoreUnavailable
from dialogs.stores.base import Commit, SessionStore
from dialogs.turn import SessionKey

Document = dict[str, Any]


async def load_document(
    store: SessionStore, key: SessionKey, *, timeout_seconds: float
) -> Document | None:
    """The document at `key` (None when there is none)."""
    try:
        async with asyncio.timeout(timeout_seconds):
            return await store.load_team(key)
    except TimeoutError as exc:
        raise StoreUnavailable("the session store did not answer in time") from exc


async def change_document(
    store: SessionStore,
    key: SessionKey,
    change: Callable[[Document | None], Document | None],
    *,
    event_id: str,
    ttl_seconds: int,
    timeout_seconds: float,
    attempts: int,
) -> None:
    """Commit `change(current)` at `key` with the next version: read again and retried on a
    conflict, at most `attempts` times. `change` gives the new document without its version,
    or None to leave it as it is."""
    try:
        async with asyncio.timeout(timeout_seconds):
            doc = await store.load_team(key)
            for _ in range(attempts):
                new = change(doc)
                if new is None:
                    return
                version = int((doc or {}).get("version", 0) or 0)
                outcome = await store.commit_team(
                    key,
                    expected_version=version,
                    document={**new, "version": version + 1},
                    event_id=event_id,
                    ttl_seconds=ttl_seconds,
                )
                if outcome.status is not Commit.CONFLICT:
                    return
                doc = outcome.current
    except TimeoutError as exc:
        raise StoreUnavailable("the session store did not answer in time") from exc
