"""Which message shows which question, kept in the session document and planned once for
every platform.

A question is a message with live buttons. When it is answered, its message is updated in
place; when the person moves away without answering (back, skip, edit), its buttons are taken
off; when a turn did not move the session (help, why, an invalid answer, a stale click), the
question already on screen is not posted again.

The session document names the question on screen (`Screen`). The commit of the turn that
first shows a question claims it (no message id yet), so a concurrent turn that would show
the same question does not post it twice: the compare-and-set on the session's version lets
only one of them commit the claim. The adapter then posts the question and reports the
message's id (`Advisor.shown`); the same process's next commit for that person carries the id
into the document, and a click carries the id of its message too, so recording it costs no
round trip of its own. A claim whose post failed here, or that nobody recorded within
`CLAIM_TAKEOVER_SECONDS`, is shown again by the next turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from dialogs.replies import Answered, Ask, Notice

if TYPE_CHECKING:
    from dialogs.replies import Reply, TurnResult

# An unrecorded claim older than this is taken to be orphaned (its turn died between commit
# and post) and the question is shown again. Longer than any post takes, retries included.
CLAIM_TAKEOVER_SECONDS = 60

# Notices about a click on an old or foreign button: only the clicker needs to see them.
CLICK_NOTICES = frozenset({"stale_click", "already_answered"})


@dataclass(frozen=True, kw_only=True)
class Screen:
    """Question `stamp` is shown by message `message_id` ("" while it is being posted), claimed
    at `at` (seconds since the epoch)."""

    stamp: str
    message_id: str
    prompt: str
    at: float = 0.0

    def to_document(self) -> dict[str, Any]:
        return {"stamp": self.stamp, "id": self.message_id, "prompt": self.prompt, "at": self.at}

    @classmethod
    def from_document(cls, value: object) -> Screen | None:
        """A stored screen; None when absent (documents of earlier versions) or malformed."""
        if not isinstance(value, Mapping):
            return None
        stamp, message_id, prompt = value.get("stamp"), value.get("id"), value.get("prompt")
        at = value.get("at", 0.0)
        if not (isinstance(stamp, str) and isinstance(message_id, str)):
            return None
        if not isinstance(at, int | float) or isinstance(at, bool):
            at = 0.0
        return cls(
            stamp=stamp,
            message_id=message_id,
            prompt=prompt if isinstance(prompt, str) else "",
            at=float(at),
        )

    def recorded(self, shown: Screen | None) -> Screen:
        """This screen with the message id the adapter reported for the same question."""
        if shown is None or self.message_id or shown.stamp != self.stamp:
            return self
        return replace(self, message_id=shown.message_id)


def claim(screen: Screen | None, ask: Ask, *, now: float, failed: bool) -> Screen | None:
    """The claim a turn showing `ask` makes, or None when the question is already on screen or
    another turn is posting it. `failed`: this process knows its post of `ask` failed."""
    on_screen = screen is not None and screen.stamp == ask.stamp and not failed
    if on_screen and screen and (screen.message_id or now - screen.at <= CLAIM_TAKEOVER_SECONDS):
        return None
    return Screen(stamp=ask.stamp, message_id="", prompt=ask.prompt, at=now)


StepKind = Literal["update", "close", "ask", "post", "private"]


@dataclass(frozen=True, kw_only=True)
class Step:
    """One thing to do on screen: update or close message `target`, post a question or a reply,
    or (`private`) tell only the person who clicked."""

    kind: StepKind
    reply: Reply | None = None
    target: str = ""


def plan(result: TurnResult, *, clicked: str | None = None) -> list[Step]:
    """The steps for a turn's replies. A redelivered turn has none (it was shown already),
    unless it re-shows a question whose post was lost.

    `clicked` is the id of the message whose button was pressed, if any. An `ask` step is
    there only when this turn's commit claimed the question (`result.shows`).
    """
    before = result.before
    steps: list[Step] = []
    updated: set[str] = set()
    for reply in result.replies:
        if isinstance(reply, Answered):
            posted = before.message_id if before and before.stamp == reply.stamp else None
            target = clicked or posted
            if target:
                steps.append(Step(kind="update", reply=reply, target=target))
                updated.add(target)
        elif isinstance(reply, Ask):
            if result.shows != reply.stamp:
                continue  # already on screen, or another turn is posting it
            if before is not None and before.message_id and before.message_id not in updated:
                steps.append(Step(kind="close", target=before.message_id))
                updated.add(before.message_id)
            steps.append(Step(kind="ask", reply=reply))
        elif isinstance(reply, Notice) and reply.code in CLICK_NOTICES and clicked:
            steps.append(Step(kind="private", reply=reply))
        else:
            steps.append(Step(kind="post", reply=reply))
    return steps
