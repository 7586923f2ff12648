"""Turns of one session taken one at a time in this process (see `TurnQueues.queued`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from dialogs.turn import SessionKey


class _Queue:
    """The turns of one session in this process, taken one at a time."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class TurnQueues:
    """At most `capacity` sessions queued at once; a turn of one more goes unqueued (the
    compare-and-set and its bounded retries still keep it correct). A turn waits at most
    `timeout_seconds` behind the earlier turns of its session."""

    def __init__(self, *, capacity: int, timeout_seconds: float) -> None:
        self.capacity = capacity
        self.timeout_seconds = timeout_seconds
        self.queues: dict[SessionKey, _Queue] = {}

    @contextlib.asynccontextmanager
    async def queued(self, key: SessionKey) -> AsyncIterator[None]:
        """Take the turns of one session one at a time in this process, so a burst of them
        does not race itself through the compare-and-set (across processes, its bounded
        retries remain). A queue lives only while turns of its session are in flight."""
        queue = self.queues.get(key)
        if queue is None:
            if len(self.queues) >= self.capacity:
                yield
                return
            queue = self.queues[key] = _Queue()
        queue.users += 1
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await queue.lock.acquire()
            try:
                yield
            finally:
                queue.lock.release()
        finally:
            queue.users -= 1
            if queue.users == 0 and self.queues.get(key) is queue:
                del self.queues[key]
