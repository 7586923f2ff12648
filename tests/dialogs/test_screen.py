"""Which message shows which question: claimed in the commit of the turn that first shows a
question, its message id carried by the next commit, shown again when its post failed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from dialogs.advisor import Advisor
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.replies import Ask, TurnResult
from dialogs.screen import CLAIM_TAKEOVER_SECONDS, Screen, plan
from dialogs.stores.base import SessionStore
from dialogs.turn import Click, SessionKey, Turn
from tests.conftest import T0, make_advisor, unique_key


async def say(
    advisor: Advisor,
    key: SessionKey,
    text: str | None,
    *,
    at: datetime = T0,
    click: Click | None = None,
) -> TurnResult:
    turn = Turn(key=key, event_id=uuid.uuid4().hex, at=at, text=text, click=click)
    return await advisor.handle(turn)


def asks(result: TurnResult) -> list[Ask]:
    """The questions the screen plan posts for this turn."""
    return [s.reply for s in plan(result) if s.kind == "ask" and isinstance(s.reply, Ask)]


async def stored_screen(store: SessionStore, key: SessionKey) -> Screen | None:
    doc = await store.load(key)
    assert doc is not None
    return Screen.from_document(doc.get("screen"))


async def test_a_question_is_claimed_once(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    """The turn that first shows a question posts it; turns that do not move the session
    (help, status, an invalid answer) do not post it again."""
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    first = await say(advisor, key, None)
    [ask] = asks(first)
    assert first.shows == ask.stamp
    claimed = await stored_screen(store, key)
    assert claimed == Screen(stamp=ask.stamp, message_id="", prompt=ask.prompt, at=T0.timestamp())
    for text in ("help", "status", "no such option"):
        assert asks(await say(advisor, key, text)) == [], text


async def test_the_message_id_rides_on_the_next_commit(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    """The adapter reports the posted message; the next commit stores it, and a typed answer
    updates that message in place."""
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    [ask] = asks(await say(advisor, key, None))
    advisor.shown(key, ask.stamp, "m1")
    assert (
        await stored_screen(store, key) or Screen(stamp="", message_id="", prompt="")
    ).message_id == ""
    await say(advisor, key, "help")
    stored = await stored_screen(store, key)
    assert stored is not None and (stored.stamp, stored.message_id) == (ask.stamp, "m1")
    answered = await say(advisor, key, "1")
    steps = plan(answered)
    assert [s.kind for s in steps][:1] == ["update"] and steps[0].target == "m1"
    assert [s.kind for s in steps][-1] == "ask"


async def test_moving_away_closes_the_question_on_screen(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    [first] = asks(await say(advisor, key, None))
    advisor.shown(key, first.stamp, "m1")
    [second] = asks(await say(advisor, key, "1"))
    advisor.shown(key, second.stamp, "m2")
    back = await say(advisor, key, "back")
    kinds = [(s.kind, s.target) for s in plan(back)]
    assert ("close", "m2") in kinds and kinds[-1][0] == "ask"


async def test_a_click_updates_the_clicked_message(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    """A click carries its message's id, whoever posted it (another process, say)."""
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    [ask] = asks(await say(advisor, key, None))
    option = flow.question(ask.question).options[0].id
    click = Click(question=ask.question, option=option, stamp=ask.stamp)
    result = await say(advisor, key, None, click=click)
    steps = plan(result, clicked="ts-clicked")
    assert steps[0].kind == "update" and steps[0].target == "ts-clicked"


async def test_a_failed_post_is_shown_again_by_the_next_turn(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    advisor = make_advisor(flow, store, engine_config)
    key = unique_key()
    [ask] = asks(await say(advisor, key, None))
    advisor.not_shown(key, ask.stamp)
    again = await say(advisor, key, "status")
    assert [a.stamp for a in asks(again)] == [ask.stamp]
    advisor.shown(key, ask.stamp, "m1")
    assert asks(await say(advisor, key, "status")) == []


async def test_another_process_waits_for_a_fresh_claim_and_takes_over_a_stale_one(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    """A claim nobody recorded (its process died between commit and post) is shown again by
    any process once it is older than CLAIM_TAKEOVER_SECONDS, and not before."""
    one = make_advisor(flow, store, engine_config)
    two = make_advisor(flow, store, engine_config)
    key = unique_key()
    [ask] = asks(await say(one, key, None))
    assert asks(await say(two, key, "help", at=T0 + timedelta(seconds=5))) == []
    later = T0 + timedelta(seconds=CLAIM_TAKEOVER_SECONDS + 1)
    assert [a.stamp for a in asks(await say(two, key, "help", at=later))] == [ask.stamp]


async def test_concurrent_turns_post_a_question_once(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    """Two processes handle two different messages of the same person at once: the
    compare-and-set lets one claim the question; the other does not post it."""
    one = make_advisor(flow, store, engine_config)
    two = make_advisor(flow, store, engine_config)
    key = unique_key()
    await say(one, key, None)
    for _ in range(20):
        both = await asyncio.gather(say(one, key, "status"), say(two, key, "why"))
        assert all(asks(r) == [] for r in both)
    both = await asyncio.gather(say(one, key, "1"), say(two, key, "1"))
    posted = [a.stamp for r in both for a in asks(r)]
    assert len(posted) == len(set(posted)), posted
