"""Which team assessments a person answers in one conversation (their DM), so a typed answer can
go to the assessment whose question is the latest one asked there (issue 14).

A small document per person and conversation, kept with the team documents' compare-and-set
(`SessionStore.load_team` / `commit_team`, thread "open-teams/<user>"): one Redis read on each
typed message in a DM, and nothing at all for people who never joined a team.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
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
