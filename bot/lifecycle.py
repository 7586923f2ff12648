"""Graceful shutdown: know which turns are in flight and wait for them, up to a deadline."""

from __future__ import annotations

import asyncio
import gc
from types import TracebackType
from typing import Final

# Container allocations (net of frees) between young-generation collections; CPython's default
# is 700. A turn's objects are nearly all freed by reference counting as it ends, so what
# triggers the collector is what stays: the session cache and the SDKs' connection pools.
GC_YOUNG_THRESHOLD: Final = 20_000


def settle_heap(young_threshold: int = GC_YOUNG_THRESHOLD) -> None:
    """Call once the service is built, before it takes requests.

    Collects once, then freezes every object alive (modules, the flow, compiled templates, the
    SDK clients: tens of thousands of objects that live as long as the process) so the cyclic
    collector stops walking them on each full collection, and collects the young generation
    less often. Reference counting still frees a turn's objects as it ends; only cycles wait.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)


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
