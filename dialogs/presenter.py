"""Build the replies a person sees (question, status, summary, help) from a session."""

from __future__ import annotations

from collections.abc import Mapping

from dialogs.assessment import assess
from dialogs.changes import change
from dialogs.cost import CostAssumptions
from dialogs.flow import Answers, Flow, Question
from dialogs.glossary import load_glossary
from dialogs.replies import (
    AnswerView,
    Ask,
    CommandView,
    Help,
    Intro,
    Notice,
    OptionView,
    Status,
    Summary,
    TermView,
)
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


# Issue 16: the intro offers both ways in on every platform (the description is typed there).
TWO_WAYS = (
    "Two ways in: answer the questions step by step, or type describe and tell me about your "
    "situation in a few sentences of your own. You confirm what I understood, then I ask only "
    "what it left open."
)


def intro(flow: Flow) -> Intro:
    return Intro(title=flow.title, text=f"{flow.intro}\n\n{TWO_WAYS}", commands=commands(flow))


def help_view(flow: Flow, term: str = "") -> Help | Notice:
    """The commands; with a term, what it means, or a notice listing the terms we explain."""
    if not term:
        return Help(text=flow.title, commands=commands(flow))
    glossary = load_glossary()
    entry = glossary.lookup(term)
    if entry is None:
        text = flow.message("unknown_term", terms=", ".join(glossary.terms))
        return Notice(code="unknown_term", text=text, level="warning", echo=term[:200])
    found = TermView(term=entry.term, meaning=entry.meaning)
    return Help(text=flow.title, commands=commands(flow), term=found)


def counted(flow: Flow, session: Session) -> tuple[Question, ...]:
    """The questions the counter counts: those asked, and those that may still be asked because
    their `ask_if` waits on a question not answered yet. Answers only ever rule questions out of
    this, so a follow-up appearing never raises the total under the person's feet."""
    possible: set[str] = set()
    out: list[Question] = []
    for q in flow.questions:
        # `ask_if` names earlier questions only (flow_reader checks), so `possible` has them.
        if all(
            session.answers.get(dep) in allowed
            or (dep not in session.answers and dep not in session.skipped and dep in possible)
            for dep, allowed in q.ask_if.require.items()
        ):
            possible.add(q.id)
            out.append(q)
    return tuple(out)


def ask(flow: Flow, session: Session) -> Ask:
    assert session.current is not None
    question = flow.question(session.current)
    assert question is not None
    questions = counted(flow, session)
    position = next((i for i, q in enumerate(questions, 1) if q.id == question.id), 1)
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
        total=len(questions),
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
    questions = counted(flow, session)
    done = sum(1 for q in questions if q.id in session.answers or q.id in session.skipped)
    current = flow.question(session.current) if session.current else None
    return Status(
        answered_count=done,
        total=len(questions),
        state=session.state,
        current_prompt=current.prompt if current else None,
        answers=answer_views(flow, session),
        skipped=skipped_shorts(flow, session),
    )


def described(flow: Flow, session: Session) -> tuple[str, ...]:
    """The short names of the answers that came from a description (dialogs.intake_dialog) and
    still stand."""
    given = session.intake.get("described") if isinstance(session.intake, Mapping) else None
    if not isinstance(given, Mapping):
        return ()
    return tuple(
        q.short
        for q in flow.questions
        if q.id in given and session.answers.get(q.id) == given[q.id]
    )


def summary(
    flow: Flow,
    session: Session,
    costs: CostAssumptions,
    *,
    updated: bool,
    before: Answers | None = None,
) -> Summary:
    """The summary card; after an edit (`before`: the answers at the previous summary), it
    also says what changed."""
    applicable = {q.id for q in flow.applicable(session.answers)}
    skipped = tuple(q for q in session.skipped if q in applicable)
    assessment = assess(flow, session.answers, skipped=skipped, costs=costs)
    changed = None
    if before is not None:
        earlier = assess(flow, before, costs=costs)
        changed = change(
            flow,
            before,
            session.answers,
            recommendation_before=earlier["recommendation"],
            recommendation_after=assessment["recommendation"],
        )
    return Summary(
        assessment=assessment,
        answers=answer_views(flow, session),
        skipped=skipped_shorts(flow, session),
        updated=updated,
        stamp=stamp(session),
        changed=changed,
        described=described(flow, session),
    )
