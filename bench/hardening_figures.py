"""What bench/hardening.py counts, and the one wait its sides share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WAIT = 20.0


@dataclass
class Figures:
    hostile_tried: int = 0
    hostile_5xx: int = 0
    hostile_unanswered: int = 0
    steps: int = 0
    double_steps: int = 0
    clicks: int = 0
    duplicate_posts_clicks: int = 0
    slow_turns: int = 0
    duplicate_posts_slow: int = 0
    false_errors_slow: int = 0
    slow_notices: int = 0
    dead_requests: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def until(check: Callable[[], Any], what: str, within: float = WAIT) -> Any:
    deadline = time.monotonic() + within
    while not (found := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {within:.0f}s for {what}")
        await asyncio.sleep(0.02)
    return found
