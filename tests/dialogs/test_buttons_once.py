"""Every button acts once, on the question or state it was shown for: command buttons (back,
skip, yes, no, restart, edit) carry the stamp of their message; a stale one changes nothing,
and a stale click never brings the summary card back."""

from __future__ import annotations

import pytest

from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.replies import Ask, Notice, Summary
from dialogs.turn import Click
from tests.support.answers import FULL_ANSWERS
from tests.support.conversation import Conversation, codes


@pytest.fixture
def chat(flow: Flow, engine_config: EngineConfig) -> Conversation:
    return Conversation(flow=flow, config=engine_config)


def press(chat: Conversation, command: str, stamp: str) -> list[str]:
    return codes(chat.turn(click=Click(command=command, stamp=stamp)))


def finish(chat: Conversation) -> Summary:
    chat.say(None)
    while chat.session is not None and chat.session.state != "done":
        chat.say(FULL_ANSWERS[chat.session.current or ""])
    return next(r for r in reversed(chat.log) if isinstance(r, Summary))


def test_skip_clicked_twice_skips_one_question(chat: Conversation) -> None:
    ask = chat.reach("knowledge_change")
    assert press(chat, "skip", ask.stamp)[0] == "skipped"
    assert chat.session is not None
    after_one = chat.session.current
    assert press(chat, "skip", ask.stamp)[0] == "stale_click"
    assert chat.session.current == after_one
    assert chat.session.skipped == ("knowledge_change",)


def test_back_clicked_twice_goes_back_once(chat: Conversation) -> None:
    ask = chat.reach("current_gap")
    assert press(chat, "back", ask.stamp)[0] == "went_back"
    assert chat.session is not None and chat.session.current == "value"
    assert press(chat, "back", ask.stamp)[0] == "stale_click"
    assert chat.session.current == "value"


def test_a_skip_from_an_older_message_does_not_skip_again(chat: Conversation) -> None:
    old = chat.reach("knowledge_change")
    chat.say("back")
    chat.say(FULL_ANSWERS["current_gap"])  # knowledge_change is asked again, a new stamp
    assert chat.session is not None and chat.session.current == "knowledge_change"
    assert press(chat, "skip", old.stamp)[0] == "stale_click"
    assert chat.session.skipped == ()


def test_typed_commands_carry_no_stamp_and_work_as_before(chat: Conversation) -> None:
    chat.reach("knowledge_change")
    assert codes(chat.say("skip"))[0] == "skipped"
    assert codes(chat.say("back"))[0] == "went_back"


def test_a_double_click_on_the_last_answer_shows_one_summary(chat: Conversation) -> None:
    chat.say(None)
    last: Ask | None = None
    while chat.session is not None and chat.session.state != "done":
        last = chat.last_ask()
        chat.say(FULL_ANSWERS[chat.session.current or ""])
    assert last is not None
    option = FULL_ANSWERS[last.question]
    again = chat.turn(click=Click(question=last.question, option=option, stamp=last.stamp))
    assert codes(again) == ["already_answered"]
    assert not any(isinstance(r, Summary) for r in again)


def test_question_buttons_of_the_last_question_do_nothing_once_done(chat: Conversation) -> None:
    finish(chat)
    stamp = chat.last_ask().stamp
    for command in ("back", "skip"):
        assert press(chat, command, stamp) == ["stale_click"]
    assert chat.session is not None and chat.session.state == "done"


def test_summary_restart_asks_once_and_yes_acts_once(chat: Conversation) -> None:
    summary = finish(chat)
    assert summary.stamp
    replies = chat.turn(click=Click(command="restart", stamp=summary.stamp))
    confirm = replies[0]
    assert isinstance(confirm, Notice) and confirm.code == "confirm_restart" and confirm.stamp
    assert press(chat, "restart", summary.stamp) == ["stale_click"]
    assert press(chat, "yes", confirm.stamp)[0] == "restarted"
    fresh = chat.session
    assert fresh is not None and fresh.answers == {}
    assert press(chat, "yes", confirm.stamp)[0] == "stale_click"
    assert chat.session == fresh or chat.session.answers == {}


def test_no_clicked_twice_keeps_answers_and_answers_nothing(chat: Conversation) -> None:
    summary = finish(chat)
    confirm = chat.turn(click=Click(command="restart", stamp=summary.stamp))[0]
    assert isinstance(confirm, Notice)
    assert press(chat, "no", confirm.stamp)[0] == "restart_kept"
    assert press(chat, "no", confirm.stamp) == ["stale_click"]
    assert chat.session is not None and chat.session.state == "done"


def test_summary_edit_acts_once(chat: Conversation) -> None:
    summary = finish(chat)
    assert press(chat, "edit stage", summary.stamp)[0] == "edit_prompt"
    assert chat.session is not None and chat.session.current == "stage"
    assert press(chat, "edit value", summary.stamp)[0] == "stale_click"
    assert chat.session.current == "stage"
