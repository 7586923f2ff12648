"""The whole assessment as `assess --format json` prints it and the summary card shows it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.cost import CostAssumptions, compare
from dialogs.flow import Answers, Flow
from dialogs.ids import MONTHLY_TOKENS, Depth, Hosting
from dialogs.scoring import (
    DEPTHS,
    Contribution,
    Decision,
    decide,
    decide_effective,
    effective_answers,
    readiness_score,
    weights_by_question,
    with_answer,
)

MAX_CHANGES = 8
MAX_STEPS = 8


def _effect_text(flow: Flow, c: Contribution) -> str:
    s = flow.scoring
    if c.effect == "pressure_up":
        return flow.message("effect_pressure_up", points=c.detail)
    if c.effect == "pressure_down":
        return flow.message("effect_pressure_down", points=c.detail.lstrip("-"))
    if c.effect == "cap":
        return flow.message("effect_cap", rung=s.depths[Depth(c.detail)].label)
    if c.effect == "red_flag":
        return flow.message("effect_red_flag", rung=s.depths[s.red_flag_cap].label)
    if c.effect == "rag":
        return flow.message("effect_rag")
    if c.effect == "floor":
        return flow.message("effect_floor", hosting=s.hostings[Hosting(c.detail)].label)
    rule = next(r for r in s.hosting_rules if r.id == c.detail)
    return rule.text


def drivers(
    flow: Flow, decision: Decision, answers: Answers, changes: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The three answers that moved the result most, quoting the person's own choice.

    Ranked by their traced contributions; when fewer than three answers contributed, the
    answers whose change would move the result (from `changes`) fill the list: they are
    what holds it where it is.
    """
    s = flow.scoring
    totals = weights_by_question(decision)
    order = {q.id: i for i, q in enumerate(flow.questions)}
    ranked = sorted(totals, key=lambda q: (-totals[q], order.get(q, 99)))[:3]
    effects: dict[str, str] = {}
    for qid in ranked:
        top = max((c for c in decision.contributions if c.question == qid), key=lambda c: c.weight)
        effects[qid] = _effect_text(flow, top)
    held = flow.message(
        "effect_holds",
        depth=s.depths[decision.depth].label,
        hosting=s.hostings[decision.hosting].label,
    )
    for change in changes:
        if len(effects) >= 3:
            break
        effects.setdefault(change["question"], held)
    eff = effective_answers(flow, answers)
    out: list[dict[str, str]] = []
    for qid, effect in effects.items():
        question = flow.question(qid)
        assert question is not None
        key = "driver_text" if qid in answers else "driver_text_assumed"
        text = flow.message(
            key, short=question.short, label=question.label(eff[qid]), effect=effect
        )
        out.append({"question": qid, "answer": eff[qid], "text": text})
    return out


def what_would_change(flow: Flow, decision: Decision, answers: Answers) -> list[dict[str, str]]:
    """Re-run the scoring with one answer changed at a time; keep the changes that move it."""
    s = flow.scoring
    effective = effective_answers(flow, answers)
    found: list[tuple[int, dict[str, str]]] = []
    for q in flow.applicable(answers):
        if q.input != "choice":
            continue
        current = answers.get(q.id, q.assume)
        best: tuple[int, dict[str, str]] | None = None
        for o in q.options:
            if o.id == current:
                continue
            changed = with_answer(flow, answers, effective, q, o.id)
            other = decide_effective(flow, changed, explain=False)
            if (other.depth, other.hosting) == (decision.depth, decision.hosting):
                continue
            if other.depth.rank > decision.depth.rank:
                rank = 0
            elif other.depth == decision.depth:
                rank = 1
            else:
                rank = 2
            text = flow.message(
                "change_text",
                short=q.short,
                label=o.label,
                depth=s.depths[other.depth].label,
                hosting=s.hostings[other.hosting].label,
            )
            entry = {
                "question": q.id,
                "answer": o.id,
                "depth": other.depth.value,
                "hosting": other.hosting.value,
                "text": text,
            }
            if best is None or rank < best[0]:
                best = (rank, entry)
        if best is not None:
            found.append(best)
    found.sort(key=lambda item: item[0])
    return [entry for _, entry in found[:MAX_CHANGES]]


def next_steps(flow: Flow, decision: Decision, answers: Answers) -> list[str]:
    s = flow.scoring
    steps: list[str] = []
    for flag in s.red_flags:
        if flag.id in decision.red_flags:
            steps.append(flow.message("red_flag_step", first=flag.first_step, revisit=flag.revisit))
    if decision.ready.rank < decision.wanted.rank:
        blocked = DEPTHS[decision.ready.rank + 1]
        eff = effective_answers(flow, answers)
        for qid in s.requirements[blocked].failing(eff):
            steps.append(s.requirement_steps[qid])
    steps.extend(s.depths[decision.depth].steps)
    steps.extend(s.hostings[decision.hosting].steps)
    steps.extend(s.components[i].text for i in decision.component_rules)
    unique: list[str] = []
    for step in steps:
        if step not in unique:
            unique.append(step)
    return unique[:MAX_STEPS]


def parse_tokens_answer(answers: Answers) -> int | None:
    raw = answers.get(MONTHLY_TOKENS)
    return int(raw) if raw is not None and raw.isdigit() else None


def assess(
    flow: Flow,
    answers: Answers,
    *,
    skipped: tuple[str, ...] = (),
    costs: CostAssumptions,
) -> dict[str, Any]:
    """Build the assessment object (the schema of `assess --format json`)."""
    s = flow.scoring
    choice = {q: a for q, a in answers.items() if q != MONTHLY_TOKENS}
    applicable = {q.id for q in flow.applicable(choice)}
    choice = {q: a for q, a in choice.items() if q in applicable}
    decision = decide(flow, choice)
    flags: list[dict[str, str]] = [
        {"id": f.id, "kind": "red_flag", "text": f.text}
        for f in s.red_flags
        if f.id in decision.red_flags
    ]
    eff = effective_answers(flow, choice)
    flags.extend(
        {"id": sig.id, "kind": "driver", "text": sig.text}
        for sig in s.signals
        if sig.when.holds(eff)
    )
    tokens = parse_tokens_answer(answers)
    if tokens is None:
        tokens = s.volume_tokens.get(choice.get("volume", ""))
    cost: Mapping[str, Any] | None = compare(costs, tokens).to_dict() if tokens else None
    changes = what_would_change(flow, decision, choice)
    headline = flow.message(
        "headline",
        depth=s.depths[decision.depth].headline,
        hosting=s.hostings[decision.hosting].headline,
    )
    return {
        "flow": flow.id,
        "flow_version": flow.version,
        "answers": dict(choice),
        "skipped": [q for q in skipped if q in applicable or q == MONTHLY_TOKENS],
        "recommendation": {
            "depth": decision.depth.value,
            "hosting": decision.hosting.value,
            "components": [c.value for c in decision.components],
            "headline": headline,
        },
        "readiness": readiness_score(flow, choice),
        "flags": flags,
        "drivers": drivers(flow, decision, choice, changes),
        "what_would_change": changes,
        "next_steps": next_steps(flow, decision, choice),
        "cost": cost,
    }
