"""The scoring (framework.md, version 2): answers in, depth and hosting out, each effect traced.

The rules are code, so that each reads as its rule does; every word the card shows comes from
the flow file, keyed by the ids used here (the loader checks each has its text). `decide` is
cheap and pure: "what would change" re-runs it once per other option of every question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dialogs.flow import Answers, Flow, Question
from dialogs.ids import Component, Depth, Hosting
from dialogs.readiness import (
    FRESH_KNOWLEDGE,
    HIGH_VALUE,
    MEASURED_EVALS,
    PREREQUISITES,
    can_run_models,
    can_train_own,
    flag_questions,
    ready_depth,
    red_flags,
)

DEPTHS = list(Depth)
HOSTINGS = list(Hosting)
_COMPONENT_ORDER = {c: i for i, c in enumerate(Component)}

SELF_RUN = frozenset({Hosting.OWN_CLOUD, Hosting.ON_PREM, Hosting.AIR_GAPPED})

# Rule 5: the least control the data rules accept; nothing lowers it.
FLOOR: Mapping[str, Hosting] = {
    "public": Hosting.PUBLIC_API,
    "confidential": Hosting.PUBLIC_API,
    "regulated": Hosting.PRIVATE_ENDPOINT,
    "in_vpc_only": Hosting.OWN_CLOUD,
    "air_gapped": Hosting.AIR_GAPPED,
}

REASON_IDS: tuple[str, ...] = (
    "gap_domain",
    "gap_behaviour",
    "gap_format",
    "gap_cost",
    "gap_reasoning",
    "gap_facts",
    "gap_not_tried",
    "value_limits",
    "many_tasks",
    "single_task",
    "not_ready",
    "red_flag",
    "rag_fresh",
    "rag_facts",
    "rag_citations",
    "floor",
    "tuned_endpoint",
    "region_sla",
    "residency_country",
    "self_volume",
    "self_edge",
    "self_weights",
    "self_pin",
    "self_sovereign",
    "vendor_instead",
    "own_racks",
)
CAUTION_IDS: tuple[str, ...] = (
    "cannot_run",
    "no_open_weights",
    "floor_needs_skills",
    "floor_needs_licence",
)


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
    rag_needed: bool
    vendor_tuning: bool
    open_weights: bool
    red_flags: tuple[str, ...]
    missing: tuple[str, ...]
    cautions: tuple[str, ...]
    contributions: tuple[Contribution, ...]

    @property
    def self_run(self) -> bool:
        """The team runs the model itself (rule 4), rather than a vendor."""
        return self.hosting in SELF_RUN


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
    `answers`: an answer that gates no other question changes only its own entry."""
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


def decide(flow: Flow, answers: Answers, *, explain: bool = True) -> Decision:
    return decide_effective(effective_answers(flow, answers), explain=explain)


class _Trace:
    """Collects contributions when explaining; does nothing otherwise (the hot path)."""

    def __init__(self, eff: Mapping[str, str], *, on: bool) -> None:
        self.eff = eff
        self.on = on
        self.items: list[Contribution] = []

    def add(self, question: str, effect: str, weight: int, detail: str = "") -> None:
        if self.on:
            answer = self.eff.get(question, "")
            self.items.append(
                Contribution(
                    question=question, answer=answer, effect=effect, weight=weight, detail=detail
                )
            )


def wanted_depth(eff: Mapping[str, str], trace: _Trace) -> Depth:
    """Rule 7 (the gap picks the remedy) and rule 1 (value and breadth bound it)."""
    gap = eff.get("current_gap", "not_tried")
    breadth = eff.get("breadth", "few_tasks")
    if gap == "domain_language":
        trace.add("current_gap", "gap_domain", 4)
        if eff.get("value") in HIGH_VALUE and breadth != "single_task":
            return Depth.PRETRAINING  # as deep as the team is ready for (rule 6 decides)
        if breadth == "single_task":
            trace.add("breadth", "single_task", 1)
        elif eff.get("value") not in HIGH_VALUE:
            trace.add("value", "value_limits", 1)
        return Depth.FINE_TUNE
    if gap in ("inconsistent_behavior", "cost_latency"):
        if gap == "inconsistent_behavior" and eff.get("output_format") == "structured":
            trace.add("output_format", "gap_format", 4)
            return Depth.PROMPTING
        if breadth == "many_tasks":
            trace.add("breadth", "many_tasks", 3)
            return Depth.PROMPTING
        trace.add(
            "current_gap", "gap_behaviour" if gap == "inconsistent_behavior" else "gap_cost", 4
        )
        return Depth.FINE_TUNE
    effect = {"reasoning_tools": "gap_reasoning", "missing_facts": "gap_facts"}.get(
        gap, "gap_not_tried"
    )
    trace.add("current_gap", effect, 2)
    return Depth.PROMPTING


def rag_reasons(eff: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Rule 2: retrieval only on a freshness, missing-facts or citation need."""
    found: list[tuple[str, str]] = []
    if eff.get("knowledge_change") in FRESH_KNOWLEDGE:
        found.append(("knowledge_change", "rag_fresh"))
    if eff.get("current_gap") == "missing_facts":
        found.append(("current_gap", "rag_facts"))
    if eff.get("explainability") == "citations":
        found.append(("explainability", "rag_citations"))
    return tuple(found)


@dataclass(frozen=True, kw_only=True)
class _DepthResult:
    depth: Depth
    wanted: Depth
    ready: Depth
    missing: tuple[str, ...]
    flags: tuple[str, ...]
    rag: bool


def _depth(eff: Mapping[str, str], trace: _Trace) -> _DepthResult:
    wanted = wanted_depth(eff, trace)
    ready, missing = ready_depth(eff)
    depth = wanted if wanted.rank <= ready.rank else ready
    if depth is Depth.RAG:
        depth = Depth.PROMPTING  # readiness is no reason for retrieval (rule 2)
    blocked = ready.rank < wanted.rank and ready.rank < Depth.PRETRAINING.rank
    if blocked:
        rung = DEPTHS[max(ready.rank, Depth.RAG.rank) + 1]
        for prerequisite, questions in PREREQUISITES[rung]:
            if prerequisite in missing:
                for qid in questions:
                    trace.add(qid, "not_ready", 3, rung.value)
    else:
        missing = ()
    flags = red_flags(eff) if wanted.rank >= Depth.FINE_TUNE.rank else ()
    if flags and depth.rank >= Depth.FINE_TUNE.rank:
        depth = Depth.PROMPTING
    for flag in flags:
        for qid in flag_questions(flag):
            trace.add(qid, "red_flag", 3, flag)
    rag = rag_reasons(eff)
    for qid, effect in rag:
        trace.add(qid, effect, 2)
    if rag and depth is Depth.PROMPTING:
        depth = Depth.RAG
    return _DepthResult(
        depth=depth, wanted=wanted, ready=ready, missing=missing, flags=flags, rag=bool(rag)
    )


def decide_effective(eff: Mapping[str, str], *, explain: bool = True) -> Decision:
    """`decide` from the effective answers (see `effective_answers`)."""
    trace = _Trace(eff, on=explain)
    d = _depth(eff, trace)
    depth, rag = d.depth, d.rag
    vendor_tuned = depth.rank >= Depth.FINE_TUNE.rank and not can_train_own(eff)
    hosting, cautions = _hosting(eff, depth, trace)
    open_weights = eff.get("open_weights") != "not_allowed" and (
        hosting in SELF_RUN or (depth.rank >= Depth.FINE_TUNE.rank and not vendor_tuned)
    )
    return Decision(
        depth=depth,
        hosting=hosting,
        components=_components(eff, depth, rag) if explain else (),
        wanted=d.wanted,
        ready=d.ready,
        rag_needed=rag,
        vendor_tuning=vendor_tuned,
        open_weights=open_weights,
        red_flags=d.flags,
        missing=d.missing,
        cautions=cautions,
        contributions=tuple(trace.items),
    )


def _self_run_reasons(eff: Mapping[str, str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if eff.get("volume") == "over_10b" and eff.get("current_gap") == "cost_latency":
        found.append(("volume", "self_volume"))
    if eff.get("latency") == "realtime_edge":
        found.append(("latency", "self_edge"))
    if eff.get("ownership") in ("own_weights", "model_is_product"):
        found.append(("ownership", "self_weights"))
    if eff.get("deprecation") == "must_pin":
        found.append(("deprecation", "self_pin"))
    if eff.get("residency") == "sovereign":
        found.append(("residency", "self_sovereign"))
    return found


def _hosting(
    eff: Mapping[str, str], depth: Depth, trace: _Trace
) -> tuple[Hosting, tuple[str, ...]]:
    """Rules 1, 4 and 5: the data floor, then what latency, volume, ownership and the team's
    ability to run models add; depth only through a tuned model's dedicated capacity."""
    data = eff.get("data_sensitivity", "regulated")
    floor = FLOOR.get(data, Hosting.PRIVATE_ENDPOINT)
    can_run = can_run_models(eff)
    open_ok = eff.get("open_weights") != "not_allowed"
    cautions: list[str] = []
    if floor.rank > 0:
        trace.add("data_sensitivity", "floor", 2 * floor.rank, floor.value)
    if floor is Hosting.AIR_GAPPED:
        if not can_run:
            cautions.append("floor_needs_skills")
        if not open_ok:
            cautions.append("floor_needs_licence")
        return floor, tuple(cautions)
    hosting: Hosting = floor

    def at_least(level: Hosting, qid: str, effect: str, weight: int = 2) -> None:
        nonlocal hosting
        if level.rank > hosting.rank:
            trace.add(qid, effect, weight + level.rank - max(hosting.rank, floor.rank), level.value)
            hosting = level

    if depth.rank >= Depth.FINE_TUNE.rank:
        at_least(Hosting.PRIVATE_ENDPOINT, "current_gap", "tuned_endpoint", 1)
    if eff.get("latency") == "region_sla":
        at_least(Hosting.PRIVATE_ENDPOINT, "latency", "region_sla")
    if eff.get("residency") == "in_country":
        at_least(Hosting.PRIVATE_ENDPOINT, "residency", "residency_country")
    wants_own = _self_run_reasons(eff)
    if wants_own and can_run and open_ok:
        for qid, effect in wants_own:
            at_least(Hosting.OWN_CLOUD, qid, effect)
    elif wants_own:
        cautions.append("cannot_run" if not can_run else "no_open_weights")
        for qid, _ in wants_own:
            at_least(Hosting.PRIVATE_ENDPOINT, qid, "vendor_instead")
    if floor.rank >= Hosting.OWN_CLOUD.rank:
        if not can_run:
            cautions.append("floor_needs_skills")
        if not open_ok:
            cautions.append("floor_needs_licence")
    racks = eff.get("gpus") == "on_prem" and open_ok
    if racks and (hosting in SELF_RUN or data in ("regulated", "in_vpc_only")):
        at_least(Hosting.ON_PREM, "gpus", "own_racks")
    return hosting, tuple(dict.fromkeys(cautions))


def _components(eff: Mapping[str, str], depth: Depth, rag: bool) -> tuple[Component, ...]:
    found: list[Component] = []
    tuned = depth.rank >= Depth.FINE_TUNE.rank
    if rag and depth.rank > Depth.RAG.rank:
        found.append(Component.RAG)
    gap = eff.get("current_gap")
    if (
        eff.get("breadth") == "many_tasks"
        or gap == "reasoning_tools"
        or (gap == "cost_latency" and not tuned)
    ):
        found.append(Component.ROUTING)
    if tuned and gap == "cost_latency":
        found.append(Component.DISTILLATION)
    if (
        tuned
        and gap == "inconsistent_behavior"
        and eff.get("evals") in MEASURED_EVALS
        and eff.get("value") in HIGH_VALUE
    ):
        found.append(Component.PREFERENCE_TUNING)
    if tuned or eff.get("evals") in ("none", "handful"):
        found.append(Component.EVALS)
    return tuple(sorted(found, key=_COMPONENT_ORDER.__getitem__))


def readiness_score(flow: Flow, answers: Answers) -> int:
    """0..100: how much of what training needs (evals, examples, domain text, skills, GPUs,
    budget) the team has, from the readiness answers."""
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
