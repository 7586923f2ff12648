"""The scoring: answers in, a depth and hosting recommendation out, every point traceable.

`decide` is the core (cheap, re-run for "what would change"); `dialogs.assessment` builds the
full card content around it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dialogs.flow import Answers, Flow, Question
from dialogs.ids import Component, Depth, Hosting

DEPTHS = list(Depth)
HOSTINGS = list(Hosting)
_COMPONENT_ORDER = {c: i for i, c in enumerate(Component)}


@dataclass(frozen=True, kw_only=True)
class Contribution:
    """One answer's effect on the result; `weight` ranks how much it mattered."""

    question: str
    answer: str
    effect: str
    weight: int
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class Decision:
    depth: Depth
    hosting: Hosting
    components: tuple[Component, ...]
    wanted: Depth
    ready: Depth
    pressure: int
    red_flags: tuple[str, ...]
    contributions: tuple[Contribution, ...]
    component_rules: tuple[int, ...] = ()


def effective_answers(flow: Flow, answers: Answers) -> dict[str, str]:
    """Answers with each unanswered or not-applicable choice question set to its assumption."""
    out: dict[str, str] = {}
    for q in flow.questions:
        if q.input != "choice":
            continue
        given = answers.get(q.id)
        if (
            given is not None
            and q.option(given) is not None
            and (not q.ask_if.require or q.ask_if.holds(out))
        ):
            out[q.id] = given
        elif q.assume is not None:
            out[q.id] = q.assume
    return out


def with_answer(
    flow: Flow, answers: Answers, effective: Mapping[str, str], question: Question, option: str
) -> dict[str, str]:
    """`effective_answers(flow, {**answers, question.id: option})`, given `effective` for
    `answers`: "what would change" asks this for every other option of every question.

    An answer that no `ask_if` names changes only its own entry (an `ask_if` names only
    questions asked before it, so `effective` holds what the question's own `ask_if` reads);
    an answer that gates other questions is worked out in full.
    """
    if question.id in flow.gates or question.input != "choice":
        return effective_answers(flow, {**answers, question.id: option})
    out = dict(effective)
    if question.option(option) is not None and (
        not question.ask_if.require or question.ask_if.holds(effective)
    ):
        out[question.id] = option
    elif question.assume is not None:
        out[question.id] = question.assume
    else:
        out.pop(question.id, None)
    return out


def _ready_depth(flow: Flow, eff: Answers) -> Depth:
    """The highest rung whose requirements (and those of every rung below) hold."""
    ready = Depth.RAG
    for depth in DEPTHS[DEPTHS.index(Depth.FINE_TUNE) :]:
        cond = flow.scoring.requirements.get(depth)
        if cond is not None and not cond.holds(eff):
            break
        ready = depth
    return ready


def decide(flow: Flow, answers: Answers, *, explain: bool = True) -> Decision:
    """The recommendation for `answers`. Without `explain` only depth and hosting are worked
    out (no contributions, components or flags): "what would change" re-runs it per option."""
    return decide_effective(flow, effective_answers(flow, answers), explain=explain)


def decide_effective(flow: Flow, eff: Mapping[str, str], *, explain: bool = True) -> Decision:
    """`decide` from the effective answers (see `effective_answers`)."""
    s = flow.scoring
    contrib: list[Contribution] = []

    pressure = 0
    for qid, table in s.pressure.items():
        points = table.get(eff.get(qid, ""), 0)
        if points:
            pressure += points
            if explain:
                contrib.append(
                    Contribution(
                        question=qid,
                        answer=eff[qid],
                        effect="pressure_up" if points > 0 else "pressure_down",
                        weight=abs(points),
                        detail=str(points),
                    )
                )
    wanted = Depth.PROMPTING
    for depth in DEPTHS[1:]:
        if pressure >= s.thresholds[depth]:
            wanted = depth

    ready = _ready_depth(flow, eff)
    flags = tuple(f for f in s.red_flags if f.when.holds(eff))
    cap = min(ready, s.red_flag_cap, key=lambda d: d.rank) if flags else ready
    depth = wanted if wanted.rank <= cap.rank else cap

    if explain and wanted.rank > cap.rank:
        lost = wanted.rank - cap.rank
        if ready.rank < wanted.rank and ready.rank <= cap.rank:
            blocked = DEPTHS[ready.rank + 1]
            for qid in s.requirements[blocked].failing(eff):
                contrib.append(
                    Contribution(
                        question=qid,
                        answer=eff[qid],
                        effect="cap",
                        weight=3 * lost,
                        detail=blocked.value,
                    )
                )
        for flag in flags:
            if s.red_flag_cap.rank < wanted.rank:
                for qid in flag.when.require:
                    contrib.append(
                        Contribution(
                            question=qid,
                            answer=eff[qid],
                            effect="red_flag",
                            weight=3 * lost,
                            detail=flag.id,
                        )
                    )
    binding = wanted.rank > cap.rank and s.red_flag_cap.rank < wanted.rank
    if explain and not binding:
        # A red flag that did not lower this result still holds it down: it stops any climb.
        for flag in flags:
            for qid in flag.when.require:
                contrib.append(
                    Contribution(
                        question=qid, answer=eff[qid], effect="red_flag", weight=1, detail=flag.id
                    )
                )

    rag_hits = [q for q, allowed in s.rag_triggers.items() if eff.get(q) in allowed]
    for qid in rag_hits if explain else ():
        contrib.append(
            Contribution(question=qid, answer=eff[qid], effect="rag", weight=2, detail="rag")
        )
    if rag_hits and depth.rank < Depth.RAG.rank:
        depth = Depth.RAG

    floor = s.hosting_floor[eff["data_sensitivity"]]
    hosting = floor
    if explain and floor.rank > 0:
        contrib.append(
            Contribution(
                question="data_sensitivity",
                answer=eff["data_sensitivity"],
                effect="floor",
                weight=2 * floor.rank,
                detail=floor.value,
            )
        )
    if floor is not Hosting.AIR_GAPPED:
        for rule in s.hosting_rules:
            if rule.min_depth is not None and depth.rank < rule.min_depth.rank:
                continue
            if rule.when.holds(eff) and rule.needs.holds(eff) and rule.at_least.rank > hosting.rank:
                gain = rule.at_least.rank - max(hosting.rank, floor.rank)
                hosting = rule.at_least
                for qid in rule.when.require if explain else ():
                    contrib.append(
                        Contribution(
                            question=qid,
                            answer=eff[qid],
                            effect="hosting",
                            weight=2 * gain,
                            detail=rule.id,
                        )
                    )

    components: list[Component] = []
    fired: list[int] = []
    if explain and rag_hits and depth.rank > Depth.RAG.rank:
        components.append(Component.RAG)
    for i, c in enumerate(s.components if explain else ()):
        if c.min_depth is not None and depth.rank < c.min_depth.rank:
            continue
        if not c.when.holds(eff) or (c.component is Component.RAG and depth is Depth.RAG):
            continue
        fired.append(i)
        if c.component not in components:
            components.append(c.component)

    return Decision(
        depth=depth,
        hosting=hosting,
        components=tuple(sorted(components, key=_COMPONENT_ORDER.__getitem__)),
        wanted=wanted,
        ready=ready,
        pressure=pressure,
        red_flags=tuple(f.id for f in flags),
        contributions=tuple(contrib),
        component_rules=tuple(fired),
    )


def readiness_score(flow: Flow, answers: Answers) -> int:
    """0..100: how ready the team is to change and run a model, from the readiness answers."""
    eff = effective_answers(flow, answers)
    got = 0
    best = 0
    for qid, table in flow.scoring.readiness.items():
        if not table:
            continue
        best += max(table.values())
        got += table.get(eff.get(qid, ""), 0)
    return round(100 * got / best) if best else 0


def weights_by_question(decision: Decision) -> Mapping[str, int]:
    totals: dict[str, int] = {}
    for c in decision.contributions:
        totals[c.question] = totals.get(c.question, 0) + c.weight
    return totals
