"""Plain words for the jargon: `help <term>` in every chat, and a glossary on the summary.

The entries live in dialogs/glossary.yaml (package data), validated when loaded: a missing or
unknown field is refused, naming the file, the entry and the field.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from dialogs.errors import ConfigError, Problem

GLOSSARY_FILE = "dialogs/glossary.yaml"
ENTRY_FIELDS = frozenset({"term", "meaning", "also"})
_SPACE = re.compile(r"[\s\-]+")


def _phrase(text: str) -> str:
    """A regex for one spelling: words apart by spaces or hyphens, an optional plural s."""
    words = [re.escape(w) for w in _SPACE.split(text.strip().lower()) if w]
    return r"[\s\-]+".join(words) + "s?"


@dataclass(frozen=True, kw_only=True)
class Entry:
    term: str
    meaning: str
    also: tuple[str, ...] = ()
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spellings = sorted({self.term, *self.also}, key=len, reverse=True)
        joined = "|".join(_phrase(s) for s in spellings)
        # Word boundaries that also hold beside a hyphen: "pre-training" is not "training".
        regex = rf"(?<![\w\-])(?:{joined})(?![\w\-])"
        object.__setattr__(self, "pattern", re.compile(regex, re.IGNORECASE))


@dataclass(frozen=True, kw_only=True)
class Glossary:
    entries: tuple[Entry, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(e.term for e in self.entries)

    def lookup(self, text: str) -> Entry | None:
        """The entry a typed term names ("LoRA", "open-weight", "retrieval"), or None."""
        wanted = " ".join(_SPACE.split(text.strip().lower())).strip(" .?!\"'`")
        if not wanted:
            return None
        return next((e for e in self.entries if e.pattern.fullmatch(wanted)), None)

    def found_in(self, texts: Iterable[str]) -> tuple[Entry, ...]:
        """The entries whose term (or another spelling) appears in `texts`, in glossary order."""
        body = "\n".join(texts)
        return tuple(e for e in self.entries if e.pattern.search(body))


def parse_glossary(data: object, *, file: str = GLOSSARY_FILE) -> Glossary:
    """Validate a loaded glossary document; ConfigError lists every problem with its place."""
    problems: list[Problem] = []

    def fail(where: str, message: str) -> None:
        problems.append(Problem(file=file, where=where, message=message))

    if not isinstance(data, Mapping):
        raise ConfigError([Problem(file=file, where="file", message="must be a mapping")])
    for key in data:
        if key != "terms":
            fail(str(key), "unknown field (expected only: terms)")
    raw = data.get("terms")
    if not isinstance(raw, list) or not raw:
        fail("terms", "must be a non-empty list")
        raw = []
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, 1):
        where = f"terms[{i}]"
        if not isinstance(item, Mapping):
            fail(where, "must be a mapping with term and meaning")
            continue
        where = f"terms[{i}] ({item.get('term', '?')})"
        for key in item:
            if key not in ENTRY_FIELDS:
                fail(f"{where}.{key}", "unknown field (expected: term, meaning, also)")
        texts = {name: _text(item, name, where, fail) for name in ("term", "meaning")}
        also = item.get("also", [])
        if not isinstance(also, list) or not all(isinstance(a, str) and a.strip() for a in also):
            fail(f"{where}.also", "must be a list of non-empty texts")
            also = []
        term = texts["term"]
        if term.lower() in seen:
            fail(f"{where}.term", "appears twice")
        seen.add(term.lower())
        if term and texts["meaning"]:
            entries.append(
                Entry(term=term, meaning=texts["meaning"], also=tuple(a.strip() for a in also))
            )
    if problems:
        raise ConfigError(problems)
    return Glossary(entries=tuple(entries))


def _text(item: Mapping[str, Any], name: str, where: str, fail: Any) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        fail(f"{where}.{name}", "is missing or empty (a non-empty text)")
        return ""
    return " ".join(value.split())


@functools.cache
def load_glossary() -> Glossary:
    """The glossary shipped with the package (read once per process)."""
    text = resources.files("dialogs").joinpath("glossary.yaml").read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file=GLOSSARY_FILE, where="yaml", message=str(exc))]) from exc
    return parse_glossary(data)


def glossary_for(texts: Iterable[str]) -> list[dict[str, str]]:
    """`[{"term", "meaning"}]` for the glossary terms that appear in `texts` (any case, whole
    words, each once, in the glossary's order): the plain words to put on a summary."""
    return [{"term": e.term, "meaning": e.meaning} for e in load_glossary().found_in(texts)]
