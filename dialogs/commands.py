"""Reading what a person typed: a global command, or an amount (of tokens or dollars)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

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
        "export",
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
# "over 10b", "more than $1M", "under 50k": a bound rather than a figure.
_BOUND = re.compile(
    r"^(?:(?P<over>more than|greater than|at least|over|above|>=?)"
    r"|(?P<under>less than|fewer than|at most|up to|under|below|<=?))\s*"
)
_CURRENCY = re.compile(r"\$|\b(?:usd|dollars?)\b")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text.strip().lower()).strip(" .!")


@dataclass(frozen=True, kw_only=True)
class CommandCall:
    name: str
    arg: str


def parse_command(text: str) -> CommandCall | None:
    """`help`, `/help`, `help tokens`, `edit budget`, `quit`... or None when the text is not a
    command."""
    norm = normalise(text).lstrip("/")
    if norm in ALIASES:
        return CommandCall(name=ALIASES[norm], arg="")
    head, _, rest = norm.partition(" ")
    if head in COMMANDS and (not rest or head in ("edit", "help")):
        return CommandCall(name=head, arg=rest.strip())
    return None


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


def scaled(number: int, unit: str | None) -> int:
    """`number` times a unit such as k, m, b or t (None: one)."""
    return number * _UNITS[unit]


@dataclass(frozen=True, kw_only=True)
class Figure:
    """A typed amount: exactly `value`, or just over or under it ("over 10b")."""

    value: int
    qualifier: Literal["", "over", "under"] = ""


def parse_figure(text: str) -> Figure | None:
    """Read an amount of tokens or dollars: 5000000, 5M, $50k, 1.5e9, "over 10b"."""
    norm = normalise(text)
    bound = _BOUND.match(norm)
    qualifier: Literal["", "over", "under"] = ""
    if bound is not None:
        qualifier = "over" if bound.group("over") else "under"
        norm = norm[bound.end() :]
    value = parse_tokens(_CURRENCY.sub("", norm))
    return None if value is None else Figure(value=value, qualifier=qualifier)
