"""Reading a free-text description: for every question a paragraph settles, the answer and the
words it came from; the questions still open.

Rules only, no outside service. Each option's `cues` (in the flow file, next to the option) are
phrases looked for at word boundaries: `*` ends a word that may go on ("regulat*"), `...` stands
between words up to a few words apart ("no idea ... tokens"). A cue just after a negation ("no",
"not", "without", ...) in the same clause does not count, unless the cue itself starts with one
("no gpus") or a word between takes the negation ("must never leave our own network", "not
only public data"); a cue right before "budget" ("no GPU budget") names what money is for and
does not count either. Figures are read from the text (dialogs.intake_numbers): tokens per
month (or per day, week or year) fill `monthly_tokens` and its `volume` range; an amount near
"budget" fills `budget`. Several data rules resolve to the strictest and several skills to the
strongest; any other question the text points two ways on is left open, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from dialogs.commands import Figure
from dialogs.flow import Flow, Question
from dialogs.ids import MONTHLY_TOKENS
from dialogs.intake_numbers import CLAUSE_END, budget_figures, token_figures
from dialogs.matching import option_for

VOLUME = "volume"
BUDGET = "budget"
# Questions where several cues mean the highest of them (options listed from lowest): the
# strictest data rule, the strongest skill on the team.
HIGHEST_WINS = frozenset({"data_sensitivity", "team"})

_NEGATORS = frozenset(
    {"no", "not", "non", "never", "without", "nor", "zero", "neither", "don't", "dont"}
    | {"doesn't", "isn't", "aren't", "won't", "cannot", "can't", "haven't", "hasn't", "lack"}
    | {"lacking", "none", "nothing", "nobody"}
)
_NEGATION_REACH = 3  # words before a cue that can negate it
# Words that take a negation before a cue onto themselves: "must never leave our network" says
# where data stays, "not only public data" does not deny it.
_NEGATION_TAKEN = frozenset({"leave", "leaves", "leaving", "exit", "exits", "only", "just"})
# A cue right before "budget" names what money is for, not what the team has ("no GPU budget").
_ABOUT_MONEY = re.compile(r"[\s-]*(?:budget|budgets)\b", re.IGNORECASE)
_GAP_WORDS = 5  # most words a `...` in a cue stands for
_MERGE_GAP = 30  # characters between two cues of one answer that still make one evidence span


@dataclass(frozen=True, kw_only=True)
class Found:
    """One settled question: the option id (or, for `monthly_tokens`, the figure in digits) and
    the words of the description it came from, with where they are."""

    answer: str
    evidence: str
    start: int
    end: int


@dataclass(frozen=True, kw_only=True)
class Intake:
    """What a description settled, the questions still to ask (flow order; a question ruled out
    by a settled answer is not among them) and those it pointed two ways on."""

    found: Mapping[str, Found]
    open: tuple[str, ...]
    conflicts: tuple[str, ...] = ()

    def answers(self) -> dict[str, str]:
        return {qid: f.answer for qid, f in self.found.items()}


@dataclass(frozen=True, kw_only=True)
class _Hit:
    option: str
    start: int
    end: int


def extract(flow: Flow, text: str) -> Intake:
    """Read `text` against the flow's cues and figures; see the module docstring."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    found: dict[str, Found] = {}
    conflicts: list[str] = []
    for question in flow.questions:
        if question.input != "choice":
            continue
        hits = _resolve(question, _cue_hits(question, text))
        if hits is None:
            conflicts.append(question.id)
        elif hits:
            found[question.id] = _evidence(text, hits)
    _figures(flow, text, found, conflicts)
    open_ = still_open(flow, {q: f.answer for q, f in found.items()})
    return Intake(found=found, open=open_, conflicts=tuple(q for q in conflicts if q in open_))


def cue_pattern(cue: str) -> re.Pattern[str]:
    """The regular expression a cue stands for (see the module docstring)."""
    return _compiled(cue.lower())


@lru_cache(maxsize=4096)
def _compiled(cue: str) -> re.Pattern[str]:
    gap = rf"(?:[^\w.;!?\n]+[\w'$€]+){{0,{_GAP_WORDS}}}?[^\w.;!?\n]+"
    body = gap.join(_words(part) for part in cue.split("..."))
    return re.compile(rf"(?<![\w$€]){body}(?!\w)", re.IGNORECASE)


def _words(part: str) -> str:
    out = []
    for word in part.split():
        star = word.endswith("*")
        esc = re.escape(word.rstrip("*")).replace(r"\-", r"[\s-]?")
        out.append(esc + (r"\w*" if star else ""))
    return r"[\s-]+".join(out)


def _starts_negated(cue: str) -> bool:
    first = cue.lower().split()[0].rstrip("*")
    return first in _NEGATORS


def _negated(text: str, start: int) -> bool:
    before = CLAUSE_END.split(text[max(0, start - 60) : start])[-1]
    words = re.findall(r"[\w']+", before.lower())[-_NEGATION_REACH:]
    last = max((i for i, w in enumerate(words) if w in _NEGATORS), default=None)
    return last is not None and not _NEGATION_TAKEN.intersection(words[last + 1 :])


def _cue_hits(question: Question, text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    for option in question.options:
        for cue in option.cues:
            check = not _starts_negated(cue)
            for m in cue_pattern(cue).finditer(text):
                if (check and _negated(text, m.start())) or _ABOUT_MONEY.match(text, m.end()):
                    continue
                hits.append(_Hit(option=option.id, start=m.start(), end=m.end()))
    # A cue inside a longer one of another option gives way ("ml engineers with mlops").
    return [
        h
        for h in hits
        if not any(
            o.option != h.option and o.start <= h.start and h.end <= o.end and o != h for o in hits
        )
    ]


def _resolve(question: Question, hits: list[_Hit]) -> list[_Hit] | None:
    """The hits of the one option the text settles; [] when none; None when it points two ways."""
    chosen = {h.option for h in hits}
    if len(chosen) <= 1:
        return sorted(hits, key=lambda h: h.start)
    if question.id in HIGHEST_WINS:
        order = [o.id for o in question.options]
        top = max(chosen, key=order.index)
        return sorted((h for h in hits if h.option == top), key=lambda h: h.start)
    return None


def _evidence(text: str, hits: list[_Hit]) -> Found:
    """The first cue's words, stretched over the cues of the same answer right after it
    ("personal data under GDPR")."""
    start, end = hits[0].start, hits[0].end
    for h in hits[1:]:
        gap = text[end : h.start]
        if h.start - end > _MERGE_GAP or CLAUSE_END.search(gap) or "," in gap:
            break
        end = max(end, h.end)
    return Found(answer=hits[0].option, evidence=text[start:end].strip(), start=start, end=end)


def still_open(
    flow: Flow, answers: Mapping[str, str], skipped: Iterable[str] = ()
) -> tuple[str, ...]:
    """The questions the walk may still ask, in flow order: not answered, not skipped, and
    asked (by their `ask_if`) for some answer to the questions they hang on. A question whose
    gate is answered against it, skipped, or itself never asked is ruled out, as the walk
    rules it out; one whose gate is still open stays in: it may yet be asked."""
    passed = frozenset(skipped)
    reachable: dict[str, bool] = {}

    def may_ask(question: Question) -> bool:
        if question.id not in reachable:
            reachable[question.id] = False  # a gate that hangs on itself is never asked
            # Each gate that does not let it through yet must be open and askable itself.
            reachable[question.id] = question.id not in passed and all(
                g not in answers and (gate := flow.question(g)) is not None and may_ask(gate)
                for g in question.ask_if.failing(answers)
            )
        return reachable[question.id]

    return tuple(q.id for q in flow.questions if q.id not in answers and may_ask(q))


def _figures(flow: Flow, text: str, found: dict[str, Found], conflicts: list[str]) -> None:
    volume, budget = flow.question(VOLUME), flow.question(BUDGET)
    if volume is not None:
        tokens = list(token_figures(text))
        _settle_tokens(volume, text, tokens, found, conflicts)
    if budget is not None:
        amounts = list(budget_figures(text))
        picked = {option_for(budget, fig) for fig, _, _ in amounts}
        if len(picked) == 1 and None not in picked:
            _, start, end = amounts[0]
            option = picked.pop()
            assert option is not None
            found[BUDGET] = Found(
                answer=option, evidence=text[start:end].strip(), start=start, end=end
            )
        elif amounts:
            found.pop(BUDGET, None)
            conflicts.append(BUDGET)


def _settle_tokens(
    volume: Question,
    text: str,
    tokens: list[tuple[Figure, int, int]],
    found: dict[str, Found],
    conflicts: list[str],
) -> None:
    """A figure decides the volume range (over a cue such as "not sure"); figures in two ranges
    leave both questions open; two figures in one range, or a bound, settle only the range."""
    if not tokens:
        return
    ranges = {option_for(volume, figure) for figure, _, _ in tokens}
    if len(ranges) != 1 or None in ranges:
        found.pop(VOLUME, None)
        conflicts.append(VOLUME)
        return
    figure, start, end = tokens[0]
    option = ranges.pop()
    assert option is not None
    evidence = text[start:end].strip()
    found[VOLUME] = Found(answer=option, evidence=evidence, start=start, end=end)
    if len({f for f, _, _ in tokens}) == 1 and not figure.qualifier:
        found[MONTHLY_TOKENS] = Found(
            answer=str(figure.value), evidence=evidence, start=start, end=end
        )
