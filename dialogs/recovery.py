"""Turns that find the store out of step with what the person saw: a click for a session the
store no longer holds (Redis restarted empty, or the session expired or was deleted)."""

from __future__ import annotations

from dialogs.replies import Notice, TurnResult
from dialogs.turn import Turn

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
