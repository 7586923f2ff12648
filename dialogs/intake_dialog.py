"""The chat side of the free-text intake (issue 16): "describe", a paragraph, one review of what
it settled with the words each answer came from, then only the questions still open.

Nothing from a description is used until the person confirms it ("yes"); "change <question>"
(optionally with the answer: "change stage live") corrects one answer first, "no" drops them
all. An answer the person gave themselves is never replaced by one read from a description.
The session keeps the review in `session.intake` while it is pending (`session.pending` is
`describe`, `intake` or `intake:<question>`), then only the answers the description gave, so the
summary can say which came from it.

Buttons take the same paths: the intro's "describe", the review's yes/no, and its change
controls (answer clicks bound to the review's stamp: `clicked`). A reading of the description
made before the step by an optional model (dialogs.intake_reader) is used in place of the
rules' when the step is handed one for this very text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from dialogs import presenter
from dialogs.commands import YES, normalise, parse_command
from dialogs.flow import Flow, Question
from dialogs.ids import MONTHLY_TOKENS
from dialogs.intake import extract, still_open
from dialogs.matching import in_range
from dialogs.reading import read_answer
from dialogs.replies import IntakeDone, IntakeItem, IntakePrompt, IntakeReview, Reply
from dialogs.session import Session, State

if TYPE_CHECKING:
    from dialogs.intake_reader import PreRead

Replies = list[Reply]

STARTERS = frozenset(
    {"describe", "describe my situation", "describe your situation", "describe it"}
    | {"in my own words", "let me describe"}
)
WAITING = "describe"
REVIEW = "intake"
CHANGING = "intake:"
NO = frozenset({"no", "n", "drop", "drop them", "no thanks"})
# Commands that leave a review pending: they show something and come back to it.
KEEPS_REVIEW = frozenset({"help", "why", "status"})
MAX_DESCRIPTION_LENGTH = 4000
# A change control's option for a question no control can hold (a figure): ask it.
ASK_AGAIN = "ask"
EXAMPLE = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k."
)


class Step(Protocol):
    """What this module needs of the engine's step (dialogs.engine._Step)."""

    flow: Flow
    # Who reads descriptions (the notice before typing) and this turn's reading of one done
    # before the step (the model's; dialogs.intake_reader), if any.
    reader_name: str
    reading: PreRead | None

    def show(self, session: Session) -> Replies: ...

    def go_to(self, session: Session, question: str | None) -> tuple[Session, Replies]: ...


def wants(session: Session, text: str) -> bool:
    """Whether this text is the intake's to handle."""
    pending = session.pending or ""
    if pending in (WAITING, REVIEW) or pending.startswith(CHANGING):
        return True
    return session.state == State.ASKING and normalise(text) in STARTERS


def fits(session: Session, name: str) -> bool:
    """Whether a button's command still applies: "describe" while asking, "change <question>
    <answer>" while its review is pending."""
    if name in STARTERS:  # once: a second click while the description is awaited is stale
        return session.state == State.ASKING and session.pending != WAITING
    return name.startswith("change ") and session.pending == REVIEW


def handle(step: Step, session: Session, text: str) -> tuple[Session, Replies | None]:
    """The new session and replies; replies None: the engine handles the text as usual (a
    command), on the session returned."""
    pending = session.pending or ""
    norm = normalise(text)
    if norm in STARTERS and session.state == State.ASKING:
        return begin(step, session)
    command = parse_command(text)
    if pending == WAITING:
        if command is not None:
            return _dropped(session), None
        return read(step, session, text)
    if pending.startswith(CHANGING):
        question = step.flow.question(pending.removeprefix(CHANGING))
        if command is not None or question is None:
            return replace(session, pending=REVIEW), None
        return _changed(step, session, question, text)
    # The review is pending.
    if norm in YES:
        return confirm(step, session)
    if norm in NO:
        dropped = _dropped(session)
        return dropped, [IntakeDone(used=0, dropped=True), *step.show(dropped)]
    if norm == "change" or norm.startswith("change "):
        return change(step, session, text.strip()[len("change") :].strip())
    if command is not None:
        return (session if command.name in KEEPS_REVIEW else _dropped(session)), None
    return session, [IntakeDone(used=0, hint=True), review(step.flow, session)]


def begin(step: Step, session: Session) -> tuple[Session, Replies]:
    waiting = replace(session, pending=WAITING, intake=None)
    return waiting, [prompt(step)]


def prompt(step: Step) -> IntakePrompt:
    """The request for a description, saying who will read it."""
    return IntakePrompt(examples=(EXAMPLE,), reader=step.reader_name)


def read(step: Step, session: Session, text: str) -> tuple[Session, Replies]:
    """Read the paragraph and show what it settled, to be confirmed."""
    flow = step.flow
    if not text.strip():
        return session, [IntakePrompt(examples=(EXAMPLE,), again=True)]
    if len(text) > MAX_DESCRIPTION_LENGTH:
        return session, [IntakePrompt(too_long=MAX_DESCRIPTION_LENGTH)]
    pre = step.reading if step.reading is not None and step.reading.text == text.strip() else None
    intake = pre.intake if pre is not None else extract(flow, text)
    resting = pre is not None and pre.source == "resting"
    proposed = {q: f for q, f in intake.found.items() if q not in session.answers}
    if not proposed:
        dropped = _dropped(session)
        return dropped, [IntakeDone(used=0, nothing=True, resting=resting), *step.show(dropped)]
    state = {
        "proposed": {q: f.answer for q, f in proposed.items()},
        "evidence": {q: f.evidence for q, f in proposed.items()},
        "changed": [],
        "conflicts": [q for q in intake.conflicts if q not in session.answers],
    }
    # Each showing of the review has its own stamp: a button of an earlier one acts on nothing.
    pending = replace(session, pending=REVIEW, intake=state, asked=session.asked + 1)
    return pending, [replace(review(flow, pending), resting=resting)]


def review(flow: Flow, session: Session) -> IntakeReview:
    state = _state(flow, session)
    proposed: dict[str, str] = state["proposed"]
    items: list[IntakeItem] = []
    for question in flow.questions:
        answer = proposed.get(question.id)
        if answer is None:
            continue
        items.append(
            IntakeItem(
                question=question.id,
                short=question.short,
                option=answer,
                label=_label(question, answer),
                evidence=state["evidence"].get(question.id, ""),
                changed=question.id in state["changed"],
            )
        )
    answers = {**session.answers, **proposed}
    # A skipped question is not asked again, nor one that hangs on it (the walk skips both).
    open_ = still_open(flow, answers, session.skipped)
    return IntakeReview(
        items=tuple(items),
        open=tuple(_short(flow, q) for q in open_),
        conflicts=tuple(_short(flow, q) for q in state["conflicts"] if q in open_),
        stamp=presenter.stamp(session),
    )


def change(step: Step, session: Session, arg: str) -> tuple[Session, Replies]:
    """`change <question> [answer]`: pick another answer for one question of the review."""
    flow = step.flow
    state = _state(flow, session)
    reviewed = [q for q in flow.questions if q.id in state["proposed"]]
    words = arg.split()
    # The longest start of the words that names a question; the rest is the answer.
    for cut in range(len(words), 0, -1):
        question = _find(reviewed, " ".join(words[:cut]))
        if question is not None:
            rest = " ".join(words[cut:])
            if rest:
                return _changed(step, session, question, rest)
            asking = replace(session, pending=f"{CHANGING}{question.id}")
            return asking, [_ask(flow, asking, question)]
    return session, [IntakeDone(used=0, hint=True), review(flow, session)]


def confirm(step: Step, session: Session) -> tuple[Session, Replies]:
    """Use the reviewed answers (never over one the person gave) and go to the first open
    question, or to the summary when none is left."""
    state = _state(step.flow, session)
    use = {q: a for q, a in state["proposed"].items() if q not in session.answers}
    described = {q: a for q, a in use.items() if q not in state["changed"]}
    order = [q.id for q in step.flow.questions]
    used = replace(
        session,
        answers={**session.answers, **use},
        skipped=tuple(q for q in session.skipped if q not in use),
        history=(*session.history, *sorted(use, key=order.index)),
        pending=None,
        intake={"described": described},
    )
    target = next_open(step.flow, used)
    moved, shown = step.go_to(used, target)
    return moved, [IntakeDone(used=len(use)), *shown]


def next_open(flow: Flow, session: Session) -> str | None:
    for question in flow.applicable(session.answers):
        if question.id not in session.answers and question.id not in session.skipped:
            return question.id
    return None


def clicked(step: Step, session: Session, qid: str, option: str) -> tuple[Session, Replies]:
    """A review's change control (its stamp is the current one): the option picked for one
    reviewed question, or (a figure, which a control cannot hold) that question asked."""
    state = _state(step.flow, session)
    question = step.flow.question(qid)
    if question is None or qid not in state["proposed"]:
        return session, [IntakeDone(used=0, hint=True), review(step.flow, session)]
    if question.input == "number" and option.strip() not in ("", ASK_AGAIN):  # a typed figure
        return _changed(step, session, question, option)
    if question.option(option) is not None:
        return _set(step.flow, session, {qid: option})
    asking = replace(session, pending=f"{CHANGING}{qid}")
    return asking, [_ask(step.flow, asking, question)]


def _changed(
    step: Step, session: Session, question: Question, text: str
) -> tuple[Session, Replies]:
    flow = step.flow
    proposed = _state(flow, session)["proposed"]
    reading = read_answer(flow, {**session.answers, **proposed}, question, text)
    if reading.value is None:
        asking = replace(session, pending=f"{CHANGING}{question.id}")
        return asking, [*reading.notes, _ask(flow, asking, question)]
    return _set(flow, session, {question.id: reading.value, **(reading.also or {})})


def _set(flow: Flow, session: Session, settled: dict[str, str]) -> tuple[Session, Replies]:
    """The review again, with the person's answers `settled` (a question and what it also
    settles) in place of what the description said; a new stamp, so older controls are stale."""
    state = _state(flow, session)
    proposed = {**state["proposed"], **settled}
    figure = proposed.get(MONTHLY_TOKENS)
    volume = proposed.get("volume")
    if figure is not None and volume is not None and not in_range(volume, int(figure)):
        del proposed[MONTHLY_TOKENS]  # a figure the new range does not hold is asked again
    changed = sorted({*state["changed"], *settled})
    new_state = {**state, "proposed": proposed, "changed": changed}
    new_state["evidence"] = {q: e for q, e in state["evidence"].items() if q not in changed}
    updated = replace(session, pending=REVIEW, intake=new_state, asked=session.asked + 1)
    return updated, [review(flow, updated)]


def _ask(flow: Flow, session: Session, question: Question) -> Reply:
    """The question as asked in the walk (its options, typed or clicked), for a correction."""
    return presenter.ask(flow, replace(session, current=question.id))


def _dropped(session: Session) -> Session:
    return replace(session, pending=None, intake=None)


def _state(flow: Flow, session: Session) -> dict[str, Any]:
    """The pending review, read leniently: what is malformed, or not an answer the flow has,
    reads as absent (a stored document is never trusted to hold valid answers)."""
    raw = session.intake if isinstance(session.intake, Mapping) else {}
    proposed = raw.get("proposed")
    evidence = raw.get("evidence")
    valid = {
        str(q): a
        for q, a in (proposed.items() if isinstance(proposed, Mapping) else ())
        if isinstance(a, str) and _valid(flow, str(q), a)
    }
    return {
        "proposed": valid,
        "evidence": {
            str(q): e
            for q, e in (evidence.items() if isinstance(evidence, Mapping) else ())
            if isinstance(e, str)
        },
        "changed": _ids(raw.get("changed")),
        "conflicts": _ids(raw.get("conflicts")),
    }


def _valid(flow: Flow, qid: str, answer: str) -> bool:
    question = flow.question(qid)
    if question is None:
        return False
    if question.input == "number":
        return answer.isdigit()
    return question.option(answer) is not None


def _ids(value: object) -> list[str]:
    return [q for q in value if isinstance(q, str)] if isinstance(value, list | tuple) else []


def _find(questions: list[Question], arg: str) -> Question | None:
    key = normalise(arg)
    for q in questions:
        if key in (q.id, q.id.replace("_", " "), normalise(q.short)):
            return q
    found = [q for q in questions if normalise(q.short).startswith(key) or q.id.startswith(key)]
    return found[0] if len(found) == 1 else None


def _label(question: Question, answer: str) -> str:
    if question.input == "number" and answer.isdigit():
        return f"{int(answer):,} tokens a month"
    return question.label(answer)


def _short(flow: Flow, qid: str) -> str:
    question = flow.question(qid)
    return question.short if question is not None else qid
