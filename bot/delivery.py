"""A turn's screen steps carried out on any platform: the adapters' one delivery loop.

`dialogs.screen.plan` decides what to do; a platform's `Surface` knows how (post, update,
close, tell the clicker privately). After posting a question the loop tells the advisor its
message id, which the person's next commit records (a question answered by typing has it
recorded at once, as the message that answers it may reach another process); after a failed
post it says so, and the next turn shows the question again: first looking for it (a post
that timed out may have been carried out all the same), then posting it only if not found.
"""

from __future__ import annotations

from typing import Protocol

from dialogs.advisor import Advisor
from dialogs.replies import Ask, Reply, TurnResult
from dialogs.screen import plan
from dialogs.turn import SessionKey


class Surface(Protocol):
    """What a platform does with a turn's replies, in one conversation."""

    async def post(self, reply: Reply) -> str:
        """Post a reply; return the platform's id for the message."""
        ...

    async def update(self, target: str, reply: Reply) -> None:
        """Replace message `target` with the reply (an answered question)."""
        ...

    async def close(self, target: str, prompt: str) -> None:
        """Take the buttons off question message `target` the person moved away from."""
        ...

    async def private(self, reply: Reply) -> None:
        """Tell only the person who clicked (where the platform can)."""
        ...

    async def find(self, ask: Ask, *, since: float) -> str | None:
        """The id of a message of ours showing question `ask.stamp`, posted since `since`
        (seconds since the epoch), or None (also where the platform cannot look)."""
        ...


async def deliver(
    advisor: Advisor,
    key: SessionKey,
    result: TurnResult,
    surface: Surface,
    *,
    clicked: str | None = None,
) -> None:
    """Carry out the screen steps of a turn, in order. If any step fails before the question
    this turn claimed is posted, the advisor is told, and the person's next turn shows it."""
    try:
        await _carry_out(advisor, key, result, surface, clicked=clicked)
    except BaseException:
        if result.shows is not None and advisor.posted(key) != result.shows:
            advisor.not_shown(key, result.shows)
        raise


async def _carry_out(
    advisor: Advisor,
    key: SessionKey,
    result: TurnResult,
    surface: Surface,
    *,
    clicked: str | None,
) -> None:
    before = result.before
    for step in plan(result, clicked=clicked):
        if step.kind == "close":
            await surface.close(step.target, before.prompt if before else "")
        elif step.reply is None:
            continue
        elif step.kind == "update":
            await surface.update(step.target, step.reply)
        elif step.kind == "private":
            await surface.private(step.reply)
        elif step.kind == "ask" and isinstance(step.reply, Ask):
            message_id = None
            if before is not None and before.stamp == step.reply.stamp and not before.message_id:
                # Shown again after a claim with no message recorded: its post may have timed
                # out after the platform took it. Look before posting it a second time.
                message_id = await surface.find(step.reply, since=before.at)
            if message_id is None:
                message_id = await surface.post(step.reply)
            advisor.shown(key, step.reply.stamp, message_id)
            if not step.reply.options:  # answered by typing: see Advisor.record
                await advisor.record(key, step.reply.stamp, message_id)
        else:
            await surface.post(step.reply)
