"""The SessionStore contract, run against every store: the MemoryStore and Redis as users run
it (a single server, a three-master Cluster, a Sentinel-managed primary with a replica).

One suite, parametrized over the stores, so the in-memory store used locally cannot drift from
the Redis store used in production, on any topology. Each topology is started once per test
session (tests/support/redis_topologies.py) on free loopback ports with the real redis-server.
The Redis-only tests, on every topology (TTLs on every key, the Cluster hash tag, the stored
document being plain JSON), are in test_store_contract_redis.py; the stores under test, as
fixtures, in store_subjects.py.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from dialogs.stores.base import (
    Commit,
    CommitOutcome,
    claim_key,
    hash_tag,
    session_key,
)
from dialogs.turn import SessionKey
from tests.conftest import unique_key
from tests.dialogs.stores.store_subjects import (
    TTL,
    StoreUnderTest,
    cluster_hash_part,
    commit,
    commit_with,
    document,
    subject,
)

pytest_plugins = ["tests.support.redis_topologies"]
__all__ = ["subject"]  # the parametrized store fixture, used here by name


# ------------------------------------------------------------------------------ both stores


async def test_load_of_unknown_key_is_none(subject: StoreUnderTest) -> None:
    """A session nobody started does not exist; loading it is not an error."""
    assert await subject.store.load(unique_key()) is None


async def test_first_commit_with_expected_version_zero_applies(subject: StoreUnderTest) -> None:
    """Version 0 means "no session yet": the first commit creates it, exactly as given."""
    key = unique_key()
    doc = document(1, seen=("e1",))
    assert await commit(subject.store, key, expected=0, doc=doc, event_id="e1") is Commit.APPLIED
    assert await subject.store.load(key) == doc


async def test_commit_expecting_a_session_that_does_not_exist_conflicts(
    subject: StoreUnderTest,
) -> None:
    """A writer that believes version 1 exists must not create a session from nothing."""
    key = unique_key()
    outcome = await commit(
        subject.store, key, expected=1, doc=document(2, seen=("e1",)), event_id="e1"
    )
    assert outcome is Commit.CONFLICT
    assert await subject.store.load(key) is None


async def test_a_conflict_carries_the_stored_document(subject: StoreUnderTest) -> None:
    """The loser of a race gets the stored document with its answer, so it can step again
    without another read (None when there is no session, e.g. after `forget`)."""
    key = unique_key()
    first = document(1, seen=("e1",), answers={"q1": "a"})
    await commit(subject.store, key, expected=0, doc=first, event_id="e1")
    lost = await commit_with(
        subject.store, key, expected=0, doc=document(1, seen=("e2",)), event_id="e2"
    )
    assert lost == CommitOutcome(status=Commit.CONFLICT, current=first)
    gone = unique_key()
    lost = await commit_with(
        subject.store, gone, expected=3, doc=document(4, seen=("e3",)), event_id="e3"
    )
    assert lost == CommitOutcome(status=Commit.CONFLICT, current=None)


async def test_a_copy_of_an_older_session_of_the_same_version_conflicts(
    subject: StoreUnderTest,
) -> None:
    """After `forget` versions start again at 1: a commit that names the "commit" nonce of
    the document it read conflicts with a different document of the same version."""
    key = unique_key()
    old = {**document(1, seen=("e1",)), "commit": "n-old"}
    await commit(subject.store, key, expected=0, doc=old, event_id="e1")
    await subject.store.forget(platform=key.platform, workspace=key.workspace, user=key.user)
    new = {**document(1, seen=("e2",)), "commit": "n-new"}
    await commit(subject.store, key, expected=0, doc=new, event_id="e2")
    after = {**document(2, seen=("e2", "e3")), "commit": "n-next"}
    stale = await commit_with(
        subject.store, key, expected=1, doc=after, event_id="e3", expected_commit="n-old"
    )
    assert stale.status is Commit.CONFLICT and stale.current == new
    fresh = await commit_with(
        subject.store, key, expected=1, doc=after, event_id="e3", expected_commit="n-new"
    )
    assert fresh.status is Commit.APPLIED


async def test_stale_expected_version_conflicts_and_changes_nothing(
    subject: StoreUnderTest,
) -> None:
    """Compare-and-set: a writer that read version 0 loses to the one that already wrote 1."""
    key = unique_key()
    first = document(1, seen=("e1",), answers={"q1": "a"})
    assert await commit(subject.store, key, expected=0, doc=first, event_id="e1") is Commit.APPLIED
    loser = document(1, seen=("e2",), answers={"q1": "b"})
    assert await commit(subject.store, key, expected=0, doc=loser, event_id="e2") is Commit.CONFLICT
    assert await subject.store.load(key) == first


async def test_next_commit_with_current_version_applies(subject: StoreUnderTest) -> None:
    """The writer holding the current version advances the session."""
    key = unique_key()
    await commit(subject.store, key, expected=0, doc=document(1, seen=("e1",)), event_id="e1")
    second = document(2, seen=("e1", "e2"), answers={"q1": "a"})
    assert await commit(subject.store, key, expected=1, doc=second, event_id="e2") is Commit.APPLIED
    assert await subject.store.load(key) == second


@pytest.mark.parametrize("expected", [1, 0], ids=["current-version", "stale-version"])
async def test_event_already_seen_is_duplicate(subject: StoreUnderTest, expected: int) -> None:
    """A redelivered event (its id is in the stored "seen" list) is refused as a duplicate,
    whether the redelivery read the current version or an older one, and changes nothing."""
    key = unique_key()
    stored = document(1, seen=("e1",), answers={"q1": "a"})
    await commit(subject.store, key, expected=0, doc=stored, event_id="e1")
    again = document(expected + 1, seen=("e1",), answers={"q1": "a", "q2": "b"})
    assert (
        await commit(subject.store, key, expected=expected, doc=again, event_id="e1")
        is Commit.DUPLICATE
    )
    assert await subject.store.load(key) == stored


async def test_identical_resend_is_applied_once(subject: StoreUnderTest) -> None:
    """The lost-reply retry: the same commit sent again (same document, same event) answers
    APPLIED, because the first one did apply, and it does not change the session a second time."""
    key = unique_key()
    await commit(subject.store, key, expected=0, doc=document(1, seen=("e1",)), event_id="e1")
    doc = document(2, seen=("e1", "e2"), answers={"q1": "a"})
    assert await commit(subject.store, key, expected=1, doc=doc, event_id="e2") is Commit.APPLIED
    assert await commit(subject.store, key, expected=1, doc=doc, event_id="e2") is Commit.APPLIED
    stored = await subject.store.load(key)
    assert stored == doc
    assert stored is not None and stored["version"] == 2


async def test_every_key_written_has_the_ttl(subject: StoreUnderTest) -> None:
    """A session's key expires: 0 < TTL <= the TTL given, refreshed on each commit."""
    key = unique_key()
    await commit(
        subject.store, key, expected=0, doc=document(1, seen=("e1",)), event_id="e1", ttl=60
    )
    for name in (session_key(key),):
        left = await subject.ttl(name)
        assert left is not None and 0 < left <= 60, (name, left)
    await commit(subject.store, key, expected=1, doc=document(2, seen=("e1", "e2")), event_id="e2")
    for name in (session_key(key),):
        left = await subject.ttl(name)
        assert left is not None and 60 < left <= TTL, (name, left)


def forging_pairs() -> list[tuple[SessionKey, SessionKey]]:
    """Pairs of different sessions whose ids would give the same key if joined naively."""
    run = uuid.uuid4().hex[:8]

    def key(workspace: str, conversation: str, thread: str = "", user: str = "u") -> SessionKey:
        return SessionKey(
            platform="forge",
            workspace=f"{run}{workspace}",
            conversation=conversation,
            thread=thread,
            user=user,
        )

    return [
        (key("W:C", "x"), key("W", "C:x")),
        (key("W", "C", thread="t:u"), key("W", "C:t", user="u")),
        (key("W", "C", thread="a", user="b:c"), key("W", "C", thread="a:b", user="c")),
        (key("W", "C}:{D"), key("W", "C")),
        (key("W", "{C}"), key("W", "C")),
        (key("W", "C", user="u}{x"), key("W", "C", user="u")),
        (key("W%3AC", "x"), key("W:C", "x")),
        (key("W", "C%7D"), key("W", "C}")),
    ]


@pytest.mark.parametrize("pair", forging_pairs(), ids=lambda p: f"{p[0]}|{p[1]}")
async def test_ids_with_separators_cannot_forge_another_sessions_key(
    subject: StoreUnderTest, pair: tuple[SessionKey, SessionKey]
) -> None:
    """Ids containing ':', '{', '}' or '%' get their own keys: writing one session never
    touches the other, and the hash tag stays the single escaped platform:workspace:conversation."""
    mine, theirs = pair
    assert session_key(mine) != session_key(theirs)
    for k in (mine, theirs):
        name = session_key(k)
        assert name.count("{") == 1 and name.count("}") == 1, name
        assert cluster_hash_part(name) == hash_tag(k)[1:-1]
    # Another pair may have written `theirs` as its own `mine` on the same server: clear it.
    await subject.store.forget(
        platform=theirs.platform, workspace=theirs.workspace, user=theirs.user
    )
    await subject.store.forget(platform=mine.platform, workspace=mine.workspace, user=mine.user)
    await commit(subject.store, mine, expected=0, doc=document(1, seen=("e1",)), event_id="e1")
    assert await subject.store.load(theirs) is None


def with_screen(doc: dict[str, Any], stamp: str, message_id: str = "") -> dict[str, Any]:
    return {**doc, "screen": {"stamp": stamp, "id": message_id, "prompt": "Where?", "at": 1.5}}


async def test_record_writes_the_message_id_of_the_claimed_question(
    subject: StoreUnderTest,
) -> None:
    """Only into a screen that names that question with no message yet; version unchanged."""
    key = unique_key()
    doc = with_screen(document(1, seen=("e1",)), "s.1")
    await commit(subject.store, key, expected=0, doc=doc, event_id="e1")
    assert not await subject.store.record(key, stamp="s.2", message_id="m2")
    assert await subject.store.record(key, stamp="s.1", message_id="m1")
    assert not await subject.store.record(key, stamp="s.1", message_id="m9")
    stored = await subject.store.load(key)
    assert stored is not None and stored["screen"]["id"] == "m1" and stored["version"] == 1
    assert not await subject.store.record(unique_key(), stamp="s.1", message_id="m1")


async def test_a_commit_from_a_copy_read_before_the_record_keeps_the_message_id(
    subject: StoreUnderTest,
) -> None:
    key = unique_key()
    await commit(
        subject.store,
        key,
        expected=0,
        doc=with_screen(document(1, seen=("e1",)), "s.1"),
        event_id="e1",
    )
    await subject.store.record(key, stamp="s.1", message_id="m1")
    same = with_screen(document(2, seen=("e1", "e2")), "s.1")
    assert await commit(subject.store, key, expected=1, doc=same, event_id="e2") is Commit.APPLIED
    stored = await subject.store.load(key)
    assert stored is not None and stored["screen"]["id"] == "m1" and stored["version"] == 2
    moved = with_screen(document(3, seen=("e1", "e2", "e3")), "s.2")
    assert await commit(subject.store, key, expected=2, doc=moved, event_id="e3") is Commit.APPLIED
    stored = await subject.store.load(key)
    assert stored is not None and stored["screen"] == moved["screen"]


async def test_a_claim_is_granted_once_until_it_expires(subject: StoreUnderTest) -> None:
    """`claim` is SET NX with a TTL: the first claim of a name wins, the rest (and claims of the
    same name at once) lose; other names and other people's keys are separate."""
    key = unique_key()
    name = "cmd:trig-" + uuid.uuid4().hex
    results = [await subject.store.claim(key, name, ttl_seconds=60) for _ in range(3)]
    assert results == [True, False, False]
    assert await subject.store.claim(key, name + "x", ttl_seconds=60)
    other = SessionKey(
        platform=key.platform,
        workspace=key.workspace,
        conversation=key.conversation,
        user="someone-else",
    )
    assert await subject.store.claim(other, name, ttl_seconds=60)
    ttl = await subject.ttl(claim_key(key, name))
    assert ttl is not None and 0 < ttl <= 60


async def test_claims_at_once_grant_one(subject: StoreUnderTest) -> None:
    key = unique_key()
    outcomes = await asyncio.gather(
        *(subject.store.claim(key, "same", ttl_seconds=60) for _ in range(8))
    )
    assert outcomes.count(True) == 1


# ------------------------------------------------------------------------------ data rights


def in_conversation(key: SessionKey, conversation: str, user: str) -> SessionKey:
    return SessionKey(
        platform=key.platform,
        workspace=key.workspace,
        conversation=conversation,
        thread="",
        user=user,
    )


async def test_forget_workspace_deletes_every_key_of_that_workspace_only(
    subject: StoreUnderTest,
) -> None:
    """Uninstall: every session and claim of the workspace goes, over many conversations (hence
    slots); a workspace whose id extends this one's, or with ids a glob would read, stays."""
    base = unique_key(platform="slack")
    keys = [in_conversation(base, f"C{i}", f"U{i % 3}") for i in range(12)]
    for i, k in enumerate(keys):
        await commit(subject.store, k, expected=0, doc=document(1, seen=(f"e{i}",)), event_id="x")
    await subject.store.claim(keys[0], "cmd:t", ttl_seconds=60)
    longer = SessionKey(
        platform="slack", workspace=base.workspace + "*", conversation="C0", user="U0"
    )
    other_platform = SessionKey(
        platform="teams", workspace=base.workspace, conversation="C0", user="U0"
    )
    for k in (longer, other_platform):
        await commit(subject.store, k, expected=0, doc=document(1, seen=("e",)), event_id="y")

    gone = await subject.store.forget_workspace(platform="slack", workspace=base.workspace)

    assert gone == 12
    assert all([await subject.store.load(k) is None for k in keys])
    assert await subject.ttl(claim_key(keys[0], "cmd:t")) is None
    assert await subject.store.claim(keys[0], "cmd:t", ttl_seconds=60)
    assert await subject.store.load(longer) is not None
    assert await subject.store.load(other_platform) is not None
    assert await subject.store.forget_workspace(platform="slack", workspace="T-none") == 0


async def test_sessions_of_returns_that_persons_documents_only(subject: StoreUnderTest) -> None:
    """Export: each of the person's sessions in the workspace, as stored; nobody else's."""
    base = unique_key(platform="slack", user="U1")
    mine = [in_conversation(base, f"C{i}", "U1") for i in range(5)]
    theirs = in_conversation(base, "C0", "U10")
    for i, k in enumerate(mine):
        doc = document(1, seen=(f"e{i}",), answers={"q1": f"answer {i}"})
        await commit(subject.store, k, expected=0, doc=doc, event_id="x")
    await commit(subject.store, theirs, expected=0, doc=document(1, seen=("t",)), event_id="x")
    await subject.store.claim(mine[0], "cmd:t", ttl_seconds=60)

    found = await subject.store.sessions_of(platform="slack", workspace=base.workspace, user="U1")

    assert sorted(d["answers"]["q1"] for d in found) == [f"answer {i}" for i in range(5)]
    assert all(d["seen"] != ["t"] for d in found)
    none = await subject.store.sessions_of(platform="slack", workspace=base.workspace, user="U9")
    assert none == []
