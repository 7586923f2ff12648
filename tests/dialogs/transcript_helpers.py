"""Helpers of the engine's transcript tests (test_engine*.py): answering the whole flow, and the
notices among replies."""

from __future__ import annotations

from dialogs.replies import Notice, Reply, Summary
from tests.support.answers import FULL_ANSWERS
from tests.support.conversation import Conversation


def answer_all(chat: Conversation, answers: dict[str, str] = FULL_ANSWERS) -> Summary:
    """Answer every question by typing the option id (or the number of tokens)."""
    chat.say(None)
    for _ in range(40):
        assert chat.session is not None
        if chat.session.state == "done":
            break
        chat.say(answers[chat.session.current or ""])
    summary = next(r for r in reversed(chat.log) if isinstance(r, Summary))
    return summary


def notice_texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Notice)]
