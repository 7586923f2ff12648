"""What a turn's replies do to the chat screen, decided once for every platform.

A question is a message with live buttons. When it is answered, its message is updated in
place; when the person moves away without answering (back, skip, edit), its buttons are taken
off; when a turn did not move the session (help, why, an invalid answer, a stale click), the
question already on screen is not posted again. Adapters only carry out the steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from dialogs.turn import Answered, Ask, Notice, Reply, TurnResult

# Notices about a click on an old or foreign button: only the clicker needs to see them.
CLICK_NOTICES = frozenset({"stale_click", "already_answered"})


@dataclass(frozen=True, kw_only=True)
class ScreenRef:
    """Which message shows the current question (its platform id), kept beside the session."""

    stamp: str
    message_id: str
    prompt: str

    def dump(self) -> str:
        return json.dumps({"stamp": self.stamp, "id": self.message_id, "prompt": self.prompt})

    @classmethod
    def load(cls, raw: str | None) -> ScreenRef | None:
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(
                stamp=str(data["stamp"]), message_id=str(data["id"]), prompt=str(data["prompt"])
            )
        except (ValueError, KeyError, TypeError):
            return None


StepKind = Literal["update", "close", "ask", "post", "private"]


@dataclass(frozen=True, kw_only=True)
class Step:
    """One thing to do on screen: update or close message `target`, post a question or a reply,
    or (`private`) tell only the person who clicked."""

    kind: StepKind
    reply: Reply | None = None
    target: str = ""


def plan(result: TurnResult, *, clicked: str | None = None) -> list[Step]:
    """The steps for a turn's replies. A redelivered turn has none: it was shown already.

    `clicked` is the id of the message whose button was pressed, if any. After each `ask` step
    the adapter records a new ScreenRef for the message it posted.
    """
    if result.duplicate:
        return []
    ref = ScreenRef.load(result.ref)
    on_screen = {result.previous_stamp, ref.stamp if ref else None}
    steps: list[Step] = []
    updated: set[str] = set()
    for reply in result.replies:
        if isinstance(reply, Answered):
            target = clicked or (ref.message_id if ref and ref.stamp == reply.stamp else None)
            if target:
                steps.append(Step(kind="update", reply=reply, target=target))
                updated.add(target)
        elif isinstance(reply, Ask):
            if reply.stamp in on_screen:
                continue  # that very question is still on screen with live buttons
            # Close the message of the question being left. A note older than this turn's
            # start belongs to a rival turn that moved on first; that turn closes it.
            if (
                ref is not None
                and ref.stamp == result.previous_stamp
                and ref.message_id not in updated
            ):
                steps.append(Step(kind="close", target=ref.message_id))
                updated.add(ref.message_id)
            steps.append(Step(kind="ask", reply=reply))
        elif isinstance(reply, Notice) and reply.code in CLICK_NOTICES and clicked:
            steps.append(Step(kind="private", reply=reply))
        else:
            steps.append(Step(kind="post", reply=reply))
    return steps


def closing_prompt(result: TurnResult) -> str:
    """The prompt of the question being left, for the closed version of its message."""
    ref = ScreenRef.load(result.ref)
    return ref.prompt if ref else ""
