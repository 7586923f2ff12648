"""Load, step, commit: the one path every adapter's turn takes through the engine.

The commit is a compare-and-set on the session version that records the event id; a turn that
loses a race reloads and steps again, a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any

from dialogs.engine import EngineConfig, step
from dialogs.errors import StoreConflict, StoreUnavailable
from dialogs.flow import Flow
from dialogs.session import Session
from dialogs.stores.base import Commit, SessionStore
from dialogs.turn import Notice, Reply, Turn, TurnResult, reply_from_dict, reply_to_dict

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class RunnerConfig:
    max_attempts: int = 8
    turn_timeout_seconds: float = 1.5


class Advisor:
    """The engine bound to a flow and a store: `await advisor.handle(turn)` gives the replies."""

    def __init__(
        self,
        *,
        flow: Flow,
        store: SessionStore,
        engine: EngineConfig,
        runner: RunnerConfig | None = None,
    ) -> None:
        self.flow = flow
        self.store = store
        self.engine = engine
        self.runner = runner or RunnerConfig()

    async def handle(self, turn: Turn) -> TurnResult:
        """Raise StoreUnavailable within the turn timeout when the store does not answer."""
        try:
            async with asyncio.timeout(self.runner.turn_timeout_seconds):
                return await self._handle(turn)
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc

    async def _handle(self, turn: Turn) -> TurnResult:
        for attempt in range(self.runner.max_attempts):
            doc = await self.store.load(turn.key)
            session, expected, notes = self._read(doc)
            if session is not None and turn.event_id in session.seen:
                return await self._duplicate(turn, session)
            new, replies = step(self.flow, session, turn, self.engine)
            replies = [*notes, *replies]
            new = replace(new, version=expected + 1)
            outcome = await self.store.commit(
                turn.key,
                expected_version=expected,
                document=new.to_document(),
                event_id=turn.event_id,
                replies=[reply_to_dict(r) for r in replies],
                ttl_seconds=self.engine.session_ttl_seconds + 86400,
            )
            if outcome is Commit.APPLIED:
                return TurnResult(replies=tuple(replies), session_id=new.id, state=new.state)
            if outcome is Commit.DUPLICATE:
                return await self._duplicate(turn, session)
            await asyncio.sleep(0.002 * attempt)
        raise StoreConflict(f"gave up after {self.runner.max_attempts} conflicting attempts")

    def _read(self, doc: dict[str, Any] | None) -> tuple[Session | None, int, list[Reply]]:
        """Parse a stored document; an unreadable one is replaced, with a notice, not a crash."""
        if doc is None:
            return None, 0, []
        version = doc.get("version", 0)
        expected = version if isinstance(version, int) and not isinstance(version, bool) else 0
        try:
            return Session.from_document(doc), expected, []
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("unreadable session document replaced: %s", exc)
            text = self.flow.message("unreadable_session")
            return None, expected, [Notice(code="unreadable_session", text=text, level="warning")]

    async def _duplicate(self, turn: Turn, session: Session | None) -> TurnResult:
        cached = await self.store.cached_replies(turn.key, turn.event_id)
        replies = tuple(reply_from_dict(r) for r in cached) if cached else ()
        return TurnResult(
            replies=replies,
            duplicate=True,
            session_id=session.id if session else "",
            state=session.state if session else "",
        )
