"""What team mode needs from a Teams SDK (issue 14), as a small port both adapters fill in:
send a card or a text to a conversation, update a card, open a person's personal chat. The
rest of team mode (bot/teams/team_*.py) is SDK-neutral and talks to the connector only
through this. Failures arrive as `ConnectorFailed`, with the HTTP status and Retry-After."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bot.observe import hashed

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 3
CALL_TIMEOUT_SECONDS = 5.0
MAX_WAIT_SECONDS = 10.0  # the longest Retry-After honoured inside one turn


class ConnectorFailed(Exception):
    """A Bot Connector call failed (the SDK's own error is its __cause__)."""

    def __init__(self, what: str, *, status: int | None, retry_after: float | None = None):
        super().__init__(f"{what} failed (status {status})")
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, kw_only=True)
class Person:
    """Someone as the connector knows them: the channel account id (29:…), which a personal
    chat is opened with, and their name."""

    id: str
    name: str


class Port(Protocol):
    """The connector calls of one turn (its service URL and credentials)."""

    async def send(
        self, conversation: str, *, card: dict[str, Any] | None = None, text: str = ""
    ) -> str:
        """Post a card (or a text) in `conversation`; the new activity's id."""
        ...

    async def update(self, conversation: str, activity_id: str, card: dict[str, Any]) -> None:
        """Replace the card of activity `activity_id`."""
        ...

    async def open_personal(self, person: Person, tenant: str) -> str:
        """The id of the bot's personal chat with `person` (created when there is none)."""
        ...


async def call(what: str, conversation: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """One connector call with a time limit, retried on 429 (after its Retry-After) and 5xx a
    bounded number of times. A call that timed out is never re-sent (it may have arrived)."""
    delay = 0.2
    for n in range(1, ATTEMPTS + 1):
        try:
            async with asyncio.timeout(CALL_TIMEOUT_SECONDS):
                return await attempt()
        except ConnectorFailed as exc:
            if exc.status not in RETRY_STATUSES or n == ATTEMPTS:
                raise
            wait = min(exc.retry_after or delay, MAX_WAIT_SECONDS)
            log.warning(
                "%s got %s in %s; retrying in %.1fs",
                what,
                exc.status,
                hashed("teams", conversation),
                wait,
            )
            await asyncio.sleep(wait)
            delay *= 2
    raise AssertionError("unreachable")


def retry_after(headers: Any) -> float | None:
    """Retry-After (seconds) from a response's headers, if any and readable."""
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None
