"""What an edit changed: the answers a person changed after their summary, and how the
recommendation moved. Both recommendations come from `dialogs.assessment.assess`, so this never
re-implements the scoring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.flow import Answers, Flow, Question
from dialogs.ids import Component, Depth, Hosting
from dialogs.replies import AnswerChange, Change, Move
from dialogs.session import Session, State

# The parts of the recommendation, as the summary card names them.
DEPTH = "How far to change the model"
HOSTING = "Where it runs"
COMPONENTS = "Add"
NO_ANSWER = "no answer"
NOTHING = "nothing else"


def edit_snapshot(session: Session) -> Mapping[str, str] | None:
    """The answers to compare against when an edit starts now: those of the summary on screen
    (an edit from a finished session), or those kept when the edit began (mid-edit)."""
    if session.state == State.DONE:
        return dict(session.answers)
    return session.before_edit


def _label(question: Question, value: str | None) -> str:
    if value is None:
        return NO_ANSWER
    if question.input == "number":
        return f"{int(value):,}" if value.isdigit() else value
    return question.label(value)


def answer_changes(flow: Flow, before: Answers, after: Answers) -> tuple[AnswerChange, ...]:
    """Each question whose answer differs, in the flow's order, with its old and new labels."""
    out: list[AnswerChange] = []
    for q in flow.questions:
        old, new = before.get(q.id), after.get(q.id)
        if old != new:
            out.append(AnswerChange(short=q.short, before=_label(q, old), after=_label(q, new)))
    return tuple(out)


def _labels(flow: Flow, rec: Mapping[str, Any]) -> tuple[str, str, str]:
    s = flow.scoring
    depth = s.depths[Depth(rec["depth"])].label
    hosting = s.hostings[Hosting(rec["hosting"])].label
    parts = [s.component_labels.get(Component(c), str(c)) for c in rec.get("components", ())]
    return depth, hosting, ", ".join(parts) if parts else NOTHING


def moves(flow: Flow, before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[Move, ...]:
    """How the recommendation moved between two assessments' `recommendation` objects."""
    out: list[Move] = []
    for what, old, new in zip(
        (DEPTH, HOSTING, COMPONENTS), _labels(flow, before), _labels(flow, after), strict=True
    ):
        if old != new:
            out.append(Move(what=what, before=old, after=new))
    return tuple(out)


def change(
    flow: Flow,
    before: Answers,
    after: Answers,
    *,
    recommendation_before: Mapping[str, Any],
    recommendation_after: Mapping[str, Any],
) -> Change:
    return Change(
        answers=answer_changes(flow, before, after),
        moves=moves(flow, recommendation_before, recommendation_after),
    )
