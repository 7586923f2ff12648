"""The scoring keeps every rule of framework.md; monotonicity is checked over random answers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.assessment import assess
from dialogs.cost import CostAssumptions, load_assumptions
from dialogs.flow import Condition, Flow
from dialogs.flow_loader import load_flow
from dialogs.ids import FACTORS, QUESTION_IDS, Depth, Hosting
from dialogs.scoring import decide, decide_effective, effective_answers, with_answer
from tests.support.answers import FULL_ANSWERS

FLOW = load_flow()
CHOICES = {q.id: [o.id for o in q.options] for q in FLOW.questions if q.input == "choice"}
READINESS = ("evals", "examples", "domain_corpus", "team", "budget", "gpus")

answer_sets = st.fixed_dictionaries({qid: st.sampled_from(opts) for qid, opts in CHOICES.items()})

# A team that is ready for everything, with a strong case, so caps are what the tests vary.
STRONG: dict[str, str] = {
    "stage": "scale",
    "value": "differentiator",
    "current_gap": "domain_language",
    "knowledge_change": "rarely",
    "data_sensitivity": "public",
    "latency": "interactive",
    "volume": "over_10b",
    "breadth": "single_task",
    "explainability": "none",
    "ownership": "model_is_product",
    "evals": "harness",
    "examples": "over_10k",
    "domain_corpus": "over_100b",
    "team": "research",
    "gpus": "reserved",
    "budget": "over_1m",
}


def with_(**changes: str) -> dict[str, str]:
    return {**STRONG, **changes}


def test_every_factor_is_asked_about(flow: Flow) -> None:
    covered = {f for q in flow.questions for f in q.factors}
    assert covered == set(FACTORS)


def test_every_framework_question_id_and_option_id_exists(flow: Flow) -> None:
    expected = {
        "stage": {"idea", "mvp", "live", "scale"},
        "value": {"nice_to_have", "time_saver", "core_feature", "differentiator"},
        "volume": {"under_10m", "10m_500m", "500m_10b", "over_10b", "unknown"},
        "data_sensitivity": {"public", "confidential", "regulated", "in_vpc_only", "air_gapped"},
        "latency": {"none", "interactive", "realtime_edge", "region_sla"},
        "current_gap": {
            "not_tried",
            "missing_facts",
            "inconsistent_behavior",
            "domain_language",
            "cost_latency",
            "reasoning_tools",
        },
        "knowledge_change": {"rarely", "monthly", "daily"},
        "evals": {"none", "handful", "labelled_set", "harness"},
        "examples": {"none", "under_100", "100_10k", "over_10k", "synthetic"},
        "domain_corpus": {"under_10m", "10m_1b", "1b_100b", "over_100b"},
        "team": {"app_devs", "data_eng", "ml_eng", "mlops", "research"},
        "budget": {"under_10k", "10k_100k", "100k_1m", "over_1m"},
        "ownership": {"not_important", "portability", "own_weights", "model_is_product"},
        "explainability": {"none", "citations", "lineage", "model_risk"},
        "breadth": {"single_task", "few_tasks", "many_tasks"},
        "gpus": {"none", "serverless", "reserved", "on_prem"},
    }
    assert set(expected) == set(QUESTION_IDS)
    for qid, options in expected.items():
        question = flow.question(qid)
        assert question is not None, qid
        assert {o.id for o in question.options} == options, qid


# Rule 1: the lowest justified depth; climbing needs evidence.
def test_rule1_no_evidence_means_prompting() -> None:
    calm = with_(
        value="time_saver",
        current_gap="reasoning_tools",
        volume="10m_500m",
        breadth="few_tasks",
        ownership="not_important",
        stage="live",
    )
    assert decide(FLOW, calm).depth is Depth.PROMPTING


def test_rule1_strong_evidence_and_full_readiness_reaches_pretraining() -> None:
    assert decide(FLOW, STRONG).depth is Depth.PRETRAINING


def test_rule1_evidence_short_of_pretraining_stops_at_continued() -> None:
    decision = decide(FLOW, with_(ownership="own_weights"))
    assert decision.depth is Depth.CONTINUED_PRETRAINING


# Rule 2: red flags cap depth at rag, and the advice says what to do first and when to revisit.
RED_FLAGS = {
    "pre_pmf": {"stage": "idea"},
    "low_value": {"value": "nice_to_have"},
    "no_evals": {"evals": "none"},
    "tiny_budget": {"budget": "under_10k"},
    "not_tried": {"current_gap": "not_tried"},
    "no_ml_no_gpu": {"team": "app_devs", "gpus": "none"},
}


def test_rule2_each_red_flag_caps_at_rag(costs: CostAssumptions) -> None:
    for flag, change in RED_FLAGS.items():
        answers = with_(**change)
        decision = decide(FLOW, answers)
        assert flag in decision.red_flags, flag
        assert decision.depth.rank <= Depth.RAG.rank, flag
        result = assess(FLOW, answers, costs=costs)
        texts = " ".join(result["next_steps"])
        red = next(f for f in FLOW.scoring.red_flags if f.id == flag)
        assert red.first_step in texts and red.revisit in texts, flag
        assert {"id": flag, "kind": "red_flag", "text": red.text} in result["flags"]


def test_rule2_mvp_counts_as_pre_product_market_fit() -> None:
    assert "pre_pmf" in decide(FLOW, with_(stage="mvp")).red_flags


# Rule 3: data sensitivity sets a hosting floor nothing lowers.
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answer_sets)
def test_rule3_hosting_floor(answers: dict[str, str]) -> None:
    hosting = decide(FLOW, answers).hosting
    sensitivity = answers["data_sensitivity"]
    if sensitivity == "regulated":
        assert hosting.rank >= Hosting.PRIVATE_ENDPOINT.rank
    if sensitivity == "in_vpc_only":
        assert hosting.rank >= Hosting.OWN_CLOUD.rank
    if sensitivity == "air_gapped":
        assert hosting is Hosting.AIR_GAPPED
    else:
        assert hosting is not Hosting.AIR_GAPPED


# Rule 4: readiness caps depth.
def test_rule4_fine_tune_needs_examples_evals_and_ml_skills() -> None:
    base = with_(
        ownership="not_important",
        value="core_feature",
        volume="500m_10b",
        current_gap="inconsistent_behavior",
    )
    assert decide(FLOW, base).depth is Depth.FINE_TUNE
    for change in ({"examples": "under_100"}, {"evals": "handful"}, {"team": "data_eng"}):
        assert decide(FLOW, {**base, **change}).depth.rank < Depth.FINE_TUNE.rank, change
    assert decide(FLOW, {**base, "examples": "synthetic"}).depth is Depth.FINE_TUNE


def test_rule4_continued_pretraining_needs_corpus_research_and_budget() -> None:
    base = with_(ownership="own_weights")
    assert decide(FLOW, base).depth is Depth.CONTINUED_PRETRAINING
    for change in ({"domain_corpus": "10m_1b"}, {"team": "mlops"}, {"budget": "10k_100k"}):
        assert decide(FLOW, {**base, **change}).depth is Depth.FINE_TUNE, change


def test_rule4_pretraining_needs_the_model_to_be_the_product() -> None:
    assert decide(FLOW, STRONG).depth is Depth.PRETRAINING
    # Same evidence otherwise, but owning weights is not selling the model.
    assert (
        decide(
            FLOW, with_(ownership="own_weights", explainability="lineage", latency="realtime_edge")
        ).depth
        is not Depth.PRETRAINING
    )
    assert decide(FLOW, with_(domain_corpus="1b_100b")).depth is Depth.CONTINUED_PRETRAINING


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answer_sets)
def test_rule4_requirements_hold_for_any_answers(answers: dict[str, str]) -> None:
    depth = decide(FLOW, answers).depth
    if depth.rank >= Depth.FINE_TUNE.rank:
        assert answers["examples"] in {"synthetic", "100_10k", "over_10k"}
        assert answers["evals"] in {"labelled_set", "harness"}
        assert answers["team"] in {"ml_eng", "mlops", "research"}
    if depth.rank >= Depth.CONTINUED_PRETRAINING.rank:
        assert answers["domain_corpus"] in {"1b_100b", "over_100b"}
        assert answers["team"] == "research"
        assert answers["budget"] in {"100k_1m", "over_1m"}
    if depth is Depth.PRETRAINING:
        assert answers["ownership"] == "model_is_product"


# Rule 5: fresh knowledge, missing facts or citations put rag in.
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answer_sets)
def test_rule5_rag_is_in_the_recommendation(answers: dict[str, str]) -> None:
    decision = decide(FLOW, answers)
    needs_rag = (
        answers["knowledge_change"] in {"monthly", "daily"}
        or answers["current_gap"] == "missing_facts"
        or answers["explainability"] == "citations"
    )
    if needs_rag:
        assert decision.depth is Depth.RAG or "rag" in decision.components


# Rule 6: better readiness never lowers depth; stricter sensitivity never lowers hosting.
def _raise(answers: dict[str, str], qid: str, steps: int) -> dict[str, str]:
    order = FLOW.scoring.orders[qid]
    index = min(order.index(answers[qid]) + steps, len(order) - 1)
    return {**answers, qid: order[index]}


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answer_sets, st.sampled_from(READINESS), st.integers(min_value=1, max_value=4))
def test_rule6_better_readiness_never_lowers_depth(
    answers: dict[str, str], qid: str, steps: int
) -> None:
    before = decide(FLOW, answers).depth
    after = decide(FLOW, _raise(answers, qid, steps)).depth
    assert after.rank >= before.rank


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answer_sets, st.lists(st.sampled_from(READINESS), min_size=1, max_size=6))
def test_rule6_several_readiness_gains_never_lower_depth(
    answers: dict[str, str], qids: list[str]
) -> None:
    better = answers
    for qid in qids:
        better = _raise(better, qid, 1)
    assert decide(FLOW, better).depth.rank >= decide(FLOW, answers).depth.rank


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answer_sets, st.integers(min_value=1, max_value=4))
def test_rule6_stricter_sensitivity_never_lowers_hosting(
    answers: dict[str, str], steps: int
) -> None:
    before = decide(FLOW, answers).hosting
    after = decide(FLOW, _raise(answers, "data_sensitivity", steps)).hosting
    assert after.rank >= before.rank


def test_readiness_orders_cover_the_rule6_questions() -> None:
    assert set(READINESS) | {"data_sensitivity"} <= set(FLOW.scoring.orders)


# Rule 7: the answers that moved it most, and what would change it, computed by re-running.
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answer_sets)
def test_rule7_what_would_change_is_recomputed(answers: dict[str, str]) -> None:
    result = assess(FLOW, answers, costs=_costs())
    rec = result["recommendation"]
    for change in result["what_would_change"]:
        other = decide(FLOW, {**answers, change["question"]: change["answer"]})
        assert (other.depth.value, other.hosting.value) == (change["depth"], change["hosting"])
        assert (change["depth"], change["hosting"]) != (rec["depth"], rec["hosting"])
    assert len(result["drivers"]) == 3
    for driver in result["drivers"]:
        question = FLOW.question(driver["question"])
        assert question is not None
        assert driver["answer"] == answers[driver["question"]]
        assert question.label(driver["answer"]) in driver["text"]  # quotes the person's choice


@given(answer_sets)
def test_decide_without_explaining_gives_the_same_recommendation(answers: dict[str, str]) -> None:
    """The cheap form "what would change" re-runs per option agrees with the full one."""
    full, quick = decide(FLOW, answers), decide(FLOW, answers, explain=False)
    assert (quick.depth, quick.hosting, quick.wanted, quick.ready, quick.pressure) == (
        full.depth,
        full.hosting,
        full.wanted,
        full.ready,
        full.pressure,
    )
    assert quick.contributions == () and quick.components == ()


def test_rule7_drivers_name_what_moved_it(costs: CostAssumptions) -> None:
    result = assess(FLOW, FULL_ANSWERS, costs=costs)
    assert [d["question"] for d in result["drivers"]] == [
        "current_gap",
        "data_sensitivity",
        "explainability",
    ]
    changes = {(c["question"], c["answer"]) for c in result["what_would_change"]}
    assert ("evals", "none") in changes  # losing the eval set would drop the depth
    assert ("data_sensitivity", "in_vpc_only") in changes  # stricter data would move hosting


def _costs() -> CostAssumptions:
    return load_assumptions()


def test_assessment_has_the_documented_shape(costs: CostAssumptions) -> None:
    result: dict[str, Any] = assess(FLOW, FULL_ANSWERS, costs=costs)
    assert set(result) == {
        "flow",
        "flow_version",
        "answers",
        "skipped",
        "recommendation",
        "readiness",
        "flags",
        "drivers",
        "what_would_change",
        "next_steps",
        "cost",
    }
    assert set(result["recommendation"]) == {"depth", "hosting", "components", "headline"}
    assert 0 <= result["readiness"] <= 100
    assert set(result["cost"]) == {
        "monthly_tokens",
        "hosted_low_usd",
        "hosted_strong_usd",
        "self_hosted_usd",
        "gpus",
        "break_even_tokens",
        "assumptions",
    }
    assert all(
        set(c) == {"question", "answer", "depth", "hosting", "text"}
        for c in result["what_would_change"]
    )
    assert result["next_steps"] and all(isinstance(s, str) for s in result["next_steps"])


def test_no_cost_when_volume_is_unknown(costs: CostAssumptions) -> None:
    answers = {k: v for k, v in FULL_ANSWERS.items() if k != "monthly_tokens"}
    answers["volume"] = "unknown"
    assert assess(FLOW, answers, costs=costs)["cost"] is None


# "What would change" derives each changed answer set from the current one (with_answer)
# instead of working it out again; it must give what effective_answers gives, on this flow
# and on one where choice questions gate other choice questions.
def _gated_flow() -> Flow:
    gated = {
        "latency": Condition(require={"stage": frozenset({"live", "scale"})}),
        "breadth": Condition(require={"volume": frozenset({"500m_10b", "over_10b"})}),
    }
    questions = tuple(
        replace(q, ask_if=gated[q.id]) if q.id in gated else q for q in FLOW.questions
    )
    return replace(FLOW, questions=questions)


GATED = _gated_flow()
ANY_OPTION = sorted({o for opts in CHOICES.values() for o in opts} | {"?"})
partial_answers = st.dictionaries(st.sampled_from(sorted(CHOICES)), st.sampled_from(ANY_OPTION))


def test_the_gated_flow_gates_choice_questions() -> None:
    assert {"stage", "volume"} <= GATED.gates and "volume" in FLOW.gates


@given(partial_answers, st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_with_answer_is_effective_answers_of_the_changed_set(
    answers: dict[str, str], data: st.DataObject
) -> None:
    for flow in (FLOW, GATED):
        effective = effective_answers(flow, answers)
        question = data.draw(st.sampled_from([q for q in flow.questions if q.input == "choice"]))
        option = data.draw(st.sampled_from([*(o.id for o in question.options), "?"]))
        changed = {**answers, question.id: option}
        assert with_answer(flow, answers, effective, question, option) == effective_answers(
            flow, changed
        )
        assert decide_effective(
            flow, with_answer(flow, answers, effective, question, option), explain=False
        ) == decide(flow, changed, explain=False)
