"""Which team assessments a person answers in one conversation (their DM), so a typed answer can
go to the assessment whose question is the latest one asked there (issue 14).

A small document per person and conversation, kept with the team documents' compare-and-set
(`SessionStore.load_team` / `commit_team`, thread "open-teams/<user>"): one Redis read on each
typed message in a DM, and nothing at all for people who never joined a team.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dialogs.errors import StoreUnavailable
from dialogs.session import event_key
from dialogs.stores.base import Commit, SessionStore
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
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return _joined(await self.store.load_team(_key(where, self.name)))
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc

    async def add(self, where: SessionKey, joined: Joined, *, event_id: str) -> None:
        key = _key(where, self.name)
        try:
            async with asyncio.timeout(self.timeout_seconds):
                doc = await self.store.load_team(key)
                for _ in range(ATTEMPTS):
                    known = [j for j in _joined(doc) if j.ref != joined.ref]
                    teams = [joined, *known][:KEPT]
                    version = int((doc or {}).get("version", 0) or 0)
                    new = {
                        "kind": f"team-index/{self.name}",
                        "teams": [{**vars(j.ref), "title": j.title} for j in teams],
                        "version": version + 1,
                        "seen": [event_key(event_id)],
                    }
                    outcome = await self.store.commit_team(
                        key,
                        expected_version=version,
                        document=new,
                        event_id=event_key(event_id),
                        ttl_seconds=self.ttl_seconds,
                    )
                    if outcome.status is not Commit.CONFLICT:
                        return
                    doc = outcome.current
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc


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
        try:
            async with asyncio.timeout(self.timeout_seconds):
                marker = await self.store.load_team(self._key(platform, workspace))
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc
        self._note(where, marker is not None)
        return marker is not None

    def _note(self, where: tuple[str, str], has: bool) -> None:
        self._known.pop(where, None)
        self._known[where] = (has, self.clock())
        while len(self._known) > QUIET_KEPT:
            self._known.pop(next(iter(self._known)))

    async def mark(self, platform: str, workspace: str, *, event_id: str) -> None:
        """A team is starting in the workspace: the marker is written (its TTL renewed)."""
        key = self._key(platform, workspace)
        try:
            async with asyncio.timeout(self.timeout_seconds):
                doc = await self.store.load_team(key)
                for _ in range(ATTEMPTS):
                    version = int((doc or {}).get("version", 0) or 0)
                    new = {"kind": "team-marker", "version": version + 1, "seen": []}
                    outcome = await self.store.commit_team(
                        key,
                        expected_version=version,
                        document=new,
                        event_id=event_key(event_id),
                        ttl_seconds=self.ttl_seconds,
                    )
                    if outcome.status is not Commit.CONFLICT:
                        break
                    doc = outcome.current
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc
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
