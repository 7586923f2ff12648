"""Who sits in a Teams team assessment, as Teams knows them (issue 14): each person's name (for
the card), their channel account id and the personal chat the bot opened with them (for their
questions and reminders). The team document keeps only user ids; Slack renders `<@U…>`, Teams
has no such mention in a card, so the names live here, beside the team in its Redis slot.

A small document per team (`SessionStore.load_team` / `commit_team`, thread "roster/<team>"),
changed by compare-and-set; a person's `forget` takes their entry out."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from dialogs.errors import StoreUnavailable
from dialogs.session import event_key
from dialogs.stores.base import Commit, SessionStore
from dialogs.team_session import TeamRef
from dialogs.turn import SessionKey

ATTEMPTS = 16
NAME_LIMIT = 80


@dataclass(frozen=True, kw_only=True)
class Entry:
    id: str  # the channel account id (29:…)
    name: str
    chat: str = ""  # the bot's personal chat with them, once opened


def _key(ref: TeamRef) -> SessionKey:
    return replace(ref.key, thread="roster/" + ref.thread)


def _read(doc: Mapping[str, Any] | None) -> dict[str, Entry]:
    people = (doc or {}).get("people")
    out: dict[str, Entry] = {}
    if not isinstance(people, Mapping):
        return out
    for user, raw in people.items():
        if isinstance(raw, Mapping):
            out[str(user)] = Entry(
                id=str(raw.get("id", "")),
                name=str(raw.get("name", ""))[:NAME_LIMIT],
                chat=str(raw.get("chat", "")),
            )
    return out


class Roster:
    def __init__(
        self, *, store: SessionStore, ttl_seconds: int, timeout_seconds: float = 3.0
    ) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds
        self.timeout_seconds = timeout_seconds

    async def load(self, ref: TeamRef) -> dict[str, Entry]:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return _read(await self.store.load_team(_key(ref)))
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc

    async def put(self, ref: TeamRef, user: str, entry: Entry | None, *, event_id: str) -> None:
        """Set `user`'s entry (None: take it out)."""
        key = _key(ref)
        event = event_key(event_id)
        try:
            async with asyncio.timeout(self.timeout_seconds):
                doc = await self.store.load_team(key)
                for _ in range(ATTEMPTS):
                    people = _read(doc)
                    if people.get(user) == entry:
                        return
                    if entry is None:
                        people.pop(user, None)
                    else:
                        people[user] = replace(entry, name=entry.name[:NAME_LIMIT])
                    version = int((doc or {}).get("version", 0) or 0)
                    new = {
                        "kind": "team-roster",
                        "people": {u: vars(e) for u, e in people.items()},
                        "version": version + 1,
                        "seen": [event],
                    }
                    outcome = await self.store.commit_team(
                        key,
                        expected_version=version,
                        document=new,
                        event_id=event,
                        ttl_seconds=self.ttl_seconds,
                    )
                    if outcome.status is not Commit.CONFLICT:
                        return
                    doc = outcome.current
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc
