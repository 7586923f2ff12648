"""Sessions stored by the previous version (0.1: screen notes in their own keys, replies cached
beside the session) continue on this one, and what this version stores stays readable by it
during a rolling deploy. The documents are in tests/fixtures/stored_v1/sessions.json, written
by the 0.1 code through its own store."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from redis import asyncio as aioredis

from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.replies import Ask, Summary
from dialogs.screen import plan
from dialogs.session import Session
from dialogs.stores.base import KEY_PREFIX, session_key
from dialogs.stores.redis_store import RedisStore
from dialogs.turn import Click, SessionKey, Turn
from tests.conftest import T0, make_advisor

FIXTURES = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "stored_v1" / "sessions.json").read_text()
)
# What the 0.1 reader (Session.from_document of that version) requires of a document: these
# fields, of these types, and schema 1; it ignores any other field.
V1_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema": int,
    "id": str,
    "flow": str,
    "flow_version": int,
    "state": str,
    "answers": dict,
    "asked": int,
    "version": int,
    "seen": list,
    "skipped": list,
    "history": list,
}


def moved_key(stored: dict[str, Any]) -> SessionKey:
    """The fixture's key, in a workspace of this test's own."""
    fields = dict(stored["key"])
    fields["workspace"] = f"{fields['workspace']}-{uuid.uuid4().hex[:8]}"
    return SessionKey(**fields)


async def plant(raw: aioredis.Redis, key: SessionKey, stored: dict[str, Any]) -> None:
    """Write the 0.1 documents where 0.1 kept them: the session, and its screen note."""
    await raw.set(session_key(key), json.dumps(stored["session"]), ex=3600)
    if stored["note"] is not None:
        note = session_key(key).replace(f"{KEY_PREFIX}:s:", f"{KEY_PREFIX}:m:", 1)
        await raw.set(note, json.dumps(stored["note"]), ex=3600)


@pytest.mark.parametrize("name", sorted(FIXTURES))
async def test_a_session_stored_by_the_previous_version_continues(
    name: str,
    redis_store: RedisStore,
    raw_redis: aioredis.Redis,
    flow: Flow,
    engine_config: EngineConfig,
) -> None:
    stored = FIXTURES[name]
    old = Session.from_document(stored["session"])
    key = moved_key(stored)
    await plant(raw_redis, key, stored)
    advisor = make_advisor(flow, redis_store, engine_config)
    at = T0

    async def turn(text: str | None = None, click: Click | None = None) -> Any:
        return await advisor.handle(
            Turn(key=key, event_id=uuid.uuid4().hex, at=at, text=text, click=click)
        )

    if old.state == "done":
        result = await turn("results")
        assert any(isinstance(r, Summary) for r in result.replies)
        return
    if old.pending is not None:
        result = await turn("no")  # keep my answers
    else:
        current = flow.question(old.current or "")
        option = current.options[0].id if current.options else ""
        stamp = f"{old.id}.{old.asked}"
        click = Click(question=current.id, option=option, stamp=stamp) if option else None
        result = await turn("2B" if click is None else None, click=click)
    after = Session.from_document(await redis_store.load(key) or {})
    assert after.id == old.id and after.version == old.version + 1
    assert dict(old.answers).items() <= dict(after.answers).items()
    assert after.state == "asking"
    if old.pending is None:
        assert len(after.answers) == len(old.answers) + 1
        assert [s.kind for s in plan(result) if s.kind == "ask"] == ["ask"]
        assert any(isinstance(r, Ask) for r in result.replies)


@pytest.mark.parametrize("name", sorted(FIXTURES))
async def test_what_this_version_stores_is_readable_by_the_previous_one(
    name: str,
    redis_store: RedisStore,
    raw_redis: aioredis.Redis,
    flow: Flow,
    engine_config: EngineConfig,
) -> None:
    """Rolling deploy: the 0.1 reader needs schema 1 and its fields, of its types."""
    stored = FIXTURES[name]
    key = moved_key(stored)
    await plant(raw_redis, key, stored)
    advisor = make_advisor(flow, redis_store, engine_config)
    await advisor.handle(Turn(key=key, event_id=uuid.uuid4().hex, at=T0, text="status"))
    doc = json.loads(await raw_redis.get(session_key(key)) or "{}")
    assert doc["schema"] == 1
    for field, kind in V1_REQUIRED.items():
        assert isinstance(doc[field], kind), field
    assert doc["state"] in ("new", "asking", "done", "cancelled")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in doc["answers"].items())
