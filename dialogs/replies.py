"""The platform-neutral replies of the engine, and what a turn hands an adapter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from dialogs.screen import Screen


@dataclass(frozen=True, kw_only=True)
class OptionView:
    number: int
    id: str
    label: str


@dataclass(frozen=True, kw_only=True)
class AnswerView:
    """An answer as the person gave it: question id and prompt, option id and label."""

    question: str
    short: str
    option: str
    label: str


@dataclass(frozen=True, kw_only=True)
class CommandView:
    name: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Intro:
    kind: Literal["intro"] = "intro"
    title: str
    text: str
    commands: tuple[CommandView, ...]
    # Ties the two ways in (describe, or step by step) to this showing (issue 16); "": no buttons.
    stamp: str = ""


@dataclass(frozen=True, kw_only=True)
class Ask:
    """Present one question. `stamp` ties buttons to this very showing of the question."""

    kind: Literal["ask"] = "ask"
    question: str
    prompt: str
    why: str
    position: int
    total: int
    options: tuple[OptionView, ...]
    input: Literal["choice", "number"] = "choice"
    current: str | None = None
    current_label: str | None = None
    skippable: bool = False
    stamp: str


@dataclass(frozen=True, kw_only=True)
class Answered:
    """The question was answered; adapters may update its message in place."""

    kind: Literal["answered"] = "answered"
    question: str
    prompt: str
    option: str
    label: str
    stamp: str


@dataclass(frozen=True, kw_only=True)
class Notice:
    """A short message. `echo` carries user text; renderers must escape it."""

    kind: Literal["notice"] = "notice"
    code: str
    text: str
    level: Literal["info", "warning", "error"] = "info"
    echo: str | None = None
    choices: tuple[OptionView, ...] = ()
    # Confirmations (yes/no buttons): the stamp their buttons carry.
    stamp: str = ""


@dataclass(frozen=True, kw_only=True)
class Why:
    kind: Literal["why"] = "why"
    question: str
    prompt: str
    text: str


@dataclass(frozen=True, kw_only=True)
class TermView:
    """A glossary entry: a piece of jargon and what it means in plain words."""

    term: str
    meaning: str


@dataclass(frozen=True, kw_only=True)
class Help:
    """The commands; or, for `help <term>`, what that term means (`term`)."""

    kind: Literal["help"] = "help"
    text: str
    commands: tuple[CommandView, ...]
    term: TermView | None = None


@dataclass(frozen=True, kw_only=True)
class Status:
    kind: Literal["status"] = "status"
    answered_count: int
    total: int
    state: str
    current_prompt: str | None
    answers: tuple[AnswerView, ...]
    skipped: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class AnswerChange:
    """One answer changed by an edit: the question's short name, the old and new labels."""

    short: str
    before: str
    after: str


@dataclass(frozen=True, kw_only=True)
class Move:
    """One part of the recommendation before and after an edit (`what` names the part)."""

    what: str
    before: str
    after: str


@dataclass(frozen=True, kw_only=True)
class Change:
    """What an edit changed: the answers, and how the recommendation moved (none: the advice
    stays the same)."""

    answers: tuple[AnswerChange, ...]
    moves: tuple[Move, ...]

    @property
    def same(self) -> bool:
        return not self.moves


@dataclass(frozen=True, kw_only=True)
class Summary:
    """The final card: the assessment (JSON-shaped, as `assess` prints it) and the answers."""

    kind: Literal["summary"] = "summary"
    assessment: Mapping[str, Any]
    answers: tuple[AnswerView, ...]
    skipped: tuple[str, ...]
    updated: bool = False
    # The stamp its buttons (start over, change an answer, share) carry.
    stamp: str = ""
    # After an edit: what changed since the summary before it (None: not an edit).
    changed: Change | None = None
    # The short names of the questions answered from the person's description.
    described: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IntakePrompt:
    """Asks for a description of the person's situation in their own words (issue 16)."""

    kind: Literal["intake_prompt"] = "intake_prompt"
    examples: tuple[str, ...] = ()
    # Asked again: the last message was empty (`again`) or over this many characters.
    again: bool = False
    too_long: int = 0
    # Who reads descriptions, when an operator configured a model ("the model m1 at host");
    # empty: the rules of this service read them, nothing is sent anywhere.
    reader: str = ""


@dataclass(frozen=True, kw_only=True)
class IntakeItem:
    """One answer a description settled: the question, the answer's label, the words it came
    from (empty once the person changed it) and whether the person changed it."""

    question: str
    short: str
    option: str
    label: str
    evidence: str
    changed: bool = False


@dataclass(frozen=True, kw_only=True)
class IntakeReview:
    """What a description settled, to be confirmed before any of it is used; the questions
    still open (their short names). `stamp` ties its buttons to this showing."""

    kind: Literal["intake_review"] = "intake_review"
    items: tuple[IntakeItem, ...]
    open: tuple[str, ...]
    conflicts: tuple[str, ...] = ()
    stamp: str = ""
    # The person sent more descriptions than the model takes in a while: the rules read this.
    resting: bool = False


@dataclass(frozen=True, kw_only=True)
class IntakeDone:
    """How a review ended: `used` answers taken, or `dropped`, or `nothing` settled by the
    description; `hint`: the reply was not one the review understood (say what is)."""

    kind: Literal["intake_done"] = "intake_done"
    used: int = 0
    dropped: bool = False
    nothing: bool = False
    hint: bool = False
    resting: bool = False  # as IntakeReview.resting


@dataclass(frozen=True, kw_only=True)
class Forget:
    """Never shown: asks the advisor to delete the person's sessions once the turn that
    confirmed it is committed; the advisor puts a notice saying how many in its place."""

    kind: Literal["forget"] = "forget"


@dataclass(frozen=True, kw_only=True)
class Export:
    """Never shown: asks the advisor for the person's stored sessions in this workspace once
    the turn is committed; it puts them, as JSON text, in its place (dialogs.export)."""

    kind: Literal["export"] = "export"


Reply = (
    Intro
    | Ask
    | Answered
    | Notice
    | Why
    | Help
    | Status
    | Summary
    | Forget
    | Export
    | IntakePrompt
    | IntakeReview
    | IntakeDone
)


@dataclass(frozen=True, kw_only=True)
class TurnResult:
    """What the engine hands an adapter: the replies, and whether this was a redelivery."""

    replies: tuple[Reply, ...]
    duplicate: bool = False
    session_id: str = ""
    state: str = ""
    # The question on screen before this turn (see dialogs.screen), and the stamp of the
    # question this turn's commit claimed, which the adapter posts (None: nothing to post,
    # because it is on screen already, another turn is posting it, or none is shown).
    before: Screen | None = None
    shows: str | None = None
    started: bool = False
    completed: bool = False
    question: str | None = None
    recommendation: tuple[str, str] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
