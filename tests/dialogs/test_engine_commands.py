"""Transcripts through the pure step function: the global commands (help, why, status, back, skip,
restart, cancel, edit, results) and clicks, stale or not."""

from __future__ import annotations

from dialogs.flow import Flow
from dialogs.replies import Answered, Ask, Help, Notice, Status, Summary, Why
from dialogs.turn import Click
from tests.dialogs.transcript_helpers import answer_all
from tests.support.answers import FULL_ANSWERS
from tests.support.conversation import Conversation, codes, kinds


def test_after_the_summary_errors_and_status_come_without_the_summary(
    chat: Conversation,
) -> None:
    answer_all(chat)
    replies = chat.say("edit budgte")
    assert codes(replies) == ["edit_unknown"]
    notice = replies[0]
    assert isinstance(notice, Notice) and notice.echo == "budgte"
    assert "stage, value, current_gap" in notice.text and "budget" in notice.text
    assert codes(chat.say("edit")) == ["edit_usage"]
    status = chat.say("status")
    assert kinds(status) == ["status"]
    assert isinstance(status[0], Status) and status[0].answered_count == status[0].total
    assert kinds(chat.say("help")) == ["help"]
    assert kinds(chat.say("results")) == ["summary"]  # asked for by name
    # While asking, the question is still shown again after the notice.
    chat.say("edit team")
    assert codes(chat.say("edit budgte")) == ["edit_unknown", "ask"]
    assert kinds(chat.say("status")) == ["status", "ask"]


def test_help_why_status_return_to_the_same_question(chat: Conversation) -> None:
    chat.say(None)
    chat.say("live")
    for command, kind in (("help", Help), ("why", Why), ("status", Status), ("?", Help)):
        replies = chat.say(command)
        assert isinstance(replies[0], kind)
        assert isinstance(replies[-1], Ask) and replies[-1].question == "value"
    status = chat.say("status")[0]
    assert isinstance(status, Status)
    assert status.answered_count == 1 and status.answers[0].label == "Live with steady usage"


def test_why_explains_the_current_question(chat: Conversation, flow: Flow) -> None:
    chat.say(None)
    why = chat.say("why")[0]
    assert isinstance(why, Why)
    stage = flow.question("stage")
    assert stage is not None and why.text == stage.why


def test_back_shows_the_previous_answer_and_keeps_going(chat: Conversation) -> None:
    chat.say(None)
    chat.say("live")
    chat.say("core")
    replies = chat.say("back")
    assert codes(replies) == ["went_back", "ask"]
    ask = replies[1]
    assert isinstance(ask, Ask) and ask.question == "value" and ask.current == "core_feature"
    assert ask.current_label == "A core product feature"
    # Re-answering jumps back to where the person was.
    replies = chat.say("differentiator")
    assert isinstance(replies[-1], Ask) and replies[-1].question == "current_gap"
    assert chat.session is not None and chat.session.answers["value"] == "differentiator"


def test_back_at_the_first_question(chat: Conversation) -> None:
    chat.say(None)
    assert codes(chat.say("back")) == ["first_question", "ask"]


def test_skip_where_allowed_and_summary_names_it(chat: Conversation) -> None:
    chat.say(None)
    assert codes(chat.say("skip"))[0] == "not_skippable"  # stage shapes everything
    for answer in ("live", "core_feature", "inconsistent_behavior"):
        chat.say(answer)
    assert codes(chat.say("skip"))[0] == "skipped"  # knowledge_change
    assert chat.session is not None and "knowledge_change" in chat.session.skipped
    answers = {k: v for k, v in FULL_ANSWERS.items() if k != "knowledge_change"}
    for _ in range(30):
        if chat.session.state == "done":
            break
        chat.say(answers[chat.session.current or ""])
    summary = chat.log[-1]
    assert isinstance(summary, Summary)
    assert summary.assessment["skipped"] == ["knowledge_change"]
    assert summary.skipped == ("How often knowledge changes",)


def test_restart_asks_for_confirmation(chat: Conversation) -> None:
    chat.say(None)
    chat.say("live")
    first_id = chat.session.id if chat.session else ""
    assert codes(chat.say("restart")) == ["confirm_restart"]
    assert codes(chat.say("no")) == ["restart_kept", "ask"]
    assert chat.session is not None and chat.session.answers == {"stage": "live"}
    chat.say("restart")
    replies = chat.say("yes")
    assert codes(replies) == ["restarted", "ask"]
    assert chat.session.answers == {} and chat.session.id != first_id


def test_cancel_keeps_answers_and_any_message_resumes(chat: Conversation) -> None:
    chat.say(None)
    chat.say("live")
    assert codes(chat.say("cancel")) == ["cancelled"]
    assert chat.session is not None and chat.session.state == "cancelled"
    replies = chat.say("hello again")
    assert codes(replies) == ["resume_hint", "ask"]
    assert chat.session.state == "asking" and chat.session.answers == {"stage": "live"}


def test_edit_after_summary_updates_it(chat: Conversation) -> None:
    summary = answer_all(chat)
    assert summary.assessment["recommendation"]["depth"] == "fine_tune"
    replies = chat.say("edit team")
    assert codes(replies) == ["edit_prompt", "ask"]
    ask = replies[1]
    assert isinstance(ask, Ask) and ask.question == "team" and ask.current == "ml_eng"
    replies = chat.say("app_devs")
    updated = replies[-1]
    assert isinstance(updated, Summary) and updated.updated
    assert updated.assessment["recommendation"]["depth"] == "rag"
    assert codes(chat.say("edit"))[0] == "edit_usage"
    assert codes(chat.say("edit nonsense"))[0] == "edit_unknown"


def test_results_before_and_after_the_summary(chat: Conversation) -> None:
    chat.say(None)
    assert codes(chat.say("results"))[0] == "no_results"
    answer_all(chat)
    assert kinds(chat.say("results")) == ["summary"]
    assert codes(chat.say("5")) == ["done_hint"]


def test_clicks_apply_once_and_stale_clicks_change_nothing(chat: Conversation) -> None:
    ask = chat.say(None)[-1]
    assert isinstance(ask, Ask)
    click = Click(question="stage", option="live", stamp=ask.stamp)
    replies = chat.turn(click=click)
    assert isinstance(replies[0], Answered) and replies[0].stamp == ask.stamp
    before = chat.session
    again = chat.turn(click=click)
    assert codes(again) == ["already_answered", "ask"]
    assert chat.session is not None and before is not None
    assert chat.session.answers == before.answers and chat.session.current == before.current
    forged = chat.turn(click=Click(question="value", option="core_feature", stamp="other.1"))
    assert codes(forged) == ["stale_click", "ask"]
    assert "value" not in chat.session.answers
    bogus = chat.turn(
        click=Click(question="value", option="no-such-option", stamp=chat.last_ask().stamp)
    )
    assert codes(bogus) == ["stale_click", "ask"]


def test_old_button_after_back_is_stale(chat: Conversation) -> None:
    first = chat.say(None)[-1]
    assert isinstance(first, Ask)
    chat.say("live")
    chat.say("back")
    # The first showing's button for the same question no longer counts.
    replies = chat.turn(click=Click(question="stage", option="idea", stamp=first.stamp))
    assert codes(replies)[0] == "already_answered"
    assert chat.session is not None and chat.session.answers["stage"] == "live"
