"""The whole assessment as `assess --format json` prints it and the summary card shows it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs import advice
from dialogs.commands import Figure
from dialogs.cost import CostAssumptions, cost_section
from dialogs.flow import Answers, Flow
from dialogs.glossary import glossary_for
from dialogs.ids import MONTHLY_TOKENS, Component, Depth, Hosting
from dialogs.matching import option_for
from dialogs.readiness import MEASURED_EVALS
from dialogs.scoring import (
    DEPTHS,
    Contribution,
    Decision,
    decide_effective,
    effective_answers,
    readiness_score,
    weights_by_question,
    with_answer,
)

MAX_CHANGES = 8
MAX_DRIVERS = 3


def _effect_text(flow: Flow, c: Contribution) -> str:
    s = flow.scoring
    text = s.reasons[c.effect]
    if c.effect == "not_ready":
        return text.format(rung=s.depths[Depth(c.detail)].label)
    if c.effect == "floor":
        return text.format(hosting=s.hostings[Hosting(c.detail)].label)
    return text


def drivers(
    flow: Flow, decision: Decision, answers: Answers, changes: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The answers that moved the result most, quoting the person's own choice.

    Ranked by their traced contributions; when fewer than three answers contributed, the
    answers whose change would move the result (from `changes`) fill the list: they are
    what holds it where it is.
    """
    s = flow.scoring
    totals = weights_by_question(decision)
    order = {q.id: i for i, q in enumerate(flow.questions)}
    ranked = sorted(totals, key=lambda q: (-totals[q], order.get(q, 99)))[:MAX_DRIVERS]
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
        if len(effects) >= MAX_DRIVERS:
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
    """Re-run the scoring with one answer changed at a time; keep the changes that move it,
    deeper moves first. Then, where the team is not ready for the rung its gap calls for,
    what that rung needs (rule 9: the prerequisites of the next rung belong here)."""
    s = flow.scoring
    effective = effective_answers(flow, answers)
    found: list[tuple[int, dict[str, str]]] = []
    for q in flow.applicable(answers):
        if q.input != "choice":
            continue
        current = effective.get(q.id)
        best: tuple[int, dict[str, str]] | None = None
        for o in q.options:
            if o.id == current:
                continue
            changed = with_answer(flow, answers, effective, q, o.id)
            other = decide_effective(changed, explain=False)
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
    out = [entry for _, entry in found[:MAX_CHANGES]]
    if decision.missing:
        rung = DEPTHS[max(decision.ready.rank, Depth.RAG.rank) + 1]
        needs = [s.prerequisites[p] for p in decision.missing]
        listed = needs[0] if len(needs) == 1 else ", ".join(needs[:-1]) + " and " + needs[-1]
        out.append(
            {
                "question": "",
                "answer": "",
                "depth": rung.value,
                "hosting": decision.hosting.value,
                "text": flow.message("next_rung", rung=s.depths[rung].label, needs=listed),
            }
        )
    return out


def figure_wins(flow: Flow, answers: Answers) -> tuple[dict[str, str], str | None]:
    """A typed monthly figure sets the volume range; where the range answered disagrees, the
    figure wins and the second value says so (in words for a warning)."""
    out = dict(answers)
    figure = tokens_figure(answers)
    volume = flow.question("volume")
    if figure is None or volume is None:
        return out, None
    fitting = option_for(volume, Figure(value=figure))
    if fitting is None or fitting == answers.get("volume"):
        return out, None
    out["volume"] = fitting
    if "volume" not in answers:
        return out, None
    warning = (
        f'monthly_tokens {figure:,} is in "{volume.label(fitting)}", not'
        f' "{volume.label(answers["volume"])}" as volume says; the figure was used'
    )
    return out, warning


def tokens_figure(answers: Answers) -> int | None:
    raw = answers.get(MONTHLY_TOKENS)
    return int(raw) if raw is not None and raw.isdigit() else None


def _labels(flow: Flow, answers: Answers) -> dict[str, str]:
    out: dict[str, str] = {}
    for qid, value in answers.items():
        question = flow.question(qid)
        if question is None:
            continue
        if question.input == "number":
            out[qid] = f"{int(value):,} tokens a month" if value.isdigit() else value
        else:
            out[qid] = question.label(value)
    return out


def assumed(flow: Flow, answers: Answers) -> dict[str, str]:
    """Every question that applies and was not answered, with the option taken in its place."""
    return {
        q.id: q.assume
        for q in flow.applicable(answers)
        if q.input == "choice" and q.id not in answers and q.assume is not None
    }


def _cost(
    flow: Flow, decision: Decision, eff: Mapping[str, str], answers: Answers, costs: CostAssumptions
) -> dict[str, Any] | None:
    tokens = tokens_figure(answers) or flow.scoring.volume_tokens.get(eff.get("volume", ""))
    if not tokens:
        return None
    return cost_section(
        costs,
        monthly_tokens=tokens,
        allowed=advice.allowed_options(eff),
        redundancy=eff.get("latency") in ("interactive", "realtime_edge", "region_sla"),
        depth=decision.depth.value,
        rag=decision.depth is Depth.RAG or Component.RAG in decision.components,
        small_model_ok=eff.get("evals") in MEASURED_EVALS,
    )


def assess(
    flow: Flow,
    answers: Answers,
    *,
    skipped: tuple[str, ...] = (),
    costs: CostAssumptions,
) -> dict[str, Any]:
    """Build the assessment object (the schema of `assess --format json`, in the README)."""
    s = flow.scoring
    answers, _ = figure_wins(flow, answers)
    choice = {q: a for q, a in answers.items() if q != MONTHLY_TOKENS}
    applicable = {q.id for q in flow.applicable(choice)}
    choice = {q: a for q, a in choice.items() if q in applicable}
    eff = effective_answers(flow, choice)
    decision = decide_effective(eff)
    changes = what_would_change(flow, decision, choice)
    given = dict(choice)
    if MONTHLY_TOKENS in answers and MONTHLY_TOKENS in applicable:
        given[MONTHLY_TOKENS] = answers[MONTHLY_TOKENS]
    flags = advice.flags(flow, decision)
    steps = advice.next_steps(flow, decision, eff)
    headline = advice.headline(flow, decision, eff)
    shown = [headline, *steps, *(f["text"] for f in flags), *(c["text"] for c in changes)]
    shown += [s.depths[decision.depth].label, s.hostings[decision.hosting].label]
    shown += [s.component_labels[c] for c in decision.components]
    return {
        "flow": flow.id,
        "flow_version": flow.version,
        "answers": dict(choice),
        "answer_labels": _labels(flow, given),
        "assumed": assumed(flow, choice),
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
        "next_steps": steps,
        "cost": _cost(flow, decision, eff, answers, costs),
        "glossary": glossary_for(shown),
    }
