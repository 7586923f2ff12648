"""Figures in a free-text description (dialogs.intake): tokens a month, and a budget.

Numbers as people write them in several languages ("300M", "2,5M", "1,5 Mrd.", "300 Mio.",
"3 milliards", "2.000.000", "1 000 000", "2,000,000", "1.5e9"), with a few typos common in chat
("tokns", "montly"). A figure of tokens counts only when it is given per period ("a month",
"/day", "pro Monat", "par mois"); an amount counts as a budget only next to a word about
budget or spending, and an amount of tokens is never one.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import Literal

from dialogs.commands import Figure, parse_tokens

# Where a clause ends: a sentence stop, a semicolon, a line break, or "but"/"however".
CLAUSE_END = re.compile(r"[.;!?\n]\s|[;!?\n]|\bbut\b|\bhowever\b", re.IGNORECASE)

# A figure as people write it: 300M, 2,5M, 1.5 Mrd, 300 000, 1'000'000, 2,000,000, 1.000.000.
_NUM = r"\d{1,3}(?:[ '\u00a0\u202f]\d{3})+(?![\d.,]\d)|\d+(?:[.,]\d+)*(?:e\d+)?"
# Each scale word (longest first, so "million" is not read as "m") and the unit it stands for.
_UNIT_OF = {
    "thousand": "k",
    "thousands": "k",
    "tausend": "k",
    "mille": "k",
    "tsd": "k",
    "k": "k",
    "millions": "m",
    "million": "m",
    "millionen": "m",
    "millones": "m",
    "millón": "m",
    "millon": "m",
    "miljoen": "m",
    "milion": "m",
    "mill": "m",
    "mil": "m",  # "40 mil tokens" in English chat; never Spanish "mil" (thousand) here
    "mio": "m",
    "mln": "m",
    "mn": "m",
    "m": "m",
    "milliards": "b",
    "milliarden": "b",
    "milliarde": "b",
    "milliard": "b",
    "miljard": "b",
    "billions": "b",
    "billion": "b",
    "mrd": "b",
    "mld": "b",
    "bn": "b",
    "b": "b",
    "trillions": "t",
    "trillion": "t",
    "t": "t",
}
_SCALE = "|".join(sorted(_UNIT_OF, key=len, reverse=True))
_TOKEN_WORD = r"(?:tokens?|tokns?|toekns?|tokes|toks)\b"
# Words between a figure and "tokens" ("300M of LLM tokens", "2 millones de tokens").
_TOKEN_LEAD = r"(?:of|llm|api|input|output|and|total|in|tok|de|di)"
# Each period (as a noun after "a", "per", "pro", "/"...) and the period it stands for.
_PERIOD_OF = {
    "month": "month",
    "months": "month",
    "mo": "month",
    "mth": "month",
    "mnth": "month",
    "monat": "month",
    "mois": "month",
    "mes": "month",
    "mese": "month",
    "maand": "month",
    "day": "day",
    "jour": "day",
    "dia": "day",
    "día": "day",
    "week": "week",
    "wk": "week",
    "woche": "week",
    "semaine": "week",
    "semana": "week",
    "year": "year",
    "yr": "year",
    "annum": "year",
    "jahr": "year",
    "année": "year",
    "año": "year",
    "jaar": "year",
}
# The same as one word ("monthly", and "montly" as typed in a hurry).
_PERIODIC = {
    "monthly": "month",
    "montly": "month",
    "monthy": "month",
    "monatlich": "month",
    "mensuel": "month",
    "mensuels": "month",
    "mensual": "month",
    "maandelijks": "month",
    "daily": "day",
    "täglich": "day",
    "weekly": "week",
    "wöchentlich": "week",
    "yearly": "year",
    "annually": "year",
    "annual": "year",
    "jährlich": "year",
}
_PERIOD = "|".join(sorted(_PERIOD_OF, key=len, reverse=True))
_LY = "|".join(sorted(_PERIODIC, key=len, reverse=True))
_PER = r"(?:\b(?:a|an|per|each|every|pro|par|por|al|im|au|in\s+a)\s+|\s*/\s*)"
_TOKENS = re.compile(
    rf"(?<![\w.,$€£])(?P<num>{_NUM})\s*(?P<scale>{_SCALE})?(?![\w$€])\.?\s*"
    rf"(?:{_TOKEN_LEAD}\s+){{0,4}}{_TOKEN_WORD}"
    rf"(?P<tail>[^.;!?\n]{{0,30}}?(?:{_PER}(?P<per>{_PERIOD})\b|\b(?P<ly>{_LY})\b))?",
    re.IGNORECASE,
)
_PER_BEFORE = re.compile(
    rf"(?:{_PER}(?P<per>{_PERIOD})|\b(?P<ly>{_LY}))\b[^.;!?\n]{{0,40}}$", re.IGNORECASE
)
# A figure for one user, request or document is no total ("2k tokens a day per user").
_PER_ONE = re.compile(
    r"\b(?:per|each|every|a|an|one)\s+(?:single\s+)?(?:user|customer|client|request|call|query|"
    r"conversation|session|document|doc|page|message|ticket|employee|seat|prompt|chat|article|"
    r"item|tag|answer|reply|response|email|agent|student|patient)s?\b",
    re.IGNORECASE,
)
_PER_MONTH = {"month": 1.0, "day": 30.0, "week": 52 / 12, "year": 1 / 12}

_CURRENCY = r"\$|€|£|usd|eur|euros?|dollars?|bucks|gbp|chf|k€|k\$"
_MONEY = re.compile(
    rf"(?:(?P<cur1>{_CURRENCY})\s*)?(?<![\w.,])(?P<num>{_NUM})\s*(?P<scale>{_SCALE})?\b\.?"
    rf"(?:\s*(?:(?:de|of)\s+|d')?(?P<cur2>{_CURRENCY})(?!\w))?",
    re.IGNORECASE,
)
_BUDGET_WORD = re.compile(
    r"\b(?:budget\w*|presupuesto|funding|funded|set aside|allocated|earmarked|can spend|"
    r"could spend|willing to spend|able to spend|afford|invest)\b",
    re.IGNORECASE,
)
# A budget of something other than money ("a token budget of 50k", "latency budget").
_NOT_MONEY_BUDGET = re.compile(r"\b(?:token|tokens|context|latency|time|error)\s+$", re.IGNORECASE)
# The words that may follow an amount with no currency for it to be money: "budget around 50k
# for the first version" is, "budget for 50k users" and "50k tokens" are counts of something.
_AFTER_AMOUNT = frozenset(
    {"for", "on", "in", "to", "this", "next", "the", "over", "per", "a", "an", "and", "or"}
    | {"total", "overall", "max", "maximum", "tops", "budget", "including", "until", "by"}
    | {"at", "from", "upfront", "all", "ish", "für", "pour", "para", "voor", "im", "pro"}
)
_TOKENS_AFTER = re.compile(
    rf"\s*(?:(?:of|llm|api|input|output|total|de|di)\s+){{0,2}}{_TOKEN_WORD}", re.IGNORECASE
)
_UNDER = re.compile(r"(?:under|less than|below|up to|at most|max(?:imum)?|no more than)\s*$")
_OVER = re.compile(r"(?:over|more than|above|at least|north of)\s*$")
# "mil" is a million in English chat but a thousand in Spanish or Portuguese: no amount of
# money is read from it (a figure of tokens is, a month of which rarely leaves a doubt).
_AMBIGUOUS_SCALE = frozenset({"mil"})
_BUDGET_REACH = 60  # characters between a budget word and an amount in dollars or euros
_BARE_REACH = 40  # the same for an amount with no currency


def number_value(raw: str, scale: str | None) -> int | None:
    """A figure as written ("2,5", "300 000", "1.000.000", "1.5") with its scale ("M", "Mrd")."""
    digits = re.sub(r"[ '\u00a0\u202f]", "", raw)
    if scale is None and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):
        digits = digits.replace(".", "")  # "200.000 €": a thousands dot, not a decimal one
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|\d{1,3}\.\d{3},\d+", digits):
        digits = digits.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+,\d{1,2}", digits):
        digits = digits.replace(",", ".")
    elif re.fullmatch(r"\d+,\d{3}", digits):
        digits = digits.replace(",", "")
    unit = _UNIT_OF.get((scale or "").lower(), "")
    return parse_tokens(digits + unit)


def token_figures(text: str) -> Iterable[tuple[Figure, int, int]]:
    """(tokens a month, start, end) for each figure of tokens given per period; "over 10
    billion" is a bound (it picks a range but is no figure)."""
    clauses = _Clauses(text)
    for m in _TOKENS.finditer(text):
        per = m.group("per") or m.group("ly")
        lead = text[clauses.start(m.start()) : m.start()][-80:]
        if per is None:
            before = _PER_BEFORE.search(lead)
            if before is None:
                continue
            per = before.group("per") or before.group("ly")
        if _per_one(text[m.end() : clauses.end(m.end())], lead, m):
            continue
        value = number_value(m.group("num"), m.group("scale"))
        if value is None:
            continue
        period = per.lower()
        monthly = round(value * _PER_MONTH[_PERIOD_OF.get(period) or _PERIODIC[period]])
        yield Figure(value=monthly, qualifier=_qualifier(lead)), m.start(), m.end()


def _per_one(after: str, lead: str, m: re.Match[str]) -> bool:
    """Whether the figure is for one user, request or document: said in its own words, right
    after them, or just before it in the clause ("each user sends 2k tokens a day")."""
    after = after[:25]
    return any(_PER_ONE.search(part) for part in (m.group(0), after, lead[-40:]))


def budget_figures(text: str) -> Iterable[tuple[Figure, int, int]]:
    """Each amount of money said to be a budget, with the span from the word to the amount."""
    clauses = _Clauses(text)
    for m in _MONEY.finditer(text):
        currency = m.group("cur1") or m.group("cur2")
        after = text[m.end() : m.end() + 80]
        if _TOKENS_AFTER.match(after):
            continue  # "50k tokens", "$2k of tokens": an amount of tokens, never a budget
        if currency is None and not _bare_amount(m, after):
            continue
        clause_start, clause_end = clauses.start(m.start()), clauses.end(m.end())
        reach = _BUDGET_REACH if currency else _BARE_REACH
        window = max(clause_start, m.start() - reach), min(clause_end, m.start() + reach + 30)
        word = None
        for w in _BUDGET_WORD.finditer(text, *window):
            if _NOT_MONEY_BUDGET.search(text[max(clause_start, w.start() - 20) : w.start()]):
                continue
            if word is None or abs(w.start() - m.start()) < abs(word.start() - m.start()):
                word = w
        if word is None or abs(word.start() - m.start()) > reach:
            continue
        scale = m.group("scale")
        if (scale or "").lower() in _AMBIGUOUS_SCALE:
            continue
        if scale is None and (currency or "").lower().startswith("k"):
            scale = "k"
        value = number_value(m.group("num"), scale)
        if value is None:
            continue
        qualifier = _qualifier(text[max(clause_start, m.start() - 40) : m.start()])
        stop = m.end() - 1 if _ends_sentence(m) else m.end()
        start, end = min(word.start(), m.start()), max(word.end(), stop)
        yield Figure(value=value, qualifier=qualifier), start, end


def _bare_amount(m: re.Match[str], after: str) -> bool:
    """An amount with no currency is money only when written as one ("50k", "1,5 Mio.",
    "50.000": never a year such as 2026) and nothing it counts follows it ("50k users").
    The budget question's ranges are in the flow's currency (dollars), and such an amount is
    taken in it, as euros are: each range spans ten times its start, so the exchange rate
    does not move an amount across one except right at an edge."""
    scale = (m.group("scale") or "").lower()
    grouped = re.fullmatch(r"\d{1,3}(?:[ '.,\u00a0\u202f]\d{3})+", m.group("num")) is not None
    if _UNIT_OF.get(scale) not in ("k", "m", "b") and not grouped:
        return False
    if _ends_sentence(m):
        return True
    following = re.match(r"\s*([\w']+|.)?", after)
    word = following.group(1) if following else None
    return word is None or not word[0].isalnum() or word.lower() in _AFTER_AMOUNT


def _ends_sentence(m: re.Match[str]) -> bool:
    """Whether the amount's match took the full stop of its sentence ("budget 50k."), not
    that of an abbreviation ("1,5 Mio.")."""
    scale = (m.group("scale") or "").lower()
    return m.group(0).endswith(".") and scale not in ("mio", "mrd", "mln", "mld", "tsd")


def _qualifier(lead: str) -> Literal["", "over", "under"]:
    lead = lead.lower()
    return "under" if _UNDER.search(lead) else "over" if _OVER.search(lead) else ""


class _Clauses:
    """Where the clauses of one text begin and end, found once (a description may hold
    thousands of figures; looking for each one's clause from the start would be quadratic)."""

    def __init__(self, text: str) -> None:
        stops = [(m.start(), m.end()) for m in CLAUSE_END.finditer(text)]
        self._starts = [a for a, _ in stops]
        self._ends = [b for _, b in stops]
        self._length = len(text)

    def start(self, at: int) -> int:
        """Where the clause holding position `at` begins."""
        i = bisect_right(self._ends, at)
        return self._ends[i - 1] if i else 0

    def end(self, at: int) -> int:
        """Where the clause holding position `at` ends."""
        i = bisect_left(self._starts, at)
        return self._starts[i] if i < len(self._starts) else self._length
