"""What a turn's replies do to the chat screen, decided once for every platform.

A question is a message with live buttons. When it is answered, its message is updated in
place; when the person moves away without answering (back, skip, edit), its buttons are taken
off; when a turn did not move the session (help, why, an invalid answer, a stale click), the
question already on screen is not posted again. Adapters only carry out the steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol

from dialogs.errors import StoreUnavailable
from dialogs.notes import ScreenRef
from dialogs.stores.base import SessionStore
from dialogs.turn import Answered, Ask, Notice, Reply, SessionKey, TurnResult

log = logging.getLogger(__name__)

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
    carry it out with `ClaimGuard.show`: post, then record the message id.
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


class ClaimGuard:
    """One turn's delivery, for an adapter: `async with ClaimGuard(...) as screen:`, carrying
    out the steps of `plan`, with `await screen.show(ask, post)` for the `ask` step.

    `show` posts the question the turn's commit claimed the note for, then records its message
    in the note, unless a newer turn has claimed the note since (its question is the current
    one). If the delivery fails before the question is recorded, the note is set right on the
    way out: to the posted question when the post went through (so it is not posted twice), or
    back to the message that was on screen (so the next turn posts the question at once
    instead of waiting for the claim to expire). Either only while the note is still the claim.
    """

    def __init__(
        self, store: SessionStore, key: SessionKey, result: TurnResult, ttl_seconds: int
    ) -> None:
        self.store = store
        self.key = key
        self.result = result
        self.ttl_seconds = ttl_seconds
        self._posted: str | None = None  # the note naming the posted question, once posted

    async def __aenter__(self) -> ClaimGuard:
        return self

    async def show(self, ask: Ask, post: QuestionPoster) -> None:
        message_id = await post()
        self._posted = ScreenRef(stamp=ask.stamp, message_id=message_id, prompt=ask.prompt).dump()
        if not await self._replace(self._posted):
            log.info(
                "a newer turn claimed the screen note before question %s was recorded", ask.stamp
            )

    async def _replace(self, value: str | None) -> bool:
        return await self.store.replace_ref(
            self.key, expected=self.result.claim or "", value=value, ttl_seconds=self.ttl_seconds
        )

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if error is None or self.result.claim is None:
            return
        try:
            await self._replace(self._posted if self._posted is not None else self.result.ref)
        except StoreUnavailable as exc:
            log.warning("could not set the screen note right after a failed delivery: %s", exc)
