"""Scoring v2 on the cases an ML platform architect raised (issue 12), one test each.

Each builds a realistic organisation and checks what the architect expected; the rules that
must hold for every answer set are in `test_scoring_rules.py`.
"""

from __future__ import annotations

import pytest

from dialogs.assessment import assess
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow
from dialogs.flow_loader import load_flow
from dialogs.ids import FACTORS, QUESTION_IDS, Component, Depth, Hosting
from dialogs.scoring import decide, effective_answers

FLOW = load_flow()

# A team ready for everything, with a strong case for going deep.
STRONG: dict[str, str] = {
    "stage": "scale",
    "value": "differentiator",
    "current_gap": "domain_language",
    "knowledge_change": "rarely",
    "data_sensitivity": "public",
    "latency": "interactive",
    "volume": "over_10b",
    "breadth": "few_tasks",
    "explainability": "none",
    "ownership": "model_is_product",
    "evals": "harness",
    "examples": "over_10k",
    "domain_corpus": "over_100b",
    "team": "research",
    "gpus": "reserved",
    "budget": "over_1m",
}

GAME_STUDIO: dict[str, str] = {
    "stage": "scale",
    "value": "differentiator",
    "current_gap": "cost_latency",
    "knowledge_change": "rarely",
    "data_sensitivity": "public",
    "latency": "realtime_edge",
    "volume": "over_10b",
    "monthly_tokens": "20000000000",
    "breadth": "single_task",
    "explainability": "none",
    "ownership": "portability",
    "evals": "labelled_set",
    "examples": "over_10k",
    "domain_corpus": "10m_1b",
    "team": "mlops",
    "gpus": "reserved",
    "budget": "100k_1m",
}

STARTUP: dict[str, str] = {
    "stage": "mvp",
    "value": "core_feature",
    "current_gap": "inconsistent_behavior",
    "knowledge_change": "rarely",
    "data_sensitivity": "confidential",
    "latency": "interactive",
    "volume": "under_10m",
    "breadth": "few_tasks",
    "explainability": "none",
    "ownership": "not_important",
    "evals": "handful",
    "examples": "under_100",
    "domain_corpus": "under_10m",
    "team": "app_devs",
    "gpus": "none",
    "budget": "10k_100k",
}


def with_(base: dict[str, str], **changes: str) -> dict[str, str]:
    return {**base, **changes}


def steps_of(costs: CostAssumptions, answers: dict[str, str]) -> list[str]:
    return list(assess(FLOW, answers, costs=costs)["next_steps"])


def test_every_factor_is_asked_about(flow: Flow) -> None:
    covered = {f for q in flow.questions for f in q.factors}
    assert covered == set(FACTORS)


def test_the_framework_ids_are_all_kept(flow: Flow) -> None:
    assert {q.id for q in flow.questions} >= set(QUESTION_IDS)
    assert {o.id for o in flow.question("examples").options} == {  # type: ignore[union-attr]
        "none",
        "under_100",
        "100_10k",
        "over_10k",
        "synthetic",
    }


def test_the_2026_questions_are_asked_with_neutral_defaults(flow: Flow) -> None:
    neutral = {
        "open_weights": "allowed",
        "vendor_tuning": "acceptable",
        "inputs": "text",
        "tool_use": "none",
        "output_format": "free_text",
        "deprecation": "can_migrate",
        "residency": "none",
    }
    for qid, default in neutral.items():
        question = flow.question(qid)
        assert question is not None, qid
        assert question.assume == default and question.since == 2 and question.skippable


# RAG is recommended on a knowledge, freshness or citation need, never as a fallback.
def test_a_game_studio_with_public_lore_gets_no_retrieval(costs: CostAssumptions) -> None:
    decision = decide(FLOW, GAME_STUDIO)
    assert decision.depth is not Depth.RAG and Component.RAG not in decision.components
    assert not any("passage" in s for s in steps_of(costs, GAME_STUDIO))


def test_capped_depth_falls_back_to_prompting_not_retrieval() -> None:
    for change in ({"stage": "idea"}, {"evals": "none"}, {"budget": "under_10k"}):
        decision = decide(FLOW, with_(STRONG, **change))
        assert decision.depth is Depth.PROMPTING, change
        assert decision.red_flags, change


def test_more_volume_does_not_add_retrieval_to_a_startup() -> None:
    small = decide(FLOW, STARTUP)
    for volume in ("10m_500m", "500m_10b", "over_10b"):
        big = decide(FLOW, with_(STARTUP, volume=volume))
        assert big.depth == small.depth and Component.RAG not in big.components


@pytest.mark.parametrize("data", ["regulated", "in_vpc_only", "air_gapped"])
def test_a_reasoning_gap_gets_prompting_whatever_the_data_rules(
    data: str, costs: CostAssumptions
) -> None:
    answers = with_(STRONG, current_gap="reasoning_tools", data_sensitivity=data)
    result = assess(FLOW, answers, costs=costs)
    assert result["recommendation"]["depth"] == "prompting"
    if data != "regulated":
        assert "hosted model" not in result["recommendation"]["headline"]


def test_retrieval_when_knowledge_changes_facts_are_missing_or_citations_are_needed() -> None:
    base = with_(STARTUP, current_gap="reasoning_tools")
    assert decide(FLOW, base).depth is Depth.PROMPTING
    for change in (
        {"knowledge_change": "monthly"},
        {"current_gap": "missing_facts"},
        {"explainability": "citations"},
    ):
        assert decide(FLOW, with_(base, **change)).depth is Depth.RAG, change
    for audit in ("lineage", "model_risk"):
        assert decide(FLOW, with_(base, explainability=audit)).depth is Depth.PROMPTING


# Running an open-weight model yourself is an answer of its own.
def test_high_volume_cost_gap_with_mlops_runs_an_open_model_in_its_own_cloud(
    costs: CostAssumptions,
) -> None:
    answers = with_(
        GAME_STUDIO,
        latency="interactive",
        monthly_tokens="30000000000",
        examples="none",
        evals="harness",
    )
    result = assess(FLOW, answers, costs=costs)
    rec = result["recommendation"]
    assert (rec["depth"], rec["hosting"]) == ("prompting", "own_cloud")
    assert "open-weight" in rec["headline"] and "hosted" not in rec["headline"]
    assert not any("search index" in s for s in result["next_steps"])


def test_a_team_that_cannot_run_models_keeps_a_vendor_model_and_is_told_why(
    costs: CostAssumptions,
) -> None:
    answers = with_(STARTUP, stage="live", ownership="own_weights")
    result = assess(FLOW, answers, costs=costs)
    assert result["recommendation"]["hosting"] in ("public_api", "private_endpoint")
    assert any(f["id"] == "cannot_run" for f in result["flags"])
    changes = {(c["question"], c["answer"]) for c in result["what_would_change"]}
    assert ("team", "ml_eng") in changes or ("gpus", "reserved") in changes


@pytest.mark.parametrize("data", ["in_vpc_only", "air_gapped"])
def test_strict_data_with_no_open_weights_is_flagged(data: str, costs: CostAssumptions) -> None:
    answers = with_(STRONG, current_gap="reasoning_tools", data_sensitivity=data)
    answers["open_weights"] = "not_allowed"
    result = assess(FLOW, answers, costs=costs)
    assert any(f["id"] == "floor_needs_licence" for f in result["flags"])
    assert "licensed" in result["recommendation"]["headline"]


# The depth and its counterfactuals go the right way.
def test_one_well_defined_task_never_moves_a_model_company_to_pre_training() -> None:
    assert decide(FLOW, STRONG).depth is Depth.PRETRAINING
    assert decide(FLOW, with_(STRONG, breadth="single_task")).depth is Depth.FINE_TUNE


def test_without_gpus_of_its_own_no_team_is_told_to_continue_pre_training() -> None:
    for gpus in ("none", "serverless"):
        decision = decide(FLOW, with_(STRONG, gpus=gpus, ownership="own_weights"))
        assert decision.depth.rank < Depth.CONTINUED_PRETRAINING.rank, gpus
    assert decide(FLOW, with_(STRONG, ownership="own_weights")).depth is Depth.CONTINUED_PRETRAINING


def test_a_vendor_tuning_service_lets_a_team_without_gpus_fine_tune() -> None:
    answers = with_(STRONG, gpus="none", breadth="single_task", ownership="not_important")
    decision = decide(FLOW, answers)
    assert decision.depth is Depth.FINE_TUNE and decision.vendor_tuning
    assert decision.hosting is Hosting.PRIVATE_ENDPOINT
    refused = decide(FLOW, {**answers, "vendor_tuning": "not_acceptable"})
    assert refused.depth is Depth.PROMPTING and "training_path" in refused.missing
    # Data that may not leave the network removes the only way to train (rule 5).
    inside = decide(FLOW, {**answers, "data_sensitivity": "in_vpc_only"})
    assert inside.depth is Depth.PROMPTING


def test_a_format_gap_with_structured_output_needs_structured_outputs_first(
    costs: CostAssumptions,
) -> None:
    answers = with_(STRONG, current_gap="inconsistent_behavior", breadth="single_task")
    assert decide(FLOW, answers).depth is Depth.FINE_TUNE
    answers["output_format"] = "structured"
    result = assess(FLOW, answers, costs=costs)
    assert result["recommendation"]["depth"] == "prompting"
    assert any("structured outputs" in s for s in result["next_steps"])


def test_volume_changes_hosting_for_a_team_with_a_cost_gap_that_can_run_models() -> None:
    answers = with_(GAME_STUDIO, latency="interactive", examples="none")
    answers.pop("monthly_tokens")
    low = decide(FLOW, {**answers, "volume": "10m_500m"})
    high = decide(FLOW, {**answers, "volume": "over_10b"})
    assert low.hosting is Hosting.PUBLIC_API and high.hosting is Hosting.OWN_CLOUD
    assert low.depth == high.depth


def test_the_typed_figure_decides_the_volume_range(costs: CostAssumptions) -> None:
    answers = with_(GAME_STUDIO, latency="interactive", examples="none", volume="under_10m")
    result = assess(FLOW, answers, costs=costs)
    assert result["recommendation"]["hosting"] == "own_cloud"  # 20B typed wins over "under 10M"
    assert result["cost"]["monthly_tokens"] == 20_000_000_000


# Missing answers are assumed and said (rule 10).
def test_a_missing_data_answer_is_assumed_regulated_and_reported(costs: CostAssumptions) -> None:
    answers = {k: v for k, v in STARTUP.items() if k != "data_sensitivity"}
    assert effective_answers(FLOW, answers)["data_sensitivity"] == "regulated"
    result = assess(FLOW, answers, costs=costs)
    assert result["assumed"]["data_sensitivity"] == "regulated"
    assert result["recommendation"]["hosting"] == "private_endpoint"
    assert "cautious" not in str(result)


def test_readiness_is_explained_and_no_point_score_is_shown(costs: CostAssumptions) -> None:
    for answers in (STRONG, STARTUP, GAME_STUDIO):
        result = assess(FLOW, answers, costs=costs)
        words = " ".join(
            [d["text"] for d in result["drivers"]]
            + [c["text"] for c in result["what_would_change"]]
            + result["next_steps"]
        )
        assert "(+" not in words and "(-" not in words
