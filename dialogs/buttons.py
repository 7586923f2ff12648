"""Which command buttons still apply: a button acts only on the state it was shown for (its
stamp is checked by the engine; this is the other half), so a stale or repeated click acts on
nothing."""

from __future__ import annotations

from dialogs import intake_dialog
from dialogs.commands import YES
from dialogs.session import Session, State

# The intro's "Answer step by step" button (issue 16): today's walk, from where the person is.
STEPS = "steps"


def fits(session: Session, name: str) -> bool:
    """Whether command button `name` still makes sense for `session`."""
    if name in YES or name == "no":
        return session.pending is not None
    if name in ("back", "skip"):
        return session.state in (State.ASKING, State.CANCELLED)
    if name == "restart":
        return session.state == State.DONE and session.pending is None
    if name == "edit":
        return session.state == State.DONE
    if name == STEPS:
        return session.state == State.ASKING
    return intake_dialog.fits(session, name)


def typed(command: str) -> str:
    """What a command button stands for, as the person would type it."""
    return "start" if command == STEPS else command
