"""Next steps and flags speak to the recommended rung and hosting only, and never contradict
the team's own answers (issue 12, item 2)."""

from __future__ import annotations

import itertools
import random

from dialogs.advice import next_step_ids, next_steps
from dialogs.assessment import assess
from dialogs.cost import CostAssumptions
from dialogs.flow_loader import load_flow
from dialogs.ids import Component, Depth, Hosting
from dialogs.readiness import ML_TEAMS
from dialogs.scoring import decide, effective_answers
from tests.support.scoring_rules import random_answers

FLOW = load_flow()
TEAMS = ("app_devs", "data_eng", "ml_eng", "mlops", "research")
SKILL_WORDS = ("ML skills", "ML engineering skills", "hire", "Bring in")
HOSTED_WORDS = ("hosted", "public API", "vendor agreement", "vendor region")


def _problems(answers: dict[str, str]) -> list[str]:
    eff = effective_answers(FLOW, answers)
    decision = decide(FLOW, answers)
    steps = next_steps(FLOW, decision, eff)
    text = " ".join(steps)
    found: list[str] = []
    if eff["team"] in ML_TEAMS and any(w in text for w in SKILL_WORDS):
        found.append("names skills the team has")
    if eff["data_sensitivity"] in ("in_vpc_only", "air_gapped") and any(
        w in text for w in HOSTED_WORDS
    ):
        found.append("a hosted comparison the data rules forbid")
    rag = decision.depth is Depth.RAG or Component.RAG in decision.components
    if rag != ("search index" in text):
        found.append("retrieval steps exactly when retrieval is recommended")
    if sum(s.startswith("First:") for s in steps) > (1 if decision.red_flags else 0):
        found.append("one 'First:' at most, and only with a red flag")
    if len(set(steps)) != len(steps):
        found.append("a step said twice")
    ids = next_step_ids(decision, eff)
    if "evals_build" in ids and "evals_regression" in ids:
        found.append("two evaluation steps that say the same")
    if decision.depth.rank < Depth.FINE_TUNE.rank and any(
        s in ids for s in ("ft_open", "ft_vendor", "ft_retrain", "cpt_corpus", "pt_runs")
    ):
        found.append("training steps without training")
    if not decision.self_run and any(s in ids for s in ("self_serve", "host_own_cloud")):
        found.append("running a model yourself while a vendor runs it")
    return found


# One base per depth; the grid below varies where it runs and who runs it.
DEPTH_BASES: tuple[dict[str, str], ...] = (
    {"current_gap": "reasoning_tools"},
    {"current_gap": "missing_facts"},
    {"current_gap": "domain_language", "breadth": "single_task", "value": "core_feature"},
    {
        "current_gap": "domain_language",
        "value": "differentiator",
        "domain_corpus": "1b_100b",
        "budget": "100k_1m",
    },
    {
        "current_gap": "domain_language",
        "value": "differentiator",
        "domain_corpus": "over_100b",
        "budget": "over_1m",
        "ownership": "model_is_product",
    },
)
READY = {
    "stage": "scale",
    "examples": "over_10k",
    "evals": "harness",
    "knowledge_change": "rarely",
    "explainability": "none",
    "breadth": "few_tasks",
    "budget": "100k_1m",
}


def _grid() -> list[dict[str, str]]:
    sets: list[dict[str, str]] = []
    for base, data, latency, gpus, ownership in itertools.product(
        DEPTH_BASES,
        ("public", "confidential", "regulated", "in_vpc_only", "air_gapped"),
        ("none", "interactive", "realtime_edge", "region_sla"),
        ("none", "serverless", "reserved", "on_prem"),
        ("not_important", "own_weights", "model_is_product"),
    ):
        answers = {**READY, "ownership": ownership, **base}
        answers.update(data_sensitivity=data, latency=latency, gpus=gpus)
        sets.append(answers)
    rng = random.Random(7)
    return sets + [random_answers(FLOW, rng) for _ in range(1500)]


def test_every_combination_of_depth_hosting_and_team_gets_consistent_steps() -> None:
    """Each depth base in every hosting, each with every team, and random answer sets: every
    reachable (depth, hosting, team) is seen, and every one passes every check."""
    seen: set[tuple[Depth, Hosting, str]] = set()
    for base in _grid():
        for team in TEAMS:
            answers = {**base, "team": team}
            decision = decide(FLOW, answers, explain=False)
            seen.add((decision.depth, decision.hosting, team))
            assert not _problems(answers), (_problems(answers), answers)
    pairs = {(d, h) for d, h, _ in seen}
    for depth, hosting in itertools.product(Depth, Hosting):
        tuned = depth.rank >= Depth.FINE_TUNE.rank
        if tuned and hosting is Hosting.PUBLIC_API:
            continue  # a tuned model runs on capacity of its own (rule 1)
        if depth is Depth.PRETRAINING and hosting is Hosting.PRIVATE_ENDPOINT:
            continue  # the model is the product: its weights run where the team holds them
        assert (depth, hosting) in pairs, (depth, hosting)
    for team in TEAMS:
        assert {(d, h) for d, h, t in seen if t == team}, team


def test_an_ml_team_with_mlops_is_not_told_to_bring_in_ml_skills(costs: CostAssumptions) -> None:
    answers = {
        "stage": "live",
        "value": "core_feature",
        "current_gap": "domain_language",
        "data_sensitivity": "confidential",
        "evals": "handful",
        "examples": "none",
        "team": "mlops",
        "gpus": "reserved",
        "budget": "100k_1m",
    }
    result = assess(FLOW, answers, costs=costs)
    assert not any("ML" in s and "skills" in s for s in result["next_steps"])
    # What the next rung needs is under "what would change", not in the steps.
    assert any("To go on to Fine-tuning" in c["text"] for c in result["what_would_change"])


def test_an_air_gapped_site_is_never_told_to_compare_with_a_hosted_model(
    costs: CostAssumptions,
) -> None:
    answers = {
        "stage": "scale",
        "value": "core_feature",
        "current_gap": "domain_language",
        "data_sensitivity": "air_gapped",
        "evals": "harness",
        "examples": "over_10k",
        "team": "mlops",
        "gpus": "on_prem",
        "budget": "100k_1m",
        "breadth": "single_task",
    }
    result = assess(FLOW, answers, costs=costs)
    assert result["recommendation"]["depth"] == "fine_tune"
    assert not any("hosted" in s for s in result["next_steps"])
    assert any("untuned base model" in s for s in result["next_steps"])


def test_no_budget_red_flag_when_nothing_would_be_trained(costs: CostAssumptions) -> None:
    answers = {
        "stage": "live",
        "value": "time_saver",
        "current_gap": "reasoning_tools",
        "budget": "under_10k",
        "data_sensitivity": "public",
    }
    result = assess(FLOW, answers, costs=costs)
    assert not [f for f in result["flags"] if f["kind"] == "red_flag"]


def test_red_flags_say_what_to_do_first_and_when_to_revisit(costs: CostAssumptions) -> None:
    answers = {
        "stage": "idea",
        "value": "core_feature",
        "current_gap": "domain_language",
        "evals": "none",
        "budget": "under_10k",
        "data_sensitivity": "public",
    }
    result = assess(FLOW, answers, costs=costs)
    reds = [f for f in result["flags"] if f["kind"] == "red_flag"]
    assert {f["id"] for f in reds} >= {"pre_pmf", "no_evals", "tiny_budget"}
    assert all(f["first_step"] and f["revisit"] for f in reds)
    assert [s for s in result["next_steps"] if s.startswith("First:")] == [
        "First: " + reds[0]["first_step"]
    ]
