"""The intake's optional outside reader (issue 16): a description typed in the chat is read by
the configured model before the pure step, which then uses that reading instead of the rules'.

The core knows the reader only as a `Reader` (an async `read(text)`); the edge (bot/app.py)
injects one (bot/intake_model.ModelReader, over HTTP). Whatever goes wrong there (a timeout,
an error, a person over their rate limit) gives no reading, so the step reads the text with the
rules (`dialogs.intake.extract`): never a failed turn. Model calls are limited per person with
a fixed window counted in the session store (`SessionStore.claim`: one claimed slot per call,
so every process of the bot counts alike, and the slots expire with the window). The text is
never logged here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Literal, Protocol

from dialogs.commands import parse_command
from dialogs.errors import StoreUnavailable
from dialogs.flow import Flow
from dialogs.intake import Intake, extract
from dialogs.intake_dialog import MAX_DESCRIPTION_LENGTH, WAITING
from dialogs.session import Session, event_key
from dialogs.stores.base import SessionStore
from dialogs.turn import SessionKey, Turn

log = logging.getLogger(__name__)

Source = Literal["model", "rules", "resting"]


class Reader(Protocol):
    """Reads a description into answers (validated against the flow) or raises."""

    @property
    def name(self) -> str:
        """Who reads descriptions, for people: "the model m1 at api.example"."""
        ...

    async def read(self, text: str) -> Intake: ...


@dataclass(frozen=True, kw_only=True)
class ReadingLimits:
    """Model calls a person may make per window; how long one may take before the rules read."""

    per_person: int = 5
    window_seconds: int = 600
    deadline_seconds: float = 5.0


@dataclass(frozen=True, kw_only=True)
class PreRead:
    """How description `text` was read before the step: by the model, or (`rules`: it failed;
    `resting`: the person is over their limit) by the rules."""

    text: str
    intake: Intake
    source: Source


def quota_key(key: SessionKey) -> SessionKey:
    """The key a person's model calls are counted under: one per person per workspace, whatever
    the conversation (a person's kind of key, so `forget` takes it with the rest)."""
    return SessionKey(
        platform=key.platform, workspace=key.workspace, conversation="", thread="", user=key.user
    )


class PreReader:
    """Reads a turn's description with the model, when the turn is one and a model is set."""

    def __init__(
        self,
        *,
        flow: Flow,
        store: SessionStore,
        reader: Reader,
        limits: ReadingLimits | None = None,
    ) -> None:
        self.flow = flow
        self.store = store
        self.reader = reader
        self.limits = limits or ReadingLimits()

    @staticmethod
    def candidate(turn: Turn) -> bool:
        """Whether the turn's text could be a description (cheap: no store read)."""
        text = (turn.text or "").strip()
        return bool(text) and len(text) <= MAX_DESCRIPTION_LENGTH and parse_command(text) is None

    async def read(self, turn: Turn, session: Session | None) -> PreRead | None:
        """The model's reading of the turn's description (or the rules' when it failed, or the
        person is resting); None when the turn is not a description awaited in `session`."""
        if session is None or session.pending != WAITING or not self.candidate(turn):
            return None
        if event_key(turn.event_id) in session.seen:  # a redelivery: no second call
            return None
        text = (turn.text or "").strip()
        if not await self._allowed(turn):
            log.info("intake model: over the limit for this person, the rules read it")
            return PreRead(text=text, intake=extract(self.flow, text), source="resting")
        try:
            async with asyncio.timeout(self.limits.deadline_seconds):
                intake = await self.reader.read(text)
        except Exception as exc:  # an optional reader never fails a turn, whatever it raises
            log.warning("intake model failed (%s): the rules read it", type(exc).__name__)
            return PreRead(text=text, intake=extract(self.flow, text), source="rules")
        return PreRead(text=text, intake=intake, source="model")

    async def _allowed(self, turn: Turn) -> bool:
        """Claim one of the person's slots in the current window; False when all are taken."""
        window = int(time.time() // self.limits.window_seconds)
        key = quota_key(turn.key)
        try:
            for slot in range(self.limits.per_person):
                if await self.store.claim(
                    key, f"model:{window}:{slot}", ttl_seconds=self.limits.window_seconds
                ):
                    return True
        except StoreUnavailable:  # the turn itself says so; the model is not asked meanwhile
            return False
        return False
