"""Transcripts through the pure step function: the intro, answering every question, and a
session's life (expiry, purity, flow changes); reading typed answers and the global commands are
in test_engine_reading.py and test_engine_commands.py."""

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
from dialogs.replies import Answered, Ask, Intro, Notice
from dialogs.turn import Turn
from tests.dialogs.transcript_helpers import answer_all
from tests.support.answers import FULL_ANSWERS
from tests.support.conversation import KEY, Conversation, codes, kinds


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


def test_branching_skips_monthly_tokens_when_volume_is_unknown(chat: Conversation) -> None:
    chat.say(None)
    for q in ("stage", "value", "current_gap", "knowledge_change", "data_sensitivity", "latency"):
        chat.say(FULL_ANSWERS[q])
    replies = chat.say("not sure")
    assert isinstance(replies[-1], Ask) and replies[-1].question == "breadth"


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
