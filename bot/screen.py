"""What a turn's replies do to the chat screen, decided once for every platform.

A question is a message with live buttons. When it is answered, its message is updated in
place; when the person moves away without answering (back, skip, edit), its buttons are taken
off; when a turn did not move the session (help, why, an invalid answer, a stale click), the
question already on screen is not posted again. Adapters only carry out the steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, Protocol

from dialogs.stores.base import SessionStore
from dialogs.turn import Answered, Ask, Notice, Reply, SessionKey, TurnResult

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

    `clicked` is the id of the message whose button was pressed, if any. Adapters carry out an
    `ask` step with `show_question`: claim the note, post, record the message id.
    """
    if result.duplicate:
        return []
    ref = ScreenRef.load(result.ref)
    # Only the note says what is on screen: it is claimed before a question is posted and put
    # back if the post fails, so a question that never arrived is posted again next time.
    on_screen = {ref.stamp} if ref else set()
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
            if reply.stamp in on_screen:
                continue  # that very question is still on screen with live buttons
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
    store: SessionStore, key: SessionKey, ask: Ask, *, ttl_seconds: int, post: QuestionPoster
) -> bool:
    """Claim the screen note for `ask`, post it, and record where it is. False when another
    turn already shows (or is showing) this question; if the post fails the claim is undone."""
    claim = ScreenRef(stamp=ask.stamp, message_id="", prompt=ask.prompt).dump()
    taken, previous = await store.claim_ref(
        key, stamp=ask.stamp, value=claim, ttl_seconds=ttl_seconds
    )
    if not taken:
        return False
    try:
        message_id = await post()
    except BaseException:
        await store.release_ref(key, claimed=claim, previous=previous, ttl_seconds=ttl_seconds)
        raise
    ref = ScreenRef(stamp=ask.stamp, message_id=message_id, prompt=ask.prompt)
    await store.put_ref(key, ref.dump(), ttl_seconds)
    return True
