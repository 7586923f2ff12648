"""Reading what a person typed: a global command, an option, or a number of tokens."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from dialogs.flow import Question

MAX_ANSWER_LENGTH = 1000

COMMANDS = frozenset(
    {
        "help",
        "why",
        "back",
        "skip",
        "status",
        "restart",
        "cancel",
        "edit",
        "results",
        "start",
        "forget",
    }
)
ALIASES = {
    "?": "help",
    "commands": "help",
    "quit": "cancel",
    "exit": "cancel",
    "stop": "cancel",
    "previous": "back",
    "undo": "back",
    "progress": "status",
    "summary": "results",
    "result": "results",
    "resume": "start",
    "continue": "start",
    "begin": "start",
    "start over": "restart",
    "reset": "restart",
}
YES = frozenset({"yes", "y", "yes please", "confirm", "ok", "sure"})

_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(
    r"^(?P<num>\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(?P<unit>k|m|b|t|thousand|million|billion|trillion|bn|mn)?"
    r"(?:\s*tokens?)?(?:\s*(?:/|a|per)\s*(?:mo|month))?$"
)
_UNITS = {
    None: 1,
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "million": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
    "t": 10**12,
    "trillion": 10**12,
}
MAX_TOKENS = 10**16


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text.strip().lower()).strip(" .!")


@dataclass(frozen=True, kw_only=True)
class CommandCall:
    name: str
    arg: str


def parse_command(text: str) -> CommandCall | None:
    """`help`, `/help`, `edit budget`, `quit`... or None when the text is not a command."""
    norm = normalise(text).lstrip("/")
    if norm in ALIASES:
        return CommandCall(name=ALIASES[norm], arg="")
    head, _, rest = norm.partition(" ")
    if head in COMMANDS and (not rest or head == "edit"):
        return CommandCall(name=head, arg=rest.strip())
    return None


@dataclass(frozen=True, kw_only=True)
class Match:
    """`option` when exactly one option fits; `candidates` when several do."""

    option: str | None
    candidates: tuple[str, ...] = ()


def match_option(question: Question, text: str) -> Match:
    """Match typed text to an option by number, id, label, or an unambiguous prefix of either."""
    norm = normalise(text)
    if not norm:
        return Match(option=None)
    digits = norm.rstrip(")")
    if digits.isdigit():
        index = int(digits)
        if 1 <= index <= len(question.options):
            return Match(option=question.options[index - 1].id)
        # Not an option number; it may still start a label ("100" for "100 to 10,000").
    for option in question.options:
        if norm in (option.id.lower(), normalise(option.label)):
            return Match(option=option.id)
    prefixed = tuple(
        o.id
        for o in question.options
        if normalise(o.label).startswith(norm) or o.id.lower().startswith(norm)
    )
    if len(prefixed) == 1:
        return Match(option=prefixed[0])
    if prefixed:
        return Match(option=None, candidates=prefixed)
    # Last resort: the text starts a word somewhere in the label ("switch" for "...switch vendors").
    worded = tuple(o.id for o in question.options if f" {norm}" in f" {normalise(o.label)}")
    if len(worded) == 1:
        return Match(option=worded[0])
    return Match(option=None, candidates=worded)


def parse_tokens(text: str) -> int | None:
    """Read a monthly token count: 350M, 2B, 1.5e9, 2,000,000, '3 billion tokens a month'."""
    norm = normalise(text).replace(",", "").replace("_", "").replace(" ", "", 1)
    norm = norm.replace("~", "").replace("about", "").strip()
    found = _NUMBER.match(norm)
    if not found:
        return None
    try:
        value = float(found.group("num")) * _UNITS[found.group("unit")]
    except (OverflowError, ValueError):
        return None
    if not math.isfinite(value) or value < 1 or value > MAX_TOKENS:
        return None
    return round(value)
