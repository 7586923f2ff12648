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
    id: str
    when: Condition
    text: str
    first_step: str
    revisit: str


@dataclass(frozen=True, kw_only=True)
class Signal:
    """A strong driver worth naming on the card."""

    id: str
    when: Condition
    text: str


@dataclass(frozen=True, kw_only=True)
class HostingRule:
    """Prefer at least `at_least` when `when` holds, if the team can run it (`needs`)."""

    id: str
    when: Condition
    at_least: Hosting
    needs: Condition
    min_depth: Depth | None
    text: str


@dataclass(frozen=True, kw_only=True)
class ComponentRule:
    component: Component
    when: Condition
    min_depth: Depth | None
    text: str


@dataclass(frozen=True, kw_only=True)
class Rung:
    """Texts for one recommendation rung (a depth or a hosting level)."""

    label: str
    headline: str
    steps: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Scoring:
    pressure: Mapping[str, Mapping[str, int]]
    thresholds: Mapping[Depth, int]
    rag_triggers: Mapping[str, frozenset[str]]
    requirements: Mapping[Depth, Condition]
    requirement_steps: Mapping[str, str]
    red_flags: tuple[RedFlag, ...]
    red_flag_cap: Depth
    signals: tuple[Signal, ...]
    hosting_floor: Mapping[str, Hosting]
    hosting_rules: tuple[HostingRule, ...]
    components: tuple[ComponentRule, ...]
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
