"""Transcripts through the pure step function: every global command, typed answers and clicks."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from dialogs.engine import EngineConfig, step
from dialogs.flow import Flow
from dialogs.flow_loader import REQUIRED_MESSAGES
from dialogs.ids import QUESTION_IDS
from dialogs.replies import Answered, Ask, Help, Intro, Notice, Reply, Status, Summary, Why
from dialogs.turn import Click, Turn
from tests.support.answers import FULL_ANSWERS
from tests.support.conversation import KEY, Conversation, codes, kinds


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


def notice_texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Notice)]


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


def test_ambiguous_prefix_says_so_and_lists_only_the_candidates(chat: Conversation) -> None:
    chat.reach("current_gap")
    replies = chat.say("i")  # "Inconsistent..." and "It lacks..." and "It misreads..."
    notice = replies[0]
    assert isinstance(notice, Notice) and notice.code == "choice_ambiguous"
    assert notice.text.startswith("That fits more than one option: 2) It lacks our facts")
    assert "3) Inconsistent format" in notice.text and "4) It misreads" in notice.text
    assert "1)" not in notice.text and "5)" not in notice.text
    assert notice.echo == "i"


def test_ml_at_the_team_question_is_ambiguous_not_unknown(chat: Conversation) -> None:
    chat.reach("team")
    replies = chat.say("ml")
    notice = replies[0]
    assert isinstance(notice, Notice) and notice.code == "choice_ambiguous"
    assert notice.text == (
        "That fits more than one option: 3) ML engineers; 4) ML engineers with MLOps;"
        " 5) ML researchers. Type more of the name, or its number."
    )
    assert isinstance(replies[-1], Ask) and replies[-1].question == "team"
    assert chat.session is not None and "team" not in chat.session.answers


@pytest.mark.parametrize(
    ("typed", "tokens", "option", "label"),
    [
        ("5000000", 5_000_000, "under_10m", "Under 10 million"),
        ("5M", 5_000_000, "under_10m", "Under 10 million"),
        ("50k", 50_000, "under_10m", "Under 10 million"),
        ("2B", 2_000_000_000, "500m_10b", "500 million to 10 billion"),
        ("1.5e9", 1_500_000_000, "500m_10b", "500 million to 10 billion"),
        ("10m", 10_000_000, "10m_500m", "10 to 500 million"),
    ],
)
def test_a_figure_at_the_volume_question_picks_its_range_and_is_kept(
    chat: Conversation, typed: str, tokens: int, option: str, label: str
) -> None:
    chat.reach("volume")
    replies = chat.say(typed)
    assert codes(replies) == ["tokens_taken", "answered", "ask"]
    assert notice_texts(replies) == [
        f'{tokens:,} tokens a month: that is "{label}". The cost comparison will use your figure.'
    ]
    assert chat.session is not None
    assert chat.session.answers["volume"] == option
    assert chat.session.answers["monthly_tokens"] == str(tokens)
    # The figure answered the follow-up question, so it is not asked.
    assert isinstance(replies[-1], Ask) and replies[-1].question == "breadth"


def test_a_bound_at_the_volume_question_picks_a_range_and_asks_for_the_figure(
    chat: Conversation,
) -> None:
    chat.reach("volume")
    replies = chat.say("more than 500m")
    assert codes(replies) == ["figure_taken", "answered", "ask"]
    assert notice_texts(replies) == ['Over 500,000,000: that is "500 million to 10 billion".']
    assert isinstance(replies[-1], Ask) and replies[-1].question == "monthly_tokens"
    assert codes(chat.say("over 10b"))[0] == "invalid_number"  # a range, not a figure
    assert chat.session is not None and "monthly_tokens" not in chat.session.answers


def test_a_figure_that_disagrees_with_the_range_wins_and_says_so(chat: Conversation) -> None:
    chat.reach("volume")
    chat.say("Over 10 billion")
    assert chat.last_ask().question == "monthly_tokens"
    replies = chat.say("5B")
    assert codes(replies) == ["tokens_adjusted", "answered", "ask"]
    assert notice_texts(replies) == [
        '5,000,000,000 tokens a month is "500 million to 10 billion", not "Over 10 billion" as'
        " answered before. Your figure is kept, and Monthly volume now says"
        ' "500 million to 10 billion".'
    ]
    assert chat.session is not None
    assert chat.session.answers["volume"] == "500m_10b"
    assert chat.session.answers["monthly_tokens"] == "5000000000"


def test_a_figure_within_the_range_is_taken_without_comment(chat: Conversation) -> None:
    chat.reach("monthly_tokens")
    assert codes(chat.say("5B")) == ["answered", "ask"]
    assert chat.session is not None and chat.session.answers["volume"] == "500m_10b"


def test_editing_the_volume_with_a_figure_replaces_the_old_figure(chat: Conversation) -> None:
    answer_all(chat)
    chat.say("edit volume")
    replies = chat.say("5M")
    assert codes(replies) == ["tokens_taken", "answered", "summary"]
    summary = replies[-1]
    assert isinstance(summary, Summary) and summary.updated
    assert summary.assessment["cost"]["monthly_tokens"] == 5_000_000
    assert chat.session is not None and chat.session.answers["volume"] == "under_10m"


def test_a_range_that_contradicts_the_earlier_figure_asks_for_it_again(
    chat: Conversation,
) -> None:
    answer_all(chat)  # 500 million to 10 billion, and 2B
    chat.say("edit volume")
    ask = chat.last_ask()
    replies = chat.turn(click=Click(question="volume", option="over_10b", stamp=ask.stamp))
    assert codes(replies) == ["answered", "figure_cleared", "ask"]
    assert notice_texts(replies) == [
        'Your earlier figure of 2,000,000,000 tokens a month is not "Over 10 billion", so it has'
        " been cleared. Type a new figure, or skip."
    ]
    assert isinstance(replies[-1], Ask) and replies[-1].question == "monthly_tokens"
    assert chat.session is not None and "monthly_tokens" not in chat.session.answers
    summary = chat.say("20B")[-1]
    assert isinstance(summary, Summary) and summary.assessment["cost"]["monthly_tokens"] == 2e10
    # A range that holds the figure keeps it.
    chat.say("edit volume")
    assert codes(chat.say("over 10b")) == ["answered", "summary"]


@pytest.mark.parametrize(
    ("question", "typed", "option", "said"),
    [
        ("data_sensitivity", "air-gapped", "air_gapped", None),
        ("evals", "labeled test set", "labelled_set", 'Taking that as "A labelled test set".'),
        ("team", "app dev", "app_devs", None),
        ("team", "applic devel", "app_devs", 'Taking that as "Application developers".'),
        (
            "value",
            "a core prodcut feature",
            "core_feature",
            'Taking that as "A core product feature".',
        ),
        ("budget", "50k", "10k_100k", '50,000: that is "$10k to $100k, one to three months".'),
        ("volume", "over 10b", "over_10b", None),
    ],
)
def test_names_are_read_generously_and_a_guess_is_said(
    chat: Conversation, question: str, typed: str, option: str, said: str | None
) -> None:
    chat.reach(question)
    replies = chat.say(typed)
    answered = next(r for r in replies if isinstance(r, Answered))
    assert answered.question == question and answered.option == option
    assert notice_texts(replies) == ([said] if said else [])


@pytest.mark.parametrize(
    ("question", "typed"),
    [("stage", "banana"), ("stage", "life"), ("team", "engineers"), ("evals", "nope")],
)
def test_far_or_ambiguous_names_are_never_taken(
    chat: Conversation, question: str, typed: str
) -> None:
    chat.reach(question)
    replies = chat.say(typed)
    assert codes(replies)[0] in ("invalid_choice", "choice_ambiguous")
    assert chat.session is not None and question not in chat.session.answers


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


def codes_in(node: ast.expr) -> set[str]:
    """The notice codes an argument can be: a string, or either branch of a conditional."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return codes_in(node.body) | codes_in(node.orelse)
    return set()


def test_every_notice_the_engine_gives_is_required_of_a_flow() -> None:
    """A flow missing one fails when it is loaded, not in the middle of someone's turn."""
    used: set[str] = set()
    for module in ("engine.py", "reading.py"):
        tree = ast.parse((Path(__file__).parents[2] / "dialogs" / module).read_text())
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            if isinstance(call.func, ast.Attribute) and call.func.attr == "notice" and call.args:
                used |= codes_in(call.args[0])  # self.notice(code, ...)
            if isinstance(call.func, ast.Name) and call.func.id == "notice" and call.args[1:]:
                used |= codes_in(call.args[1])  # notice(flow, code, ...)
    assert {"choice_ambiguous", "tokens_adjusted", "edit_unknown", "restart_kept"} <= used
    assert used - set(REQUIRED_MESSAGES) == set()
