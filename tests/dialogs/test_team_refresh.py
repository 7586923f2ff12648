"""A team card's refresh (dialogs.team_refresh.CardRefresher), as both desks use it: changes that
come while an update is under way end on the newest state however many there are (a fixed
number of rounds once left the last one to a next change that might never come), a throttled
update is followed by the newest state, and the card's turn is claimed in the store."""

from __future__ import annotations

from dialogs.stores.memory import MemoryStore
from dialogs.team_refresh import CARD_GAP_SECONDS, CARD_TURN, CardRefresher
from dialogs.team_session import TeamRef

REF = TeamRef(platform="teams", workspace="tenant", conversation="19:c", thread="1:2")


class Clock:
    """The store's clock, moved by hand: each update moves it past the card's gap."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Card:
    """A team whose state changes while its card is being sent, and the card that shows it."""

    def __init__(self, refresher: CardRefresher, clock: Clock, *, changes: int) -> None:
        self.refresher = refresher
        self.clock = clock
        self.state = 1
        self.changes = changes  # changes still to come, one during each update
        self.sent: list[int] = []
        self.throttle = 0  # updates still to refuse

    async def read(self) -> tuple[int, int]:
        return self.state, self.state

    async def send(self, state: int) -> float | None:
        self.clock.now += CARD_GAP_SECONDS
        if self.changes:
            self.changes -= 1
            self.state += 1
            await self.refresher.refresh(REF, self.read, self.send)  # marks it, returns
        if self.throttle:
            self.throttle -= 1
            return 0.0
        self.sent.append(state)
        return None


async def test_changes_during_updates_end_on_the_newest_state() -> None:
    clock = Clock()
    refresher = CardRefresher(store=MemoryStore(clock=clock))
    card = Card(refresher, clock, changes=12)  # more than the 8 rounds a refresh once made
    await refresher.refresh(REF, card.read, card.send)
    assert card.sent[-1] == card.state == 13
    assert card.sent == sorted(card.sent)


async def test_a_throttled_update_is_followed_by_the_newest_state() -> None:
    clock = Clock()
    refresher = CardRefresher(store=MemoryStore(clock=clock))
    card = Card(refresher, clock, changes=1)
    card.throttle = 1
    await refresher.refresh(REF, card.read, card.send)
    assert card.sent == [2]


async def test_an_update_waits_for_the_cards_turn() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    refresher = CardRefresher(store=store)
    assert await store.claim(REF.key, CARD_TURN, ttl_seconds=CARD_GAP_SECONDS)  # another's
    card = Card(refresher, clock, changes=0)

    async def read() -> tuple[int, int]:
        if not card.sent:
            clock.now += 0.5  # the other process's gap runs out while this one waits
        return await card.read()

    await refresher.refresh(REF, read, card.send)
    assert card.sent == [1]
    assert clock.now >= 1000.0 + CARD_GAP_SECONDS  # sent only once the other's turn was over
