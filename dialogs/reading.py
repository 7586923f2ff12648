"""Reading a typed answer in the light of the answers so far: the answer it gives, any other
answer it settles, and what to tell the person about how it was read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from dialogs import presenter
from dialogs.commands import Figure, parse_tokens
from dialogs.flow import Answers, Flow, Question
from dialogs.matching import in_range, match_option, option_for, option_range
from dialogs.replies import Notice

Level = Literal["info", "warning", "error"]
ECHO_LENGTH = 200


def notice(
    flow: Flow, code: str, *, level: Level = "info", echo: str | None = None, **params: object
) -> Notice:
    return Notice(code=code, text=flow.message(code, **params), level=level, echo=echo)


@dataclass(frozen=True, kw_only=True)
class Reading:
    """`value` answers the question (None: the text gave no answer, and `notes` say why);
    `also` holds other answers the text settles; `notes` come before the answer's echo."""

    value: str | None
    also: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[Notice, ...] = ()


def read_answer(flow: Flow, answers: Answers, question: Question, text: str) -> Reading:
    if question.input == "number":
        return _read_number(flow, answers, question, text)
    return _read_choice(flow, answers, question, text)


def looks_like_answer(question: Question, text: str) -> bool:
    if question.input == "number":
        return parse_tokens(text) is not None
    return match_option(question, text).option is not None


def _read_choice(flow: Flow, answers: Answers, question: Question, text: str) -> Reading:
    match = match_option(question, text)
    echo = text[:ECHO_LENGTH]
    if match.option is None:
        views = presenter.options(question)
        if len(match.candidates) > 1:
            listed = "; ".join(f"{v.number}) {v.label}" for v in views if v.id in match.candidates)
            ambiguous = notice(flow, "choice_ambiguous", level="warning", echo=echo, options=listed)
            return Reading(value=None, notes=(ambiguous,))
        invalid = notice(flow, "invalid_choice", level="warning", echo=echo)
        return Reading(value=None, notes=(replace(invalid, choices=views),))
    label = question.label(match.option)
    figure = match.figure
    if figure is not None and not figure.qualifier:
        follow_up = _follow_up(flow, {**answers, question.id: match.option}, question)
        if follow_up is not None:
            taken = notice(flow, "tokens_taken", figure=f"{figure.value:,}", label=label)
            also = {follow_up.id: str(figure.value)}
            return Reading(value=match.option, also=also, notes=(taken,))
    if not match.loose:
        return Reading(value=match.option)
    if figure is None:
        return Reading(value=match.option, notes=(notice(flow, "choice_taken", label=label),))
    said = f"{figure.qualifier} {figure.value:,}".strip()
    taken = notice(flow, "figure_taken", figure=said[:1].upper() + said[1:], label=label)
    return Reading(value=match.option, notes=(taken,))


def _follow_up(flow: Flow, answers: Answers, question: Question) -> Question | None:
    """The one number question asked because of this answer: a figure typed here answers it."""
    found = [
        q
        for q in flow.questions
        if q.input == "number" and question.id in q.ask_if.require and q.ask_if.holds(answers)
    ]
    return found[0] if len(found) == 1 else None


def _read_number(flow: Flow, answers: Answers, question: Question, text: str) -> Reading:
    tokens = parse_tokens(text)
    if tokens is None:
        invalid = notice(flow, "invalid_number", level="warning", echo=text[:ECHO_LENGTH])
        return Reading(value=None, notes=(invalid,))
    # The figure wins over a range picked before it (asked because of it): that answer moves to
    # the range the figure is in, and the person is told.
    also: dict[str, str] = {}
    notes: list[Notice] = []
    for gate_id, allowed in question.ask_if.require.items():
        gate = flow.question(gate_id)
        current = answers.get(gate_id)
        if gate is None or current is None or option_range(current) is None:
            continue
        fitting = option_for(gate, Figure(value=tokens))
        if in_range(current, tokens) or fitting is None or fitting not in allowed:
            continue
        also[gate_id] = fitting
        notes.append(
            notice(
                flow,
                "tokens_adjusted",
                figure=f"{tokens:,}",
                old=gate.label(current),
                new=gate.label(fitting),
                short=gate.short,
            )
        )
    return Reading(value=str(tokens), also=also, notes=tuple(notes))


def stale_figures(
    flow: Flow, answers: Answers, question: Question, value: str
) -> tuple[frozenset[str], tuple[Notice, ...]]:
    """The figures (and notices saying so) that answering `question` with the range `value`
    contradicts: "Over 10 billion" picked again after a figure of 2B. They are cleared, to be
    asked again."""
    if option_range(value) is None:
        return frozenset(), ()
    cleared: set[str] = set()
    notes: list[Notice] = []
    for q in flow.questions:
        figure = answers.get(q.id, "")
        if q.input != "number" or question.id not in q.ask_if.require or not figure.isdigit():
            continue
        if not in_range(value, int(figure)):
            cleared.add(q.id)
            label = question.label(value)
            notes.append(notice(flow, "figure_cleared", figure=f"{int(figure):,}", label=label))
    return frozenset(cleared), tuple(notes)
