"""The SessionStore contract's Redis-only part, on every topology (a single server, a Cluster, a
Sentinel-managed primary): a TTL on every written key, one hash tag per conversation, and the
stored document being plain JSON. Fixtures: store_subjects.py."""

from __future__ import annotations

import json

from redis.crc import key_slot

from dialogs.stores.base import (
    hash_tag,
    session_key,
)
from dialogs.stores.redis_store import RedisClient
from dialogs.turn import SessionKey
from tests.conftest import unique_key
from tests.dialogs.stores.store_subjects import (
    TTL,
    RedisUnderTest,
    cluster_hash_part,
    commit,
    document,
    redis_subject,
    subject,
)

pytest_plugins = ["tests.support.redis_topologies"]
__all__ = ["redis_subject", "subject"]  # the parametrized store fixtures, used here by name


# ------------------------------------------------------------------------------ Redis only


async def written_keys(raw: RedisClient, key: SessionKey) -> set[str]:
    """Every key in Redis that carries this session's hash tag (the store must write no other);
    on a Cluster, redis-py's scan_iter visits every primary."""
    pattern = "*" + hash_tag(key).replace("[", "\\[").replace("*", "\\*").replace("?", "\\?") + "*"
    return {name async for name in raw.scan_iter(match=pattern, count=1000)}


async def test_redis_every_written_key_has_a_ttl(redis_subject: RedisUnderTest) -> None:
    """Nothing the Redis store writes lives forever: each key has 0 < TTL <= the TTL given."""
    redis_store, raw_redis = redis_subject.store, redis_subject.raw
    key = unique_key()
    await commit(redis_store, key, expected=0, doc=document(1, seen=("e1",)), event_id="e1")
    await commit(redis_store, key, expected=1, doc=document(2, seen=("e1", "e2")), event_id="e2")
    names = await written_keys(raw_redis, key)
    assert names == {session_key(key)}
    for name in names:
        left = await raw_redis.ttl(name)
        assert 0 < left <= TTL, (name, left)


async def test_redis_keys_of_one_conversation_share_one_hash_tag(
    redis_subject: RedisUnderTest,
) -> None:
    """Platform, workspace and conversation sit inside one {hash tag}: every key of a
    conversation (any thread, any user) lands in one Cluster slot."""
    redis_store, raw_redis = redis_subject.store, redis_subject.raw
    key = unique_key()
    other_user = SessionKey(
        platform=key.platform,
        workspace=key.workspace,
        conversation=key.conversation,
        thread="1700000000.000100",
        user="u2",
    )
    tag = hash_tag(key)
    assert tag == "{" + f"{key.platform}:{key.workspace}:{key.conversation}" + "}"
    names = [session_key(k) for k in (key, other_user)]
    assert all(cluster_hash_part(n) == tag[1:-1] for n in names), names
    assert len({key_slot(n.encode()) for n in names}) == 1
    await commit(redis_store, key, expected=0, doc=document(1, seen=("e1",)), event_id="e1")
    assert await written_keys(raw_redis, key) == {session_key(key)}


async def test_redis_document_is_plain_json(redis_subject: RedisUnderTest) -> None:
    """The stored session is a JSON object anyone can read (never pickle), with its schema
    version, the flow it started on, where it is, the answers, the history and the version."""
    redis_store, raw_redis = redis_subject.store, redis_subject.raw
    key = unique_key()
    doc = document(1, seen=("e1",), answers={"q1": "a"})
    await commit(redis_store, key, expected=0, doc=doc, event_id="e1")
    raw = await raw_redis.get(session_key(key))
    assert raw is not None
    stored = json.loads(raw)
    assert isinstance(stored, dict)
    for field in ("schema", "flow", "flow_version", "current", "answers", "history", "version"):
        assert field in stored, field
    assert stored["schema"] == 1
    assert stored["answers"] == {"q1": "a"}
    assert stored["version"] == 1
