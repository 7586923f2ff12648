"""The one internal turn type adapters build, and the platform-neutral replies of the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from dialogs.screen import Screen


@dataclass(frozen=True, kw_only=True)
class SessionKey:
    """Who and where: one session per person per conversation thread on one platform."""

    platform: str
    workspace: str
    conversation: str
    thread: str = ""
    user: str


@dataclass(frozen=True, kw_only=True)
class Click:
    """A button press: the option chosen and the stamp of the question it was shown for."""

    question: str
    option: str
    stamp: str


@dataclass(frozen=True, kw_only=True)
class Turn:
    """One thing a person did: opened the conversation, typed text, or clicked an answer.

    `event_id` is the platform's delivery id; the store records it so a redelivery applies once.
    """

    key: SessionKey
    event_id: str
    at: datetime
    text: str | None = None
    click: Click | None = None


# ---------------------------------------------------------------------------- replies


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


@dataclass(frozen=True, kw_only=True)
class Why:
    kind: Literal["why"] = "why"
    question: str
    prompt: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Help:
    kind: Literal["help"] = "help"
    text: str
    commands: tuple[CommandView, ...]


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
class Summary:
    """The final card: the assessment (JSON-shaped, as `assess` prints it) and the answers."""

    kind: Literal["summary"] = "summary"
    assessment: Mapping[str, Any]
    answers: tuple[AnswerView, ...]
    skipped: tuple[str, ...]
    updated: bool = False


Reply = Intro | Ask | Answered | Notice | Why | Help | Status | Summary

_NESTED: dict[str, type[Any]] = {
    "options": OptionView,
    "choices": OptionView,
    "answers": AnswerView,
    "commands": CommandView,
}
_KINDS: dict[str, type[Any]] = {
    "intro": Intro,
    "ask": Ask,
    "answered": Answered,
    "notice": Notice,
    "why": Why,
    "help": Help,
    "status": Status,
    "summary": Summary,
}


# Field names by dataclass type (None: not a dataclass), learnt on first sight: this runs for
# every reply of every turn.
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind not in _FIELD_NAMES:
        dataclass_instance = is_dataclass(value) and not isinstance(value, type)
        _FIELD_NAMES[kind] = tuple(f.name for f in fields(value)) if dataclass_instance else None
    names = _FIELD_NAMES[kind]
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """Plain JSON-ready form, for the duplicate-delivery cache.

    Shallow where it can be: the assessment inside a summary is already plain data, and
    `dataclasses.asdict` would deep-copy it on every turn.
    """
    out: dict[str, Any] = _plain(reply)
    return out


def reply_from_dict(data: Mapping[str, Any]) -> Reply:
    """Inverse of `reply_to_dict`."""
    cls = _KINDS[str(data["kind"])]
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name in _NESTED and isinstance(value, list | tuple):
            kwargs[name] = tuple(_NESTED[name](**item) for item in value)
        elif isinstance(value, list | tuple):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    reply: Reply = cls(**kwargs)
    return reply


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
