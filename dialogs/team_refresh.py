"""Keeping a team's card up to date (issue 14), the same for every platform: updates are
coalesced per team and process, and take turns across processes through a claim in the store.

The adapters give what is platform-specific as two callables: `read` (the team as the card
would show it, with a mark of that state, or None when the team is gone) and `send` (update
the card to that state; None when done, or the seconds to wait when the platform throttled
it). Any other refusal raises out of `CardRefresher.refresh`, for the adapter to log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from dialogs.stores.base import SessionStore
from dialogs.team_session import TeamRef

log = logging.getLogger(__name__)

# Rounds of one process's card refresh for one team, at most. Each round shows a newer team
# than the last, waits for the card's turn or waits out a throttle, so the loop ends when the
# team stops changing; the bound only stops a team changing without end from holding a turn.
REFRESH_ROUNDS = 600
# One update of a card per this many seconds, whichever process makes it: the right to update
# is claimed in the store (SET NX with this TTL), so every process waits its turn.
CARD_GAP_SECONDS = 1
CARD_TURN = "card-update"
TURN_WAIT_SECONDS = 0.2  # between two tries for the card's turn

S = TypeVar("S")
Read = Callable[[], Awaitable[tuple[Hashable, S] | None]]
Send = Callable[[S], Awaitable[float | None]]


class CardRefresher:
    """The card updates under way in this process, one per team."""

    def __init__(self, *, store: SessionStore, rounds: int = REFRESH_ROUNDS) -> None:
        self.store = store
        self.rounds = rounds
        self._dirty: dict[TeamRef, bool] = {}  # cards being updated -> changed meanwhile

    async def refresh(self, ref: TeamRef, read: Read[S], send: Send[S]) -> None:
        """Bring the card up to the stored team. Coalesced: while this process is updating
        the card, further calls only mark it dirty, and the running one reads the team again
        and updates once more. It stops only once the card shows the stored team and nothing
        marked it meanwhile, so the last change is never left to a next one that may not come.

        Across processes: an update takes the card's turn first (a claim in the store that
        lasts CARD_GAP_SECONDS), so the card is updated at most once a gap however many
        members finish at once on however many processes; updates do not cross each other
        on the way (an older state cannot land after a newer one, short of a call outlasting
        the gap); and the team is read after the turn is taken, so it is the newest.

        A throttled update (`send` gave seconds to wait) is waited out, and then the newest
        team is sent, not the refused card."""
        if ref in self._dirty:
            self._dirty[ref] = True
            return
        self._dirty[ref] = False
        shown: Hashable = None
        try:
            for _ in range(self.rounds):
                seen = await read()
                if seen is None or (seen[0] == shown and not self._dirty[ref]):
                    return
                self._dirty[ref] = False
                if seen[0] == shown:
                    continue
                if not await self.store.claim(ref.key, CARD_TURN, ttl_seconds=CARD_GAP_SECONDS):
                    await asyncio.sleep(TURN_WAIT_SECONDS)  # another update is this gap's
                    continue
                state, snapshot = await read() or seen
                wait = await send(snapshot)
                if wait is not None:
                    log.info("team card throttled; updating again in %.1fs", wait)
                    await asyncio.sleep(wait)
                    shown = None  # what the card shows is unknown: send the newest
                    continue
                shown = state
            log.warning(
                "team card: still changing after %d rounds; left to the next change", self.rounds
            )
        finally:
            del self._dirty[ref]
