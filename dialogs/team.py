"""Team mode's core: several members' answers in, the consensus, where they disagree and
whether it matters, out (issue 14). Pure: the chat and `assess --team` both build on it.

Consensus per question: data rules take the strictest answer; readiness questions the lower
median; every other question the majority, a tie going to the cautious option (the question's
assumption) when it is among the tied, else to the option listed first. The team's monthly
figure is the median of the members' figures.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dialogs.assessment import assess
from dialogs.cost import CostAssumptions
from dialogs.flow import Answers, Flow, Question
from dialogs.ids import MONTHLY_TOKENS
from dialogs.scoring import decide

READINESS = ("evals", "examples", "domain_corpus", "team", "budget", "gpus")
STRICTEST = ("data_sensitivity",)

How = Literal["strictest", "lower_median", "majority", "settled"]


@dataclass(frozen=True, kw_only=True)
class Member:
    name: str
    answers: Answers


@dataclass(frozen=True, kw_only=True)
class Consensus:
    answers: dict[str, str]
    how: dict[str, How]


def _order(flow: Flow, question: Question) -> list[str]:
    return list(flow.scoring.orders.get(question.id, ())) or [o.id for o in question.options]


def _majority(question: Question, chosen: Sequence[str]) -> str:
    counts = Counter(chosen)
    top = max(counts.values())
    tied = [o.id for o in question.options if counts.get(o.id) == top]
    if question.assume in tied:
        return str(question.assume)
    return tied[0]


def _settle(flow: Flow, question: Question, chosen: Sequence[str]) -> tuple[str, How]:
    order = _order(flow, question)
    ranked = sorted(chosen, key=lambda o: order.index(o) if o in order else len(order))
    if question.id in STRICTEST:
        return ranked[-1], "strictest"
    if question.id in READINESS:
        return ranked[(len(ranked) - 1) // 2], "lower_median"
    return _majority(question, chosen), "majority"


def consensus(flow: Flow, members: Sequence[Member]) -> Consensus:
    """The answers the team goes with, and how each was formed."""
    answers: dict[str, str] = {}
    how: dict[str, How] = {}
    for question in flow.questions:
        if question.input != "choice":
            continue
        chosen = [
            m.answers[question.id]
            for m in members
            if question.option(m.answers.get(question.id, "")) is not None
        ]
        if chosen:
            answers[question.id], how[question.id] = _settle(flow, question, chosen)
    figures = [int(m.answers[MONTHLY_TOKENS]) for m in members if _figure(m.answers)]
    applicable = {q.id for q in flow.applicable(answers)}
    answers = {q: a for q, a in answers.items() if q in applicable}
    how = {q: h for q, h in how.items() if q in answers}
    if figures and MONTHLY_TOKENS in applicable:
        answers[MONTHLY_TOKENS] = str(int(statistics.median(figures)))
    return Consensus(answers=answers, how=how)


def _figure(answers: Answers) -> bool:
    return answers.get(MONTHLY_TOKENS, "").isdigit()


def disagreements(flow: Flow, members: Sequence[Member], agreed: Consensus) -> list[dict[str, Any]]:
    """Each question where members chose differently: who chose what, and the result under the
    most-chosen other answer that moves depth or hosting (None when none does)."""
    base = decide(flow, agreed.answers, explain=False)
    out: list[dict[str, Any]] = []
    for question in flow.questions:
        if question.input != "choice":
            continue
        chosen = {
            m.name: m.answers[question.id]
            for m in members
            if question.option(m.answers.get(question.id, "")) is not None
        }
        if len(set(chosen.values())) < 2:
            continue
        counts = Counter(chosen.values())
        position = {o.id: i for i, o in enumerate(question.options)}
        others = sorted(
            (o for o in counts if o != agreed.answers.get(question.id)),
            key=lambda o: (-counts[o], position.get(o, 99)),
        )
        changes: dict[str, str] | None = None
        for option in others:
            other = decide(flow, {**agreed.answers, question.id: option}, explain=False)
            if (other.depth, other.hosting) != (base.depth, base.hosting):
                changes = {
                    "depth": other.depth.value,
                    "hosting": other.hosting.value,
                    "answer": option,
                }
                break
        out.append({"question": question.id, "answers": chosen, "changes": changes})
    return out


def team_answers(
    flow: Flow, members: Sequence[Member], *, settled: Mapping[str, str] | None = None
) -> Consensus:
    """The answers the team goes with: the consensus, where `settled` (answers the team's
    facilitator picked) stand in for it (how: "settled") on the questions that still apply."""
    agreed = consensus(flow, members)
    if not settled:
        return agreed
    picked = {q: a for q, a in settled.items() if (k := flow.question(q)) and k.option(a)}
    answers = {**agreed.answers, **picked}
    applicable = {q.id for q in flow.applicable(answers)}
    how: dict[str, How] = {**agreed.how, **dict.fromkeys(picked, "settled")}
    return Consensus(
        answers={q: a for q, a in answers.items() if q in applicable or q == MONTHLY_TOKENS},
        how={q: h for q, h in how.items() if q in applicable},
    )


def assess_team(
    flow: Flow,
    members: Sequence[Member],
    *,
    costs: CostAssumptions,
    settled: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The team's assessment: the usual fields computed on the consensus (team_answers), and
    `team`."""
    agreed = team_answers(flow, members, settled=settled)
    result = assess(flow, agreed.answers, costs=costs)
    individual = [
        {
            "member": m.name,
            "recommendation": assess(flow, m.answers, costs=costs)["recommendation"],
        }
        for m in members
    ]
    result["team"] = {
        "members": [m.name for m in members],
        "consensus": {
            "answers": dict(agreed.answers),
            "how": agreed.how,
        },
        "recommendation": result["recommendation"],
        "disagreements": disagreements(flow, members, agreed),
        "individual": individual,
    }
    return result
