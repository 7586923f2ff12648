"""How the advisor runs turns (timeouts, concurrency, caching) and who is told about each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dialogs.replies import TurnResult
from dialogs.turn import Turn


class TurnObserver(Protocol):
    """Told about every turn (metrics, logs); must not raise or block."""

    def turn_done(
        self, turn: Turn, result: TurnResult | None, error: BaseException | None, seconds: float
    ) -> None: ...


@dataclass(frozen=True, kw_only=True)
class AdvisorConfig:
    max_attempts: int = 8
    turn_timeout_seconds: float = 1.5
    # Turns talking to the store at once, per process; the rest wait (within the turn timeout).
    # Below the Redis client's connection-pool limit (100), so a burst queues instead of
    # failing with "too many connections".
    max_concurrent_turns: int = 64
    # Sessions this process committed last, kept to skip the read on their next turn (each
    # about 4 KB of memory each; checked by the commit's version, so never stale).
    cached_sessions: int = 10_000
    cached_session_seconds: float = 900.0
    # How long a turn may wait behind the earlier turns of its own session in this process
    # (each of which has its own turn timeout) before it gives up as unavailable.
    queue_timeout_seconds: float = 10.0
