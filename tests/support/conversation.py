"""A small driver for the pure engine: feed turns, keep the session, collect replies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialogs.engine import EngineConfig, step
from dialogs.flow import Flow
from dialogs.replies import Ask, Reply, Summary
from dialogs.session import Session
from dialogs.turn import Click, SessionKey, Turn
from tests.conftest import T0
from tests.support.answers import FULL_ANSWERS

KEY = SessionKey(platform="test", workspace="W", conversation="C", user="U")


@dataclass
class Conversation:
    flow: Flow
    config: EngineConfig
    key: SessionKey = KEY
    session: Session | None = None
    at: datetime = T0
    count: int = 0
    log: list[Reply] = field(default_factory=list)

    def turn(
        self, text: str | None = None, *, click: Click | None = None, event_id: str | None = None
    ) -> list[Reply]:
        self.count += 1
        self.at += timedelta(seconds=5)
        t = Turn(
            key=self.key, event_id=event_id or f"e{self.count}", at=self.at, text=text, click=click
        )
        self.session, replies = step(self.flow, self.session, t, self.config)
        self.log.extend(replies)
        return replies

    def say(self, text: str | None) -> list[Reply]:
        return self.turn(text)

    def last_ask(self) -> Ask:
        return next(r for r in reversed(self.log) if isinstance(r, Ask))

    def reach(self, question: str, answers: Mapping[str, str] = FULL_ANSWERS) -> Ask:
        """Start, then answer by option id (or figure) until `question` is asked."""
        self.say(None)
        for _ in range(40):
            assert self.session is not None
            if self.session.current == question:
                return self.last_ask()
            assert self.session.state == "asking", f"{question} was never asked"
            self.say(answers[self.session.current or ""])
        raise AssertionError(f"{question} was never asked")

    def finish(
        self, answers: Mapping[str, str] = FULL_ANSWERS, *, skip: tuple[str, ...] = ()
    ) -> Summary:
        """Start, then answer by option id (or figure), typing skip at the questions in
        `skip`, until the summary; returns it."""
        self.say(None)
        for _ in range(60):
            assert self.session is not None
            current = self.session.current or ""
            replies = self.say("skip" if current in skip else answers[current])
            found = [r for r in replies if isinstance(r, Summary)]
            if found:
                return found[0]
        raise AssertionError("the assessment never finished")


def kinds(replies: list[Reply]) -> list[str]:
    return [r.kind for r in replies]


def codes(replies: list[Reply]) -> list[str]:
    return [getattr(r, "code", r.kind) for r in replies]
