"""The memory store mirrors the Redis commit script: the same notes, claims and documents give
the same outcomes on both (a differential test over crafted inputs, public API only)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from dialogs.stores.base import CommitOutcome, NoteClaim, SessionStore
from dialogs.stores.memory import MemoryStore
from dialogs.stores.redis_store import RedisStore, create_redis_client
from tests.conftest import unique_key

RECORDED = {"stamp": "q2", "id": "m2", "prompt": "P2"}
WAS = {"stamp": "q1", "id": "m1", "prompt": "P1"}


def notes() -> list[str | None]:
    """Notes as the stores write them, and as corrupt data could leave them."""
    old, new = int(time.time()) - 1000, int(time.time())
    out: list[str | None] = [None, "not json", "[]", "null", "5", '"x"', "{}"]
    out += [
        json.dumps(n)
        for n in (
            RECORDED,
            {"stamp": "q2", "prompt": "P2"},
            {"stamp": "q2", "id": 7, "prompt": "P2"},
            {"stamp": "q2", "id": "", "prompt": "P2"},
            {"stamp": 2, "id": "m", "prompt": "P"},
            {"stamp": "", "id": "m", "prompt": "P"},
            {**RECORDED, "claim": ""},
            {**RECORDED, "claim": 5},
            {**RECORDED, "claim": None},
        )
    ]
    for nonce, at, was in itertools.product(
        ["A", "B", "a,b"],
        [old, new, str(old), True, None, "missing"],
        [WAS, None, "str", [], {"stamp": 1}, {"stamp": "q1"}],
    ):
        claim: dict[str, Any] = {"stamp": "q2", "id": "", "prompt": "P2", "claim": nonce}
        if at != "missing":
            claim["at"] = at
        if was is not None:
            claim["was"] = was
        out.append(json.dumps(claim))
    return out


CLAIMS = [
    None,
    NoteClaim(stamp="q2", prompt="P2", nonce="N"),
    NoteClaim(stamp="q2", prompt="P2", nonce="N", orphans=("A",)),
    NoteClaim(stamp="q2", prompt="P2", nonce="N", orphans=("a", "b")),
    NoteClaim(stamp="q2", prompt="P2", nonce="A"),
    NoteClaim(stamp="q3", prompt="P3", nonce="N", orphans=("A",)),
]


def plain(raw: str | None) -> Any:
    """A note compared by content (the script writes JSON with cjson, the memory store with
    the json module), its time left out."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return ("raw", raw)
    if isinstance(data, dict) and "claim" in data and "at" in data:
        data = {**data, "at": "<time>"}
    return data


def outcome(result: CommitOutcome, after: str | None) -> tuple[Any, ...]:
    return (result.status, plain(result.note), plain(result.claim), result.current, plain(after))


@pytest.fixture
async def stores(redis_url: str) -> AsyncIterator[tuple[SessionStore, SessionStore]]:
    redis = RedisStore(client=create_redis_client(redis_url, timeout_seconds=2.0))
    yield redis, MemoryStore(clock=time.time)  # the memory store on Redis's clock
    await redis.close()


async def claim_on(
    store: SessionStore, note: str | None, claim: NoteClaim | None, *, resend: bool
) -> tuple[Any, ...]:
    key = unique_key()
    document = {"version": 1, "seen": ["e1"], "commit": "A"}
    if resend:  # the same commit again, as redis-py sends it after a lost reply
        await store.commit(
            key, expected_version=0, document=document, event_id="e1", replies=[], ttl_seconds=600
        )
    if note is not None:
        await store.put_ref(key, note, 600)
    result = await store.commit(
        key,
        expected_version=0,
        document=document,
        event_id="e1",
        replies=[],
        ttl_seconds=600,
        claim=claim,
    )
    return outcome(result, await store.get_ref(key))


@pytest.mark.parametrize("resend", [False, True], ids=["first", "resent"])
async def test_claims_agree(stores: tuple[SessionStore, SessionStore], resend: bool) -> None:
    redis, memory = stores
    differ = []
    for note, claim in itertools.product(notes(), CLAIMS):
        on_redis = await claim_on(redis, note, claim, resend=resend)
        on_memory = await claim_on(memory, note, claim, resend=resend)
        if on_redis != on_memory:
            differ.append((note, claim, on_redis, on_memory))
    assert differ == [], "\n".join(map(str, differ[:5]))


async def test_version_and_nonce_checks_agree(
    stores: tuple[SessionStore, SessionStore],
) -> None:
    """Stored documents of every shape the runner writes (and some it never does), against
    each expected version and commit nonce."""
    documents = [
        {"version": 1, "commit": "A"},
        {"version": 1},
        {"version": 1, "commit": 5},
        {"version": 1, "commit": ""},
        {"version": "1", "commit": "A"},
        {"version": 1.5, "commit": "A"},
        {"version": True, "commit": "A"},
        {"version": None, "commit": "A"},
        {"version": 1, "commit": "A", "seen": ["e2"]},
    ]
    differ = []
    for stored, version, nonce in itertools.product(documents, [0, 1], ["", "A", "B"]):
        results = []
        for store in stores:
            key = unique_key()
            # Stored through the store itself, as a commit over nothing.
            await store.commit(
                key, expected_version=0, document=stored, event_id="e0", replies=[], ttl_seconds=600
            )
            result = await store.commit(
                key,
                expected_version=version,
                document={"version": version + 1, "seen": ["e2"], "commit": "NEW"},
                event_id="e2",
                replies=[],
                ttl_seconds=600,
                expected_commit=nonce,
            )
            results.append(outcome(result, await store.get_ref(key)))
        if results[0] != results[1]:
            differ.append((stored, version, nonce, *results))
    assert differ == [], "\n".join(map(str, differ[:5]))
