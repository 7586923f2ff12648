"""The one internal turn type adapters build: who and where, and what the person did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


@dataclass(frozen=True, kw_only=True)
class SessionKey:
    """Who and where: one session per person per conversation thread on one platform."""

    platform: str
    workspace: str
    conversation: str
    thread: str = ""
    user: str


@dataclass(frozen=True, kw_only=True)
class Click:
    """A button press, bound by `stamp` to the question (or summary, or confirmation) it was
    shown for: an answer (`question`, `option`) or a command button (`command`: the words a
    person could type instead, such as "skip", "yes" or "edit budget"). A click whose stamp is
    not the session's current one is stale and acts on nothing."""

    question: str = ""
    option: str = ""
    stamp: str
    command: str = ""


@dataclass(frozen=True, kw_only=True)
class Turn:
    """One thing a person did: opened the conversation, typed text, or clicked an answer.

    `event_id` is the platform's delivery id; the store records it so a redelivery applies once.
    """

    key: SessionKey
    event_id: str
    at: datetime
    text: str | None = None
    click: Click | None = None
