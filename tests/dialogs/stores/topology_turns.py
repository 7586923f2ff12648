"""Turns and whole assessments through an Advisor, for the tests on the Redis topologies
(test_redis_topologies.py, test_redis_sentinel.py)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from dialogs.advisor import Advisor
from dialogs.errors import StoreUnavailable
from dialogs.replies import Answered
from dialogs.turn import SessionKey, Turn
from tests.conftest import T0


def new_key(workspace: str, user: str = "u1") -> SessionKey:
    return SessionKey(
        platform="test",
        workspace=workspace,
        conversation="C-" + uuid.uuid4().hex[:10],
        thread="",
        user=user,
    )


async def say(advisor: Advisor, key: SessionKey, text: str | None) -> Any:
    return await advisor.handle(Turn(key=key, event_id=uuid.uuid4().hex, at=T0, text=text))


async def say_until_acknowledged(advisor: Advisor, key: SessionKey, text: str | None) -> Any:
    """One turn, delivered again (same event) while the store answers "unavailable", as Slack
    and Teams redeliver: a replica slow to confirm (WAIT) on a busy machine is not what the
    tests using this are about."""
    turn = Turn(key=key, event_id=uuid.uuid4().hex, at=T0, text=text)
    for _ in range(10):
        try:
            return await advisor.handle(turn)
        except StoreUnavailable:
            await asyncio.sleep(0.2)
    pytest.fail("the store stayed unavailable for ten deliveries")


async def assess(advisor: Advisor, key: SessionKey) -> list[str]:
    """A whole assessment, answering "1" each time; the questions answered, in order."""
    result = await say(advisor, key, None)
    answered: list[str] = []
    for _ in range(60):
        if result.state == "done":
            return answered
        result = await say(advisor, key, "1")
        answered += [r.question for r in result.replies if isinstance(r, Answered)]
    raise AssertionError(f"no summary after 60 turns; answered {answered}")
