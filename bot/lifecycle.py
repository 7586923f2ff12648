"""Graceful shutdown: know which turns are in flight and wait for them, up to a deadline."""

from __future__ import annotations

import asyncio
from types import TracebackType


class Drainer:
    """Adapters wrap each turn in `track()`; on SIGTERM the server waits for them in `drain()`.

    Bolt runs listeners as background tasks after the acknowledgement, so the web server's own
    shutdown cannot see them; this can.
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self.draining = False
        self._idle = asyncio.Event()
        self._idle.set()

    def track(self) -> _Tracked:
        return _Tracked(self)

    def _enter(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def _exit(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    async def drain(self, deadline_seconds: float) -> bool:
        """True when every turn finished in time."""
        self.draining = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=deadline_seconds)
        except TimeoutError:
            return False
        return True


class _Tracked:
    """`async with drainer.track():` (a plain class: this wraps every turn)."""

    def __init__(self, drainer: Drainer) -> None:
        self._drainer = drainer

    async def __aenter__(self) -> None:
        self._drainer._enter()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._drainer._exit()
