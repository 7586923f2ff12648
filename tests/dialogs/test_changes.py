"""After an edit the updated summary starts with what changed: the answers the person changed
(old -> new) and how the recommendation moved, or that the advice stays the same."""

from __future__ import annotations

from typing import Any

import pytest

from bot.render import Renderer, create_environment
from bot.slack.render import SlackRenderer
from bot.teams.render import TeamsRenderer
from dialogs.assessment import assess
from dialogs.engine import EngineConfig
from dialogs.flow import Flow, Question
from dialogs.replies import AnswerChange, Summary
from dialogs.session import Session
from tests.support.answers import FULL_ANSWERS
from tests.support.block_kit import MAX_MESSAGE_BLOCKS, check_blocks
from tests.support.conversation import Conversation
from tests.support.schemas import validate_adaptive_card


def finished(flow: Flow, config: EngineConfig) -> Conversation:
    chat = Conversation(flow=flow, config=config)
    chat.finish()
    return chat


def summary_of(replies: list[Any]) -> Summary:
    return next(r for r in replies if isinstance(r, Summary))


def editable(flow: Flow) -> list[Question]:
    """Choice questions whose answer rules no other question in or out (one edit, one answer)."""
    applicable = flow.applicable(FULL_ANSWERS)
    return [q for q in applicable if q.input == "choice" and q.id not in flow.gates]


def recommendation(flow: Flow, config: EngineConfig, answers: dict[str, str]) -> Any:
    return assess(flow, answers, costs=config.costs)["recommendation"]


def find_edit(flow: Flow, config: EngineConfig, *, moves: bool) -> tuple[Question, str]:
    """An answer that moves the recommendation (or one that leaves it where it is), found
    through the assessment itself, so this holds whatever the scoring's details."""
    before = recommendation(flow, config, dict(FULL_ANSWERS))
    keys = ("depth", "hosting", "components")
    for q in editable(flow):
        for option in q.options:
            if option.id == FULL_ANSWERS[q.id]:
                continue
            after = recommendation(flow, config, {**FULL_ANSWERS, q.id: option.id})
            if any(after[k] != before[k] for k in keys) == moves:
                return q, option.id
    raise AssertionError("no such edit")


def test_the_first_summary_says_nothing_changed(flow: Flow, engine_config: EngineConfig) -> None:
    chat = finished(flow, engine_config)
    assert summary_of(chat.log).changed is None


def test_an_edit_that_moves_the_advice_says_what_changed_and_how(
    flow: Flow, engine_config: EngineConfig
) -> None:
    question, option = find_edit(flow, engine_config, moves=True)
    chat = finished(flow, engine_config)
    chat.say(f"edit {question.id}")
    summary = summary_of(chat.say(option))
    assert summary.updated and summary.changed is not None
    old = question.label(FULL_ANSWERS[question.id])
    assert summary.changed.answers == (
        AnswerChange(short=question.short, before=old, after=question.label(option)),
    )
    assert not summary.changed.same
    s = flow.scoring
    before = recommendation(flow, engine_config, dict(FULL_ANSWERS))
    after = summary.assessment["recommendation"]
    moved = {m.what: (m.before, m.after) for m in summary.changed.moves}
    if before["depth"] != after["depth"]:
        depth_labels = {d.value: r.label for d, r in s.depths.items()}
        assert moved["How far to change the model"] == (
            depth_labels[before["depth"]],
            depth_labels[after["depth"]],
        )
    if before["hosting"] != after["hosting"]:
        hosting_labels = {h.value: r.label for h, r in s.hostings.items()}
        assert moved["Where it runs"] == (
            hosting_labels[before["hosting"]],
            hosting_labels[after["hosting"]],
        )
    # Shown once: the summary shown again later is the summary, not a change report.
    assert summary_of(chat.say("results")).changed is None


def test_an_edit_that_leaves_the_advice_says_it_stays_the_same(
    flow: Flow, engine_config: EngineConfig
) -> None:
    question, option = find_edit(flow, engine_config, moves=False)
    chat = finished(flow, engine_config)
    chat.say(f"edit {question.id}")
    changed = summary_of(chat.say(option)).changed
    assert changed is not None and changed.same and changed.moves == ()
    assert [a.short for a in changed.answers] == [question.short]


def test_picking_the_same_answer_again_changes_nothing(
    flow: Flow, engine_config: EngineConfig
) -> None:
    chat = finished(flow, engine_config)
    chat.say("edit budget")
    changed = summary_of(chat.say(FULL_ANSWERS["budget"])).changed
    assert changed is not None and changed.answers == () and changed.same


def test_going_back_from_the_summary_counts_as_an_edit(
    flow: Flow, engine_config: EngineConfig
) -> None:
    chat = finished(flow, engine_config)
    chat.say("back")
    assert chat.session is not None and chat.session.current is not None
    question = flow.question(chat.session.current)
    assert question is not None
    other = next(o.id for o in question.options if o.id != FULL_ANSWERS[question.id])
    changed = summary_of(chat.say(other)).changed
    assert changed is not None and [a.short for a in changed.answers] == [question.short]


def test_the_edit_survives_the_session_document_and_old_documents_load(
    flow: Flow, engine_config: EngineConfig
) -> None:
    question, option = find_edit(flow, engine_config, moves=True)
    chat = finished(flow, engine_config)
    chat.say(f"edit {question.id}")
    assert chat.session is not None
    doc = chat.session.to_document()
    assert doc["before_edit"] == dict(FULL_ANSWERS)
    chat.session = Session.from_document(doc)
    changed = summary_of(chat.say(option)).changed
    assert changed is not None and changed.answers
    assert chat.session is not None and chat.session.before_edit is None

    # A document written before this field existed: it loads, and the edit still completes.
    chat = finished(flow, engine_config)
    chat.say(f"edit {question.id}")
    assert chat.session is not None
    old = {k: v for k, v in chat.session.to_document().items() if k != "before_edit"}
    chat.session = Session.from_document(old)
    summary = summary_of(chat.say(option))
    assert summary.updated and summary.changed is None


@pytest.fixture
def moved_summary(flow: Flow, engine_config: EngineConfig) -> Summary:
    question, option = find_edit(flow, engine_config, moves=True)
    chat = finished(flow, engine_config)
    chat.say(f"edit {question.id}")
    return summary_of(chat.say(option))


@pytest.fixture
def same_summary(flow: Flow, engine_config: EngineConfig) -> Summary:
    question, option = find_edit(flow, engine_config, moves=False)
    chat = finished(flow, engine_config)
    chat.say(f"edit {question.id}")
    return summary_of(chat.say(option))


def test_slack_card_starts_with_what_changed(
    flow: Flow, moved_summary: Summary, same_summary: Summary
) -> None:
    renderer = SlackRenderer(env=create_environment(), flow=flow)
    payload = renderer.reply(moved_summary, owner="U1", in_thread=False)
    blocks = payload["blocks"]
    assert check_blocks(blocks, where="summary", max_blocks=MAX_MESSAGE_BLOCKS) == []
    assert blocks[0]["type"] == "header" and blocks[1]["block_id"] == "changed"
    text = blocks[1]["text"]["text"]
    assert text.startswith("*What changed*")
    assert moved_summary.changed is not None
    for a in moved_summary.changed.answers:
        assert f"{a.before} → {a.after}" in text
    for m in moved_summary.changed.moves:
        assert f"{m.what}: {m.before} → {m.after}" in text
    same = renderer.reply(same_summary, owner="U1", in_thread=False)["blocks"][1]
    assert "The advice stays the same." in same["text"]["text"]
    first = SlackRenderer(env=create_environment(), flow=flow)
    plain = moved_summary.__class__(
        assessment=moved_summary.assessment,
        answers=moved_summary.answers,
        skipped=(),
        stamp="s",
    )
    ids = [b.get("block_id") for b in first.reply(plain, owner="U1", in_thread=False)["blocks"]]
    assert "changed" not in ids


def test_teams_card_starts_with_what_changed(
    flow: Flow, moved_summary: Summary, same_summary: Summary
) -> None:
    renderer = TeamsRenderer(env=create_environment(), flow=flow)
    card = renderer.card(moved_summary, owner="a", owner_name="A", in_thread=False)
    assert validate_adaptive_card(card) == []
    assert card["body"][1]["text"] == "What changed"
    assert moved_summary.changed is not None
    first = moved_summary.changed.answers[0]
    assert f"{first.short}: {first.before} → {first.after}" in card["body"][2]["text"]
    assert card["body"][3]["text"] == "How the advice moved"
    same = renderer.card(same_summary, owner="a", owner_name="A", in_thread=False)
    assert validate_adaptive_card(same) == []
    assert same["body"][3]["text"] == "The advice stays the same."


def test_terminal_summary_starts_with_what_changed(
    flow: Flow, moved_summary: Summary, same_summary: Summary
) -> None:
    renderer = Renderer(env=create_environment(), flow=flow, folder="console")
    lines = renderer.render("summary.txt.j2", r=moved_summary).splitlines()
    title = next(i for i, line in enumerate(lines) if "UPDATED SUMMARY" in line)
    assert lines[title + 1] == "What changed"
    assert moved_summary.changed is not None
    first = moved_summary.changed.answers[0]
    assert lines[title + 2] == f"  * {first.short}: {first.before} -> {first.after}"
    assert "How the advice moved" in lines
    same = renderer.render("summary.txt.j2", r=same_summary)
    assert "The advice stays the same." in same
