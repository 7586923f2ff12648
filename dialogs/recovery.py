"""Turns that find the store out of step with what the person saw: a click for a session the
store no longer holds (Redis restarted empty, or the session expired or was deleted), and the
turn after a commit whose outcome was unknown (the store paused, then applied it late)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dialogs.replies import Notice, Reply, TurnResult
from dialogs.screen import Screen
from dialogs.session import Session
from dialogs.turn import SessionKey, Turn

#: The notice a click on a vanished session gets; adapters render it with a start button.
LOST_CODE = "progress_lost"
LOST_TEXT = (
    "Your saved progress for this assessment is no longer stored (our storage lost it, or it "
    "expired or was deleted), sorry. Press Start again to begin a new assessment."
)


def lost(turn: Turn) -> TurnResult | None:
    """The answer to a click stamped for a session when no session is stored, or None.

    A stamp is only ever shown for a stored session, so a stamped click that finds none means
    the saved progress is gone: say so and offer to start again, instead of silently starting
    over at the intro. Nothing is committed. Typed text carries no such mark, so it starts
    afresh as before."""
    click = turn.click
    if click is None or not click.stamp:
        return None
    notice = Notice(code=LOST_CODE, text=LOST_TEXT, level="warning")
    return TurnResult(replies=(notice,))


# ------------------------------------------------------------------ commits of unknown outcome

#: How many people's unsettled commits this process remembers, at most (oldest out first).
UNSETTLED_KEPT = 10_000
SETTLED_CODE = "saved_late"
#: The person sends again what a commit of unknown outcome already applied.
SAVED_ALREADY = (
    "That was saved the first time: our storage answered late, so it is not applied twice. "
    "Here is where you are."
)
#: The person does something else after a commit of unknown outcome that did apply.
SAVED_LATE = "Your previous message was saved after all (our storage answered late)."


@dataclass(frozen=True, kw_only=True)
class Unsettled:
    """A commit whose outcome is unknown (the store did not answer in time): what it wrote
    (`nonce`, `event`) and everything its turn would have shown, had it gone through."""

    event: str
    nonce: str
    said: str
    before: Session | None
    after: Session
    replies: tuple[Reply, ...]
    on_screen: Screen | None
    shows: str | None


def nonce_of(doc: Mapping[str, Any] | None) -> str:
    """The "commit" nonce a stored document carries ("" when none)."""
    nonce = doc.get("commit") if doc is not None else None
    return nonce if isinstance(nonce, str) else ""


def said(turn: Turn) -> str:
    """What the person did, for telling whether they did it again: the same button (stamp
    included), or the same words (case and spacing aside)."""
    click = turn.click
    if click is not None:
        return f"click {click.question} {click.option} {click.command} {click.stamp}"
    if turn.text is not None:
        return "text " + " ".join(turn.text.split()).casefold()
    return "open"


def settled(unsettled: Unsettled | None, *, nonce: str) -> Unsettled | None:
    """The unsettled commit, if the stored document is the very one it wrote (it landed after
    all, and nothing has committed since)."""
    if unsettled is None or not nonce or nonce != unsettled.nonce:
        return None
    return unsettled


class Ledger:
    """Per person, the last commit of unknown outcome this process made (bounded)."""

    def __init__(self, capacity: int = UNSETTLED_KEPT) -> None:
        self.capacity = capacity
        self._items: dict[SessionKey, Unsettled] = {}

    def put(self, key: SessionKey, item: Unsettled) -> None:
        self._items.pop(key, None)
        self._items[key] = item
        while len(self._items) > self.capacity:
            self._items.pop(next(iter(self._items)))

    def pop(self, key: SessionKey) -> Unsettled | None:
        return self._items.pop(key, None)
