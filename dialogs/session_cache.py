"""Sessions this process committed last, so the next turn of the same person needs no read.

Redis stays the one source of truth: a turn that starts from a cached session commits against
its version and the nonce of the document it was (versions start again after `forget`), and
when another process or a `forget` changed the session, the commit answers "conflict" with
the stored document and the turn steps again from that. The cache
only saves the read when nothing changed elsewhere, which is the usual case.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from dialogs.session import Session
from dialogs.turn import SessionKey


class SessionCache:
    """At most `capacity` sessions, each for at most `max_age_seconds`, least recent out first."""

    def __init__(
        self,
        *,
        capacity: int,
        max_age_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._entries: OrderedDict[SessionKey, tuple[Session, str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: SessionKey) -> tuple[Session, str] | None:
        """The session and the "commit" nonce of the document it was committed as."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        session, nonce, stored = entry
        if self._clock() - stored > self.max_age_seconds:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return session, nonce

    def put(self, key: SessionKey, session: Session, nonce: str) -> None:
        if self.capacity <= 0:
            return
        self._entries[key] = (session, nonce, self._clock())
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def drop(self, key: SessionKey) -> None:
        self._entries.pop(key, None)

    def drop_person(self, *, platform: str, workspace: str, user: str) -> None:
        """Forget every cached session of one person (after `forget`)."""
        for key in [
            k
            for k in self._entries
            if (k.platform, k.workspace, k.user) == (platform, workspace, user)
        ]:
            del self._entries[key]

    def drop_workspace(self, *, platform: str, workspace: str) -> None:
        """Forget every cached session of one workspace or tenant (after it is deleted)."""
        for key in [k for k in self._entries if (k.platform, k.workspace) == (platform, workspace)]:
            del self._entries[key]
