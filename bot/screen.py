"""What a turn's replies do to the chat screen, decided once for every platform.

A question is a message with live buttons. When it is answered, its message is updated in
place; when the person moves away without answering (back, skip, edit), its buttons are taken
off; when a turn did not move the session (help, why, an invalid answer, a stale click), the
question already on screen is not posted again. Adapters only carry out the steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from dialogs.notes import ScreenRef
from dialogs.stores.base import SessionStore
from dialogs.turn import Answered, Ask, Notice, Reply, SessionKey, TurnResult

# Notices about a click on an old or foreign button: only the clicker needs to see them.
CLICK_NOTICES = frozenset({"stale_click", "already_answered"})


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

    `clicked` is the id of the message whose button was pressed, if any. The turn's commit
    claimed the screen note for the question it shows, unless another turn shows (or is
    showing) that question; an `ask` step is there only when the claim was taken, and adapters
    carry it out with `show_question`: post, then record the message id.
    """
    if result.duplicate:
        return []
    ref = ScreenRef.load(result.ref)
    claimed = ScreenRef.load(result.claim)
    steps: list[Step] = []
    updated: set[str] = set()
    for reply in result.replies:
        if isinstance(reply, Answered):
            posted = ref.message_id if ref and ref.stamp == reply.stamp else None
            target = clicked or posted
            if target:
                steps.append(Step(kind="update", reply=reply, target=target))
                updated.add(target)
        elif isinstance(reply, Ask):
            if claimed is None or claimed.stamp != reply.stamp:
                continue  # already on screen, or another turn is posting it
            # Close the message of the question being left. A note older than this turn's
            # start belongs to a rival turn that moved on first; that turn closes it.
            if (
                ref is not None
                and ref.message_id  # a claim with no message yet: nothing to close
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


class QuestionPoster(Protocol):
    async def __call__(self) -> str:
        """Post the question; return the platform's id for the message."""
        ...


async def show_question(
    store: SessionStore,
    key: SessionKey,
    ask: Ask,
    result: TurnResult,
    *,
    ttl_seconds: int,
    post: QuestionPoster,
) -> None:
    """Post the question the turn's commit claimed the note for, and record where it is. If
    the post fails the note is put back as it was, so the next turn posts the question again."""
    claim = result.claim or ""
    try:
        message_id = await post()
    except BaseException:
        await store.release_ref(key, claimed=claim, previous=result.ref, ttl_seconds=ttl_seconds)
        raise
    ref = ScreenRef(stamp=ask.stamp, message_id=message_id, prompt=ask.prompt)
    await store.put_ref(key, ref.dump(), ttl_seconds)
