"""A redelivered summary turn gets the same (large) replies back from Redis, stored compactly."""

from __future__ import annotations

from bot.check import sample_replies
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow
from dialogs.stores.base import replies_key
from dialogs.stores.redis_store import RedisStore
from dialogs.turn import Summary, reply_from_dict, reply_to_dict
from tests.conftest import unique_key


async def test_summary_replies_round_trip_and_are_stored_deflated(
    redis_store: RedisStore, raw_redis: object, flow: Flow, costs: CostAssumptions
) -> None:
    summary = next(r for r in sample_replies(flow, costs) if isinstance(r, Summary))
    key = unique_key()
    payload = [reply_to_dict(summary)]
    outcome = await redis_store.commit(
        key,
        expected_version=0,
        document={"version": 1, "seen": ["e1"]},
        event_id="e1",
        replies=payload,
        ttl_seconds=3600,
    )
    assert outcome.status.value == "applied"
    cached = await redis_store.cached_replies(key, "e1")
    assert cached is not None and reply_from_dict(cached[0]) == summary
    stored = await raw_redis.get(replies_key(key))  # type: ignore[attr-defined]
    assert stored.startswith("z:") and len(stored) < 4000
    assert 0 < await raw_redis.ttl(replies_key(key)) <= 900  # type: ignore[attr-defined]
