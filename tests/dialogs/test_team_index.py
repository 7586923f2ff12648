"""Whether a workspace has teams (dialogs.team_index.ActiveTeams), as two processes see it: "no
teams" is trusted for QUIET_SECONDS (no read meanwhile), a marker written by another process is
seen once that time is over, and a member's first team question waits for it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from dialogs.stores.base import SessionStore
from dialogs.team_index import CLOCK_SKEW_SECONDS, QUIET_SECONDS, ActiveTeams


class Clock:
    """A process's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_no_teams_is_trusted_for_a_while_then_looked_up_again(store: SessionStore) -> None:
    workspace = "T" + uuid.uuid4().hex[:8]
    clock_a, clock_b = Clock(), Clock()
    a = ActiveTeams(store=store, ttl_seconds=600, clock=clock_a)
    b = ActiveTeams(store=store, ttl_seconds=600, clock=clock_b)
    assert not await b.any("slack", workspace)
    await a.mark("slack", workspace, event_id="start-1")
    assert await a.any("slack", workspace)  # the process that marked it knows at once
    clock_b.now += QUIET_SECONDS / 2
    assert not await b.any("slack", workspace)  # not read again yet
    clock_b.now += QUIET_SECONDS
    assert await b.any("slack", workspace)
    assert not await b.any("slack", "T-other-" + workspace)  # per workspace
    await a.mark("slack", workspace, event_id="start-2")  # a second team renews it
    assert await ActiveTeams(store=store, ttl_seconds=600).any("slack", workspace)


def test_a_first_question_waits_until_every_process_looks_again() -> None:
    now = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    most = QUIET_SECONDS + CLOCK_SKEW_SECONDS
    assert ActiveTeams.wait(now.isoformat(), now) == most
    half = (now - timedelta(seconds=QUIET_SECONDS / 2)).isoformat()
    assert abs(ActiveTeams.wait(half, now) - (most - QUIET_SECONDS / 2)) < 1e-6
    assert ActiveTeams.wait((now - timedelta(minutes=1)).isoformat(), now) == 0.0
    assert ActiveTeams.wait((now + timedelta(hours=1)).isoformat(), now) == most  # bounded
    assert ActiveTeams.wait("not a time", now) == 0.0
