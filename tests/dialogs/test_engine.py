"""Transcripts through the pure step function: every global command, typed answers and clicks."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from dialogs.engine import EngineConfig, step
from dialogs.flow import Flow
from dialogs.ids import QUESTION_IDS
from dialogs.replies import Answered, Ask, Help, Intro, Notice, Status, Summary, Why
from dialogs.turn import Click, Turn
from tests.helpers import KEY, Conversation, codes, kinds
from tests.support.answers import FULL_ANSWERS


@pytest.fixture
def chat(flow: Flow, engine_config: EngineConfig) -> Conversation:
    return Conversation(flow=flow, config=engine_config)


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


def test_first_turn_shows_intro_and_first_question(chat: Conversation) -> None:
    replies = chat.say(None)
    assert kinds(replies) == ["intro", "ask"]
    intro = replies[0]
    assert isinstance(intro, Intro)
    assert "RAG" in intro.text and "weeks" in intro.text
    assert {c.name for c in intro.commands} >= {
        "help",
        "why",
        "back",
        "skip",
        "status",
        "restart",
        "cancel",
    }
    ask = replies[1]
    assert isinstance(ask, Ask) and ask.question == "stage" and ask.position == 1


def test_whole_flow_asks_every_framework_question_then_summarises(chat: Conversation) -> None:
    summary = answer_all(chat)
    asked = [r.question for r in chat.log if isinstance(r, Ask)]
    assert set(QUESTION_IDS) <= set(asked)
    assert "monthly_tokens" in asked
    assert summary.assessment["recommendation"]["depth"] == "fine_tune"
    assert summary.assessment["cost"]["monthly_tokens"] == 2_000_000_000
    assert [a.question for a in summary.answers][:3] == ["stage", "value", "current_gap"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("3", "live"),
        ("live", "live"),
        ("Live with steady usage", "live"),
        ("at sc", "scale"),
        ("  MVP  ", "mvp"),
    ],
)
def test_answers_by_number_id_label_or_prefix(
    chat: Conversation, typed: str, expected: str
) -> None:
    chat.say(None)
    replies = chat.say(typed)
    assert isinstance(replies[0], Answered) and replies[0].option == expected
    assert chat.session is not None and chat.session.answers["stage"] == expected


def test_anything_else_reprompts_with_valid_choices(chat: Conversation) -> None:
    chat.say(None)
    replies = chat.say("banana")
    notice = replies[0]
    assert isinstance(notice, Notice) and notice.code == "invalid_choice"
    assert notice.echo == "banana"
    assert [c.id for c in notice.choices] == ["idea", "mvp", "live", "scale"]
    assert isinstance(replies[1], Ask) and replies[1].question == "stage"
    assert chat.session is not None and chat.session.answers == {}


def test_ambiguous_prefix_lists_only_the_candidates(chat: Conversation) -> None:
    chat.say(None)
    for answer in ("live", "core_feature"):
        chat.say(answer)
    replies = chat.say("i")  # "Inconsistent..." and "It lacks..." and "It misreads..."
    notice = replies[0]
    assert isinstance(notice, Notice) and notice.code == "invalid_choice"
    assert {c.id for c in notice.choices} == {
        "missing_facts",
        "inconsistent_behavior",
        "domain_language",
    }


def test_out_of_range_number_and_empty_and_huge_input(chat: Conversation) -> None:
    chat.say(None)
    assert codes(chat.say("9"))[0] == "invalid_choice"
    assert codes(chat.say("   "))[0] == "empty_input"
    assert codes(chat.say("x" * 10_000))[0] == "too_long"
    odd = chat.say('"; DROP \\ \u202e <!channel> 🙂 \u05e9\u05dc\u05d5\u05dd')
    assert codes(odd)[0] == "invalid_choice"
    assert chat.session is not None and chat.session.answers == {}


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


def test_number_question_accepts_forms_and_rejects_junk(chat: Conversation) -> None:
    chat.say(None)
    for q in ("stage", "value", "current_gap", "knowledge_change", "data_sensitivity", "latency"):
        chat.say(FULL_ANSWERS[q])
    chat.say("500m_10b")
    assert chat.last_ask().question == "monthly_tokens"
    assert codes(chat.say("lots"))[0] == "invalid_number"
    chat.say("1.5e9")
    assert chat.session is not None and chat.session.answers["monthly_tokens"] == "1500000000"


def test_branching_skips_monthly_tokens_when_volume_is_unknown(chat: Conversation) -> None:
    chat.say(None)
    for q in ("stage", "value", "current_gap", "knowledge_change", "data_sensitivity", "latency"):
        chat.say(FULL_ANSWERS[q])
    replies = chat.say("not sure")
    assert isinstance(replies[-1], Ask) and replies[-1].question == "breadth"


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


def test_quiet_session_expires_with_a_notice(flow: Flow, costs: object) -> None:
    config = EngineConfig(session_ttl_seconds=3600, costs=costs)  # type: ignore[arg-type]
    chat = Conversation(flow=flow, config=config)
    chat.say(None)
    chat.say("live")
    chat.at += timedelta(hours=2)
    replies = chat.say("core")
    assert codes(replies)[:3] == ["expired", "intro", "ask"]
    assert chat.session is not None and chat.session.answers == {}


def test_step_is_pure(flow: Flow, engine_config: EngineConfig) -> None:
    chat = Conversation(flow=flow, config=engine_config)
    chat.say(None)
    session = chat.session
    turn = Turn(key=KEY, event_id="same", at=chat.at, text="live")
    first = step(flow, session, turn, engine_config)
    second = step(flow, session, turn, engine_config)
    assert first == second
    assert session is not None and session.answers == {}


def test_flow_version_change_migrates_and_keeps_answers(
    flow: Flow, engine_config: EngineConfig
) -> None:
    old = Conversation(flow=flow, config=engine_config)
    old.say(None)
    old.say("live")
    old.say("core")
    # Version 2 drops the option "core_feature" and renames nothing else.
    value = flow.question("value")
    assert value is not None
    new_value = replace(value, options=tuple(o for o in value.options if o.id != "core_feature"))
    v2 = replace(
        flow,
        version=2,
        questions=tuple(new_value if q.id == "value" else q for q in flow.questions),
    )
    new = Conversation(
        flow=v2, config=engine_config, session=old.session, at=old.at, count=old.count
    )
    replies = new.say("whatever they typed")
    assert codes(replies) == ["flow_migrated", "ask"]
    assert new.session is not None
    assert new.session.flow_version == 2 and new.session.answers == {"stage": "live"}
    ask = replies[1]
    assert isinstance(ask, Ask) and ask.question == "value"


def test_other_flow_restarts_with_notice(flow: Flow, engine_config: EngineConfig) -> None:
    old = Conversation(flow=flow, config=engine_config)
    old.say(None)
    old.say("live")
    other = replace(flow, id="another-flow")
    new = Conversation(
        flow=other, config=engine_config, session=old.session, at=old.at, count=old.count
    )
    assert codes(new.say("hi"))[:3] == ["flow_restarted", "intro", "ask"]
