"""The team document on every store (memory and the Redis topologies): compare-and-set through
the sessions' commit script, redelivered changes applied once, one reveal however many members
finish at once, a TTL, and one Cluster slot with the members' team sessions."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.crc import key_slot

from dialogs.stores.base import session_key, team_key
from dialogs.team_session import (
    Role,
    Team,
    TeamBook,
    TeamRef,
    finish,
    join,
    reveal,
)
from tests.dialogs.stores.store_subjects import TTL, StoreUnderTest, subject

pytest_plugins = ["tests.support.redis_topologies"]
__all__ = ["subject"]  # the contract's parametrized store fixture, used here by name


def new_ref() -> TeamRef:
    return TeamRef(
        platform="test",
        workspace="T-" + uuid.uuid4().hex[:8],
        conversation="C-" + uuid.uuid4().hex[:8],
        thread="1700000000.000100",
    )


def started(title: str = "Support bot") -> Team:
    return Team(title=title, facilitator="UFAC", created_at="2026-12-04T00:00:00+00:00")


async def test_team_is_created_once_and_read_back(subject: StoreUnderTest) -> None:
    book = TeamBook(store=subject.store, ttl_seconds=TTL)
    ref = new_ref()
    first = await book.change(ref, "cmd:1", lambda t: t or started())
    again = await book.change(ref, "cmd:1", lambda t: started("other"))
    assert first.changed and first.before is None
    assert again.duplicate and not again.changed
    stored = await book.load(ref)
    assert stored is not None and stored.title == "Support bot" and stored.version == 1
    seconds = await subject.ttl(team_key(ref.key))
    assert seconds is not None and 0 < seconds <= TTL


async def test_a_redelivered_join_acts_once(subject: StoreUnderTest) -> None:
    book = TeamBook(store=subject.store, ttl_seconds=TTL)
    ref = new_ref()
    await book.change(ref, "cmd:1", lambda t: t or started())

    def joining(team: Team | None) -> Team | None:
        return join(team, "U1", Role.MEMBER) if team else None

    changes = await asyncio.gather(*(book.change(ref, "act:join-1", joining) for _ in range(5)))
    assert sum(c.changed for c in changes) == 1
    stored = await book.load(ref)
    assert stored is not None and [s.user for s in stored.seats] == ["U1"]
    assert stored.version == 2


async def test_many_members_finishing_at_once_lose_nothing_and_reveal_once(
    subject: StoreUnderTest,
) -> None:
    book = TeamBook(store=subject.store, ttl_seconds=TTL, max_attempts=64)
    ref = new_ref()
    users = [f"U{i:02d}" for i in range(25)]
    team = started()
    for user in users:
        team = join(team, user, Role.MEMBER)
    team = join(team, "UOBS", Role.OBSERVER)
    await book.change(ref, "cmd:1", lambda t: team)

    async def done(user: str) -> bool:
        answers = {"data_sensitivity": "public", "who": user}
        change = await book.change(
            ref, f"act:{user}", lambda t: finish(t, user, answers) if t else None
        )
        return change.revealed_now

    reveals = await asyncio.gather(*(done(u) for u in users))
    assert sum(reveals) == 1
    stored = await book.load(ref)
    assert stored is not None and stored.revealed
    assert len(stored.finished) == 25 and not stored.answering
    assert {s.user: dict(s.answers or {})["who"] for s in stored.finished} == {u: u for u in users}
    assert stored.version == 1 + 25
    # The facilitator's reveal after that is no change at all.
    late = await book.change(ref, "act:reveal", lambda t: reveal(t) if t else None)
    assert not late.changed and not late.revealed_now


@pytest.mark.parametrize("user", ["U1", "U:{x}"])
def test_the_team_and_its_members_share_one_slot(user: str) -> None:
    ref = new_ref()
    assert key_slot(team_key(ref.key).encode()) == key_slot(
        session_key(ref.member_key(user)).encode()
    )
    assert team_key(ref.key) != session_key(ref.member_key(user))
