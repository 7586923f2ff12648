"""The small documents beside a team (dialogs.team_docs): a change is committed with the next
version, retried on a conflict so concurrent writers all land, and left alone when the change
says so; on the in-memory store and on Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from dialogs.stores.base import SessionStore
from dialogs.team_docs import Document, change_document, load_document
from dialogs.turn import SessionKey


def a_key() -> SessionKey:
    return SessionKey(
        platform="teams", workspace="T1", conversation=uuid.uuid4().hex, thread="doc", user=""
    )


Change = Callable[[Document | None], Document | None]


def adding(name: str) -> Change:
    def change(doc: Document | None) -> Document:
        return {"kind": "test", "names": [*(doc or {}).get("names", []), name], "seen": []}

    return change


async def commit(store: SessionStore, key: SessionKey, change: Change, event_id: str) -> None:
    await change_document(
        store, key, change, event_id=event_id, ttl_seconds=60, timeout_seconds=5.0, attempts=16
    )


async def test_concurrent_changes_all_land(store: SessionStore) -> None:
    key = a_key()
    names = [f"n{i}" for i in range(8)]
    await asyncio.gather(*(commit(store, key, adding(n), f"e-{n}") for n in names))
    doc = await load_document(store, key, timeout_seconds=5.0)
    assert doc is not None
    assert sorted(doc["names"]) == names
    assert doc["version"] == len(names)


async def test_a_change_of_none_leaves_the_document(store: SessionStore) -> None:
    key = a_key()
    await commit(store, key, adding("a"), "e1")
    await commit(store, key, lambda doc: None, "e2")
    doc = await load_document(store, key, timeout_seconds=5.0)
    assert doc is not None
    assert (doc["names"], doc["version"]) == (["a"], 1)
