"""The flow as typed values: questions, options, scoring weights and the texts the bot shows.

The data lives in `dialogs/flows/*.yaml`; `dialogs.flow_loader` reads and validates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from dialogs.ids import Component, Depth, Hosting
from dialogs.wording import plurals

Answers = Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class Option:
    id: str
    label: str
    # Words and phrases that point to this option in a free-text description (dialogs.intake).
    cues: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Condition:
    """Holds when, for every question named, the answer is one of the options listed."""

    require: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def holds(self, answers: Answers) -> bool:
        # A plain loop: this runs tens of thousands of times per summary (what would change).
        for question, allowed in self.require.items():  # noqa: SIM110 (hot path)
            if answers.get(question) not in allowed:
                return False
        return True

    def failing(self, answers: Answers) -> tuple[str, ...]:
        """The questions whose answers keep this condition from holding."""
        return tuple(q for q, allowed in self.require.items() if answers.get(q) not in allowed)


@dataclass(frozen=True, kw_only=True)
class Question:
    id: str
    prompt: str
    short: str
    why: str
    factors: tuple[str, ...]
    options: tuple[Option, ...]
    input: Literal["choice", "number"] = "choice"
    skippable: bool = True
    assume: str | None = None
    ask_if: Condition = field(default_factory=Condition)
    # The version of framework.md's rules that added the question: answer files written
    # before it may leave it out, and it then takes its neutral `assume` (rule 10).
    since: int = 1
    _by_id: Mapping[str, Option] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {o.id: o for o in self.options})

    def option(self, option_id: str) -> Option | None:
        return self._by_id.get(option_id)

    def label(self, option_id: str) -> str:
        found = self.option(option_id)
        return found.label if found else option_id


@dataclass(frozen=True, kw_only=True)
class RedFlag:
    """A reason not to train yet (its condition is in `dialogs.scoring`): what to do first and
    when to look again."""

    id: str
    text: str
    first_step: str
    revisit: str


@dataclass(frozen=True, kw_only=True)
class Rung:
    """Texts for one recommendation rung (a depth or a hosting level)."""

    label: str
    headline: str


@dataclass(frozen=True, kw_only=True)
class Scoring:
    """The texts and tables the scoring rules of `dialogs.scoring` use, keyed by their ids.

    The rules themselves are code (each reads as its rule in framework.md does); the flow file
    holds every word the card shows, and the loader checks that each id the code uses has one.
    """

    red_flags: tuple[RedFlag, ...]
    reasons: Mapping[str, str]
    prerequisites: Mapping[str, str]
    cautions: Mapping[str, str]
    headlines: Mapping[str, str]
    steps: Mapping[str, str]
    readiness: Mapping[str, Mapping[str, int]]
    orders: Mapping[str, tuple[str, ...]]
    volume_tokens: Mapping[str, int]
    depths: Mapping[Depth, Rung]
    hostings: Mapping[Hosting, Rung]
    component_labels: Mapping[Component, str]


@dataclass(frozen=True, kw_only=True)
class Command:
    name: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Flow:
    id: str
    version: int
    title: str
    intro: str
    questions: tuple[Question, ...]
    scoring: Scoring
    messages: Mapping[str, str]
    commands: tuple[Command, ...]
    source: str = "<memory>"
    _by_id: Mapping[str, Question] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # Questions whose answer decides whether another question is asked (named in an ask_if).
    gates: frozenset[str] = field(default_factory=frozenset, init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {q.id: q for q in self.questions})
        gates = frozenset(qid for q in self.questions for qid in q.ask_if.require)
        object.__setattr__(self, "gates", gates)

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def index(self, question_id: str) -> int:
        return next(i for i, q in enumerate(self.questions) if q.id == question_id)

    def applicable(self, answers: Answers) -> tuple[Question, ...]:
        """The questions to ask given the answers so far (branching by `ask_if`)."""
        return tuple(q for q in self.questions if q.ask_if.holds(answers))

    def message(self, code: str, **params: object) -> str:
        """Message `code` with its parameters, counted nouns agreeing ("1 assessment(s)" reads
        "1 assessment" on every platform)."""
        return plurals(self.messages[code].format(**params))
