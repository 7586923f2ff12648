"""What the card says about a decision: the headline, the flags and the next steps.

Next steps cover the recommended rung and hosting only (framework.md, "The summary card"):
what a team lacks for the next rung belongs under "what would change", never here; a step
never names a skill the team has, nor a hosted comparison where the data rules forbid one.
"""

from __future__ import annotations

from collections.abc import Mapping

from dialogs.flow import Flow
from dialogs.ids import Component, Depth, Hosting
from dialogs.readiness import HOSTED_TIER_DATA, MEASURED_EVALS, VENDOR_DATA
from dialogs.scoring import Decision

MAX_STEPS = 10

HEADLINE_IDS: tuple[str, ...] = (
    "prompting_vendor",
    "prompting_vendor_cost",
    "prompting_vendor_reasoning",
    "prompting_self",
    "prompting_licensed",
    "rag_vendor",
    "rag_self",
    "rag_licensed",
    "fine_tune_open",
    "fine_tune_vendor",
    "continued_pretraining",
    "pretraining",
)

STEP_IDS: tuple[str, ...] = (
    "prompt_examples",
    "prompt_cost",
    "prompt_reasoning",
    "log_requests",
    "self_serve",
    "self_licensed",
    "self_approved",
    "rag_index",
    "rag_fresh",
    "rag_cite",
    "rag_measure",
    "ft_open",
    "ft_vendor",
    "ft_compare_hosted",
    "ft_compare_base",
    "ft_retrain",
    "cpt_corpus",
    "cpt_pilot",
    "pt_runs",
    "red_team",
    "host_public",
    "host_private",
    "host_own_cloud",
    "host_on_prem",
    "host_air_gapped",
    "redundancy",
    "routing",
    "distillation",
    "preference_tuning",
    "evals_build",
    "evals_regression",
    "structured",
    "tools_check",
    "inputs_check",
    "documentation",
    "pin_vendor",
    "residency_vendor",
    "run_later",
)

_HOSTING_STEP: Mapping[Hosting, str] = {
    Hosting.PUBLIC_API: "host_public",
    Hosting.PRIVATE_ENDPOINT: "host_private",
    Hosting.OWN_CLOUD: "host_own_cloud",
    Hosting.ON_PREM: "host_on_prem",
    Hosting.AIR_GAPPED: "host_air_gapped",
}


def headline_id(decision: Decision, eff: Mapping[str, str]) -> str:
    """Rule 4: a model the team runs itself is never called "a hosted model"."""
    depth = decision.depth
    if depth in (Depth.PROMPTING, Depth.RAG):
        if decision.self_run:
            runner = "self" if eff.get("open_weights") != "not_allowed" else "licensed"
            return f"{depth.value}_{runner}"
        if depth is Depth.PROMPTING and eff.get("current_gap") == "cost_latency":
            return "prompting_vendor_cost"
        if depth is Depth.PROMPTING and eff.get("current_gap") == "reasoning_tools":
            return "prompting_vendor_reasoning"
        return f"{depth.value}_vendor"
    if depth is Depth.FINE_TUNE:
        return "fine_tune_vendor" if decision.vendor_tuning else "fine_tune_open"
    return depth.value


def headline(flow: Flow, decision: Decision, eff: Mapping[str, str]) -> str:
    s = flow.scoring
    return flow.message(
        "headline",
        depth=s.headlines[headline_id(decision, eff)],
        hosting=s.hostings[decision.hosting].headline,
    )


def hosted_comparison_allowed(eff: Mapping[str, str]) -> bool:
    """A vendor-run model is something the data rules let the team compare against."""
    return eff.get("data_sensitivity") in VENDOR_DATA


def _depth_steps(decision: Decision, eff: Mapping[str, str]) -> list[str]:
    depth = decision.depth
    gap = eff.get("current_gap")
    steps: list[str] = []
    if depth in (Depth.PROMPTING, Depth.RAG):
        if decision.self_run:
            if eff.get("open_weights") == "not_allowed":
                steps.append("self_licensed")
            else:
                steps.append("self_serve")
                if eff.get("open_weights") == "approved_only":
                    steps.append("self_approved")
        if gap == "cost_latency":
            steps.append("prompt_cost")
        elif gap == "reasoning_tools":
            steps.append("prompt_reasoning")
        if gap == "inconsistent_behavior" or eff.get("output_format") == "structured":
            steps.append("structured")
        return steps
    if depth is Depth.FINE_TUNE:
        steps.append("ft_vendor" if decision.vendor_tuning else "ft_open")
        if eff.get("open_weights") == "approved_only" and not decision.vendor_tuning:
            steps.append("self_approved")
    elif depth is Depth.CONTINUED_PRETRAINING:
        steps += ["cpt_corpus", "cpt_pilot"]
    else:
        steps += ["pt_runs", "cpt_corpus"]
    steps.append("ft_compare_hosted" if hosted_comparison_allowed(eff) else "ft_compare_base")
    steps.append("ft_retrain")
    if depth.rank >= Depth.CONTINUED_PRETRAINING.rank or eff.get("value") == "differentiator":
        steps.append("red_team")
    return steps


def _rag_steps(eff: Mapping[str, str]) -> list[str]:
    steps = ["rag_index"]
    if eff.get("knowledge_change") in ("monthly", "daily"):
        steps.append("rag_fresh")
    if eff.get("explainability") == "citations" or eff.get("current_gap") == "missing_facts":
        steps.append("rag_cite")
    steps.append("rag_measure")
    return steps


def _hosting_steps(decision: Decision, eff: Mapping[str, str]) -> list[str]:
    steps = [_HOSTING_STEP[decision.hosting]]
    if decision.self_run and eff.get("latency") in ("interactive", "realtime_edge", "region_sla"):
        steps.append("redundancy")
    if not decision.self_run:
        if eff.get("deprecation") == "must_pin":
            steps.append("pin_vendor")
        if eff.get("residency") == "in_country":
            steps.append("residency_vendor")
        if "cannot_run" in decision.cautions:
            steps.append("run_later")
    return steps


def _component_steps(decision: Decision, eff: Mapping[str, str]) -> list[str]:
    steps: list[str] = []
    for component in decision.components:
        if component is Component.EVALS:
            tuned = decision.depth.rank >= Depth.FINE_TUNE.rank
            measured = eff.get("evals") in MEASURED_EVALS
            steps.append("evals_regression" if tuned and measured else "evals_build")
        elif component is not Component.RAG:
            steps.append(component.value)
    return steps


def next_step_ids(decision: Decision, eff: Mapping[str, str]) -> list[str]:
    """The steps for the recommended rung and hosting, most urgent first, each once."""
    steps: list[str] = []
    if eff.get("evals") in ("none", "handful") and "no_evals" not in decision.red_flags:
        steps.append("evals_build")
    steps += _depth_steps(decision, eff)
    if decision.depth is Depth.RAG or Component.RAG in decision.components:
        steps += _rag_steps(eff)
    steps += _hosting_steps(decision, eff)
    steps += _component_steps(decision, eff)
    if eff.get("explainability") in ("lineage", "model_risk"):
        steps.append("documentation")
    if eff.get("tool_use") in ("tools", "agentic") and eff.get("current_gap") != "reasoning_tools":
        steps.append("tools_check")
    if eff.get("inputs") in ("images_documents", "audio_video"):
        steps.append("inputs_check")
    if decision.depth.rank < Depth.FINE_TUNE.rank:
        steps += ["prompt_examples", "log_requests"]
    if "no_evals" in decision.red_flags:
        steps = [s for s in steps if s != "evals_build"]  # the red flag's first step says it
    return list(dict.fromkeys(steps))


def next_steps(flow: Flow, decision: Decision, eff: Mapping[str, str]) -> list[str]:
    """The card's next steps: the binding red flags' first steps (one "First:"), then the
    steps of the recommendation."""
    s = flow.scoring
    out: list[str] = []
    flags = [f for f in s.red_flags if f.id in decision.red_flags]
    for i, flag in enumerate(flags):
        if i == 0:
            out.append(flow.message("red_flag_step", first=flag.first_step))
        else:
            out.append(flag.first_step)
    out += [s.steps[step] for step in next_step_ids(decision, eff)]
    return list(dict.fromkeys(out))[:MAX_STEPS]


def flags(flow: Flow, decision: Decision) -> list[dict[str, str]]:
    """Red flags that hold training back (with what to do first and when to revisit), then
    cautions: conflicts between the answers that the person should settle."""
    s = flow.scoring
    out: list[dict[str, str]] = [
        {
            "id": f.id,
            "kind": "red_flag",
            "text": f.text,
            "first_step": f.first_step,
            "revisit": f.revisit,
        }
        for f in s.red_flags
        if f.id in decision.red_flags
    ]
    out += [{"id": c, "kind": "caution", "text": s.cautions[c]} for c in decision.cautions]
    return out


def allowed_options(eff: Mapping[str, str]) -> frozenset[str]:
    """The cost options the data rules (and the open-weights answer) allow."""
    data = eff.get("data_sensitivity", "regulated")
    allowed: set[str] = set()
    if data in HOSTED_TIER_DATA:
        allowed |= {"small_tier", "frontier_tier"}
    if data in VENDOR_DATA:
        allowed.add("private_endpoint")
    if eff.get("open_weights") != "not_allowed":
        if data != "air_gapped":
            allowed |= {"own_cloud_small", "own_cloud_large"}
        allowed.add("on_prem")
    return frozenset(allowed)
