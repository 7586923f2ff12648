"""Matching typed text to a question's options: by number, name, the first letters of the name's
words, a figure that falls in an option's range, or a close spelling of the name.

Both sides are compared in one canonical form (case, hyphens, spacing and spelling variants such
as labeled/labelled folded away). A partial, respelled or mistyped name is accepted only when it
fits exactly one option, and is reported as `loose` so the person is told what was understood.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from dialogs.commands import Figure, normalise, parse_figure, scaled
from dialogs.flow import Option, Question

# Words shorter than this are never corrected, and texts shorter than this never guessed at:
# "ml" is a prefix to look for, not a typo of "mvp".
_GUESS_MIN_LENGTH = 4
_WORD_CUTOFF = 0.8
_TEXT_CUTOFF = 0.85

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")
_NOT_WORD = re.compile(r"[^\w.]+|_+")
_STRAY_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")
_SPELLINGS = {
    "labeled": "labelled",
    "unlabeled": "unlabelled",
    "labeling": "labelling",
    "modeled": "modelled",
    "modeling": "modelling",
    "canceled": "cancelled",
    "behavior": "behaviour",
    "behaviors": "behaviours",
    "color": "colour",
    "favor": "favour",
    "catalog": "catalogue",
    "center": "centre",
}
_IZE = re.compile(r"(?<=[a-z])(i|y)z(e|es|ed|ing|ation|ations)$")
# Option ids such as under_10m, 10m_500m and over_10b name the range of figures they stand for.
_AMOUNT = r"\d+[kmbt]?"
_RANGE = re.compile(
    rf"^(?:under_(?P<below>{_AMOUNT})|over_(?P<above>{_AMOUNT})|(?P<lo>{_AMOUNT})_(?P<hi>{_AMOUNT}))$"
)


@dataclass(frozen=True, kw_only=True)
class Match:
    """`option` when exactly one option fits; `candidates` when several do. `figure` when a
    typed amount picked the option whose range holds it. `loose` when the text is not plainly
    the option (its number, or its name or the start of it), so the person should be told
    what was understood."""

    option: str | None
    candidates: tuple[str, ...] = ()
    loose: bool = False
    figure: Figure | None = None


def canonical(text: str) -> str:
    """The form names are compared in: lower case, words only, one spelling of each."""
    text = _THOUSANDS.sub("", normalise(text))
    text = _STRAY_DOT.sub(" ", _NOT_WORD.sub(" ", text))
    return " ".join(_respell(word) for word in text.split())


def _respell(word: str) -> str:
    word = _SPELLINGS.get(word, word)
    return _IZE.sub(lambda m: f"{m.group(1)}s{m.group(2)}", word)


def option_range(option_id: str) -> tuple[float, float] | None:
    """The figures an option id such as `10m_500m` stands for: from `lo` (included) to `hi`."""
    found = _RANGE.match(option_id)
    if not found:
        return None
    if found.group("below"):
        return 0.0, float(_amount(found.group("below")))
    if found.group("above"):
        return float(_amount(found.group("above"))), math.inf
    lo, hi = _amount(found.group("lo")), _amount(found.group("hi"))
    return (float(lo), float(hi)) if lo < hi else None


def _amount(text: str) -> int:
    unit = text[-1] if text[-1].isalpha() else None
    return scaled(int(text.rstrip("kmbt")), unit)


def in_range(option_id: str, value: float) -> bool:
    bounds = option_range(option_id)
    return bounds is not None and bounds[0] <= value < bounds[1]


def option_for(question: Question, figure: Figure) -> str | None:
    """The one option whose range holds the figure ("over 10b" is just above ten billion)."""
    value = figure.value + {"over": 0.5, "under": -0.5, "": 0.0}[figure.qualifier]
    fitting = [o.id for o in question.options if in_range(o.id, value)]
    return fitting[0] if len(fitting) == 1 else None


def match_option(question: Question, text: str) -> Match:
    """Match typed text to an option; see the module docstring for what is accepted."""
    norm = canonical(text)
    if not norm:
        return Match(option=None)
    if norm.isdigit() and 1 <= int(norm) <= len(question.options):  # "3" or "3)"
        return Match(option=question.options[int(norm) - 1].id)
    names = {o.id: (canonical(o.label), canonical(o.id)) for o in question.options}
    exact = [oid for oid, pair in names.items() if norm in pair]
    if len(exact) == 1:
        return Match(option=exact[0])
    prefixed = [oid for oid, pair in names.items() if any(n.startswith(norm) for n in pair)]
    figure = parse_figure(text)
    picked = option_for(question, figure) if figure is not None else None
    # The first letters of a name win over a figure that points elsewhere ("500" at the volume
    # question starts "500 million to 10 billion"; as 500 tokens it would be "Under 10 million").
    if len(prefixed) == 1 and picked != prefixed[0]:
        return Match(option=prefixed[0])
    if picked is not None:
        return Match(option=picked, figure=figure, loose=picked not in prefixed)
    if prefixed:
        return _one_of(prefixed, loose=False)
    found = _loosely(names, norm)
    if found or len(norm) < _GUESS_MIN_LENGTH:
        return _one_of(found, loose=True)
    return _one_of(_guessed(question.options, names, norm), loose=True)


def _one_of(found: list[str], *, loose: bool) -> Match:
    if len(found) == 1:
        return Match(option=found[0], loose=loose)
    return Match(option=None, candidates=tuple(found))


def _loosely(names: dict[str, tuple[str, str]], norm: str) -> list[str]:
    """Options whose words start with the typed words, in order ("app dev", "air gapped"),
    then options whose name, spaces removed, has the typed text at a word ("airgapped")."""
    typed = norm.split()
    worded = [oid for oid, pair in names.items() if any(_words_start(n, typed) for n in pair)]
    if worded:
        return worded
    compact = norm.replace(" ", "")
    return [oid for oid, pair in names.items() if any(_joined_start(n, compact) for n in pair)]


def _words_start(name: str, typed: list[str]) -> bool:
    words = name.split()
    return any(
        all(w.startswith(t) for w, t in zip(words[i : i + len(typed)], typed, strict=True))
        for i in range(len(words) - len(typed) + 1)
    )


def _joined_start(name: str, compact: str) -> bool:
    words = name.split()
    return any("".join(words[i:]).startswith(compact) for i in range(len(words)))


def _guessed(
    options: tuple[Option, ...], names: dict[str, tuple[str, str]], norm: str
) -> list[str]:
    """Options a mistyped name is close to: each long word put right where exactly one word of
    the options' names is close to it, then the whole text compared with each name."""
    vocabulary = sorted({w for pair in names.values() for n in pair for w in n.split()})
    words = [_corrected(w, vocabulary) for w in norm.split()]
    fixed = " ".join(words)
    if fixed != norm:
        exact = [oid for oid, pair in names.items() if fixed in pair]
        if exact:
            return exact
        prefixed = [oid for oid, pair in names.items() if any(n.startswith(fixed) for n in pair)]
        found = prefixed or _loosely(names, fixed)
        if found:
            return found
    return [
        o.id
        for o in options
        if any(difflib.SequenceMatcher(None, norm, n).ratio() >= _TEXT_CUTOFF for n in names[o.id])
    ]


def _corrected(word: str, vocabulary: list[str]) -> str:
    if len(word) < _GUESS_MIN_LENGTH or any(v.startswith(word) for v in vocabulary):
        return word
    close = difflib.get_close_matches(word, vocabulary, n=2, cutoff=_WORD_CUTOFF)
    return close[0] if len(close) == 1 else word
