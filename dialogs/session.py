"""The session document: one JSON object per person and conversation, never pickled.

Schema 1 since the first version; fields added later (`screen`, `before_edit`) are optional,
so processes of the previous and the current version can share Redis during a rolling deploy:
each reads the other's documents (unknown fields are ignored; a missing `screen` only means the
question's message is not known and is posted afresh, a missing `before_edit` that an updated
summary does not say what changed)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from dialogs.screen import Screen

SCHEMA_VERSION = 1
SEEN_EVENTS_KEPT = 12
EVENT_ID_CHARS = 12


@functools.lru_cache(maxsize=1024)  # a turn asks for its own key three times
def event_key(event_id: str) -> str:
    """A short, fixed-size stand-in for a platform event id (they run to 40+ characters);
    sessions keep the recent ones, so this keeps each document small."""
    # surrogatepass: a forged id with a lone surrogate still gets a key, not an exception.
    return hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()[:EVENT_ID_CHARS]


class State(StrEnum):
    """Where a session is: not started, asking questions, showing its summary, or stopped."""

    NEW = "new"
    ASKING = "asking"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True, kw_only=True)
class Session:
    """Where one person is in the flow.

    `version` is the store's compare-and-set counter (and a fencing token after a failover);
    `seen` holds the most recent event ids so a redelivered event applies once.
    """

    id: str
    flow: str
    flow_version: int
    state: State = State.NEW
    current: str | None = None
    asked: int = 0
    answers: Mapping[str, str] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    editing: bool = False
    pending: str | None = None
    started_at: str = ""
    updated_at: str = ""
    version: int = 0
    seen: tuple[str, ...] = ()
    # The question on screen (see dialogs.screen); None in documents of earlier versions.
    screen: Screen | None = None
    # While a finished session is being edited: its answers as they were at the summary, so
    # the updated summary can say what changed (dialogs.changes). None otherwise, and in
    # documents of earlier versions (which then show no "what changed").
    before_edit: Mapping[str, str] | None = None
    # A description being confirmed, or the answers it gave once confirmed (dialogs.intake_dialog,
    # which reads it leniently). None otherwise, and in documents of earlier versions.
    intake: Mapping[str, Any] | None = None
    schema: int = SCHEMA_VERSION

    def to_document(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "id": self.id,
            "flow": self.flow,
            "flow_version": self.flow_version,
            "state": self.state,
            "current": self.current,
            "asked": self.asked,
            "answers": dict(self.answers),
            "skipped": list(self.skipped),
            "history": list(self.history),
            "editing": self.editing,
            "pending": self.pending,
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "version": self.version,
            "seen": list(self.seen),
            "screen": self.screen.to_document() if self.screen is not None else None,
            "before_edit": dict(self.before_edit) if self.before_edit is not None else None,
            "intake": dict(self.intake) if self.intake is not None else None,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Session:
        """Read a stored document; raises ValueError on anything malformed."""
        if not isinstance(doc, Mapping):
            raise ValueError("session document is not an object")
        schema = doc.get("schema")
        if schema != SCHEMA_VERSION:
            raise ValueError(f"unknown session schema {schema!r}")
        answers = doc.get("answers", {})
        if not isinstance(answers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in answers.items()
        ):
            raise ValueError("answers must map strings to strings")
        try:
            state = State(doc.get("state", "new"))
        except ValueError:
            raise ValueError(f"unknown state {doc.get('state')!r}") from None
        return cls(
            id=str(doc["id"]),
            flow=str(doc["flow"]),
            flow_version=int(doc["flow_version"]),
            state=state,
            current=None if doc.get("current") is None else str(doc["current"]),
            asked=int(doc.get("asked", 0)),
            answers=dict(answers),
            skipped=tuple(str(q) for q in doc.get("skipped", ())),
            history=tuple(str(q) for q in doc.get("history", ())),
            editing=bool(doc.get("editing", False)),
            pending=None if doc.get("pending") is None else str(doc["pending"]),
            started_at=str(doc.get("started_at", "")),
            updated_at=str(doc.get("updated_at", "")),
            version=int(doc.get("version", 0)),
            seen=tuple(str(e) for e in doc.get("seen", ())),
            screen=Screen.from_document(doc.get("screen")),
            before_edit=_answers_or_none(doc.get("before_edit")),
            intake=doc["intake"] if isinstance(doc.get("intake"), Mapping) else None,
        )

    def with_event(self, event_id: str, at: datetime) -> Session:
        """Record the event (bounded, as `event_key`) and the time of this turn."""
        seen = (*self.seen, event_key(event_id))[-SEEN_EVENTS_KEPT:]
        return replace(self, seen=seen, updated_at=at.isoformat())


def _answers_or_none(value: object) -> dict[str, str] | None:
    """An optional answers map; anything malformed reads as none (it only feeds a display)."""
    if not isinstance(value, Mapping):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return dict(value)
