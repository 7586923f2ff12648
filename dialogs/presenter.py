"""Build the replies a person sees (question, status, summary, help) from a session."""

from __future__ import annotations

from dialogs.assessment import assess
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow, Question
from dialogs.replies import AnswerView, Ask, CommandView, Help, Intro, OptionView, Status, Summary
from dialogs.session import Session


def stamp(session: Session) -> str:
    """Ties a button to one showing of one question in one session."""
    return f"{session.id}.{session.asked}"


def options(question: Question) -> tuple[OptionView, ...]:
    return tuple(
        OptionView(number=i, id=o.id, label=o.label) for i, o in enumerate(question.options, 1)
    )


def commands(flow: Flow) -> tuple[CommandView, ...]:
    return tuple(CommandView(name=c.name, text=c.text) for c in flow.commands)


def intro(flow: Flow) -> Intro:
    return Intro(title=flow.title, text=flow.intro, commands=commands(flow))


def help_view(flow: Flow) -> Help:
    return Help(text=flow.title, commands=commands(flow))


def ask(flow: Flow, session: Session) -> Ask:
    assert session.current is not None
    question = flow.question(session.current)
    assert question is not None
    applicable = flow.applicable(session.answers)
    position = next((i for i, q in enumerate(applicable, 1) if q.id == question.id), 1)
    current = session.answers.get(question.id)
    if question.input == "number":
        current_label = f"{int(current):,}" if current is not None and current.isdigit() else None
    else:
        current_label = question.label(current) if current is not None else None
    return Ask(
        question=question.id,
        prompt=question.prompt,
        why=question.why,
        position=position,
        total=len(applicable),
        options=options(question),
        input=question.input,
        current=current,
        current_label=current_label,
        skippable=question.skippable,
        stamp=stamp(session),
    )


def answer_views(flow: Flow, session: Session) -> tuple[AnswerView, ...]:
    out: list[AnswerView] = []
    for q in flow.applicable(session.answers):
        value = session.answers.get(q.id)
        if value is None:
            continue
        label = f"{int(value):,}" if q.input == "number" and value.isdigit() else q.label(value)
        out.append(AnswerView(question=q.id, short=q.short, option=value, label=label))
    return tuple(out)


def skipped_shorts(flow: Flow, session: Session) -> tuple[str, ...]:
    applicable = {q.id for q in flow.applicable(session.answers)}
    return tuple(q.short for q in flow.questions if q.id in session.skipped and q.id in applicable)


def status(flow: Flow, session: Session) -> Status:
    applicable = flow.applicable(session.answers)
    done = sum(1 for q in applicable if q.id in session.answers or q.id in session.skipped)
    current = flow.question(session.current) if session.current else None
    return Status(
        answered_count=done,
        total=len(applicable),
        state=session.state,
        current_prompt=current.prompt if current else None,
        answers=answer_views(flow, session),
        skipped=skipped_shorts(flow, session),
    )


def summary(flow: Flow, session: Session, costs: CostAssumptions, *, updated: bool) -> Summary:
    applicable = {q.id for q in flow.applicable(session.answers)}
    skipped = tuple(q for q in session.skipped if q in applicable)
    return Summary(
        assessment=assess(flow, session.answers, skipped=skipped, costs=costs),
        answers=answer_views(flow, session),
        skipped=skipped_shorts(flow, session),
        updated=updated,
    )
