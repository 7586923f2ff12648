"""Who sits in a Teams team assessment, as Teams knows them (issue 14): each person's name (for
the card), their channel account id and the personal chat the bot opened with them (for their
questions and reminders). The team document keeps only user ids; Slack renders `<@U…>`, Teams
has no such mention in a card, so the names live here, beside the team in its Redis slot.

A small document per team (dialogs.team_docs, thread "roster/<team>"), changed by
compare-and-set; a person's `forget` takes their entry out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from dialogs.session import event_key
from dialogs.stores.base import SessionStore
from dialogs.team_docs import Document, change_document, load_document
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
        return _read(
            await load_document(self.store, _key(ref), timeout_seconds=self.timeout_seconds)
        )

    async def put(self, ref: TeamRef, user: str, entry: Entry | None, *, event_id: str) -> None:
        """Set `user`'s entry (None: take it out)."""
        event = event_key(event_id)

        def change(doc: Document | None) -> Document | None:
            people = _read(doc)
            if people.get(user) == entry:
                return None
            if entry is None:
                people.pop(user, None)
            else:
                people[user] = replace(entry, name=entry.name[:NAME_LIMIT])
            return {
                "kind": "team-roster",
                "people": {u: vars(e) for u, e in people.items()},
                "seen": [event],
            }

        await change_document(
            self.store,
            _key(ref),
            change,
            event_id=event,
            ttl_seconds=self.ttl_seconds,
            timeout_seconds=self.timeout_seconds,
            attempts=ATTEMPTS,
        )
