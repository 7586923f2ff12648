"""Which team assessments a person answers in one conversation (their DM), so a typed answer can
go to the assessment whose question is the latest one asked there (issue 14).

A small document per person and conversation (dialogs.team_docs, thread "open-teams/<user>"):
one Redis read on each typed message in a DM, and nothing at all for people who never joined a
team.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dialogs.session import event_key
from dialogs.stores.base import SessionStore
from dialogs.team_docs import Document, change_document, load_document
from dialogs.team_session import TeamRef
from dialogs.turn import SessionKey

KEPT = 10  # the most recent teams remembered per person and conversation
ATTEMPTS = 8


@dataclass(frozen=True, kw_only=True)
class Joined:
    """A team the person answers in this conversation."""

    ref: TeamRef
    title: str


def _key(where: SessionKey, name: str) -> SessionKey:
    return replace(where, thread=f"{name}/{where.user}", user="")


def _joined(doc: dict[str, Any] | None) -> list[Joined]:
    out: list[Joined] = []
    for item in (doc or {}).get("teams", ()):
        try:
            ref = TeamRef(
                platform=str(item["platform"]),
                workspace=str(item["workspace"]),
                conversation=str(item["conversation"]),
                thread=str(item["thread"]),
            )
        except (KeyError, TypeError):
            continue
        out.append(Joined(ref=ref, title=str(item.get("title", ""))))
    return out


class TeamIndex:
    """Teams listed per conversation and person: `name` "open-teams" for the teams a person
    answers in their DM; "history" (and no person) for the teams started in a channel."""

    def __init__(
        self,
        *,
        store: SessionStore,
        ttl_seconds: int,
        name: str = "open-teams",
        timeout_seconds: float = 1.5,
    ):
        self.store = store
        self.name = name
        self.ttl_seconds = ttl_seconds
        self.timeout_seconds = timeout_seconds

    async def teams(self, where: SessionKey) -> list[Joined]:
        """The teams `where.user` answers in `where`'s conversation, newest first."""
        key = _key(where, self.name)
        return _joined(await load_document(self.store, key, timeout_seconds=self.timeout_seconds))

    async def add(self, where: SessionKey, joined: Joined, *, event_id: str) -> None:
        def change(doc: Document | None) -> Document:
            known = [j for j in _joined(doc) if j.ref != joined.ref]
            teams = [joined, *known][:KEPT]
            return {
                "kind": f"team-index/{self.name}",
                "teams": [{**vars(j.ref), "title": j.title} for j in teams],
                "seen": [event_key(event_id)],
            }

        await change_document(
            self.store,
            _key(where, self.name),
            change,
            event_id=event_key(event_id),
            ttl_seconds=self.ttl_seconds,
            timeout_seconds=self.timeout_seconds,
            attempts=ATTEMPTS,
        )


# A workspace's processes learn that it has team assessments from a marker written when a team
# starts, before its card is posted. A process that found no marker trusts that for at most
# QUIET_SECONDS; a member's first team question is never posted sooner than that after their
# team started (see `ActiveTeams.wait`), so no process can still believe the workspace has no
# teams when a typed answer to one arrives. Clocks of different hosts may differ a little.
QUIET_SECONDS = 3.0
CLOCK_SKEW_SECONDS = 0.5
QUIET_KEPT = 10_000
# A marker found is trusted this long (it lives for weeks; being wrong costs only a read).
ACTIVE_SECONDS = 300.0


class ActiveTeams:
    """Whether a workspace has team assessments, so that typed messages in a DM look up the
    person's teams (one small read) only in workspaces that have any: elsewhere a typed DM
    costs one read of the marker every QUIET_SECONDS per process, not one per message."""

    def __init__(
        self,
        *,
        store: SessionStore,
        ttl_seconds: int,
        timeout_seconds: float = 1.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds
        self.timeout_seconds = timeout_seconds
        self.clock = clock
        # Workspaces looked up -> whether they have a marker, and when (this process's clock).
        # Bounded; the oldest are forgotten first.
        self._known: dict[tuple[str, str], tuple[bool, float]] = {}

    @staticmethod
    def _key(platform: str, workspace: str) -> SessionKey:
        return SessionKey(
            platform=platform, workspace=workspace, conversation="", thread="teams", user=""
        )

    async def any(self, platform: str, workspace: str) -> bool:
        """Whether the workspace may have team assessments (False: certainly none)."""
        where = (platform, workspace)
        known = self._known.get(where)
        if known is not None:
            has, at = known
            if self.clock() - at < (ACTIVE_SECONDS if has else QUIET_SECONDS):
                return has
        key = self._key(platform, workspace)
        marker = await load_document(self.store, key, timeout_seconds=self.timeout_seconds)
        self._note(where, marker is not None)
        return marker is not None

    def _note(self, where: tuple[str, str], has: bool) -> None:
        self._known.pop(where, None)
        self._known[where] = (has, self.clock())
        while len(self._known) > QUIET_KEPT:
            self._known.pop(next(iter(self._known)))

    async def mark(self, platform: str, workspace: str, *, event_id: str) -> None:
        """A team is starting in the workspace: the marker is written (its TTL renewed)."""
        await change_document(
            self.store,
            self._key(platform, workspace),
            lambda doc: {"kind": "team-marker", "seen": []},
            event_id=event_key(event_id),
            ttl_seconds=self.ttl_seconds,
            timeout_seconds=self.timeout_seconds,
            attempts=ATTEMPTS,
        )
        self._note((platform, workspace), True)

    @staticmethod
    def wait(created_at: str, now: datetime) -> float:
        """How long to hold back a member's first team question of a team created at
        `created_at` (ISO time, written after its marker): until every process that found the
        workspace without teams before it has looked again."""
        try:
            created = datetime.fromisoformat(created_at)
        except ValueError:
            return 0.0
        due = (created - now).total_seconds() + QUIET_SECONDS + CLOCK_SKEW_SECONDS
        return min(max(due, 0.0), QUIET_SECONDS + CLOCK_SKEW_SECONDS)
