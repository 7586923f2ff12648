"""What a team has and may use, read from its answers: the prerequisites of each rung (rule 6),
the red flags that hold training back (rule 3), and whether it can run a model itself (rule 4).
`dialogs.scoring` decides with these; the loader checks each id here has its words."""

from __future__ import annotations

from collections.abc import Mapping

from dialogs.ids import Depth

ML_TEAMS = frozenset({"ml_eng", "mlops", "research"})
OWN_GPUS = frozenset({"reserved", "on_prem"})
MEASURED_EVALS = frozenset({"labelled_set", "harness"})
ENOUGH_EXAMPLES = frozenset({"synthetic", "100_10k", "over_10k"})
BILLION_CORPUS = frozenset({"1b_100b", "over_100b"})
LARGE_BUDGET = frozenset({"100k_1m", "over_1m"})
HIGH_VALUE = frozenset({"core_feature", "differentiator"})
FRESH_KNOWLEDGE = frozenset({"monthly", "daily"})
# Data a vendor may see under an agreement: its fine-tuning service and hosted tiers are allowed.
VENDOR_DATA = frozenset({"public", "confidential", "regulated"})
HOSTED_TIER_DATA = frozenset({"public", "confidential"})

# Rule 3: reasons not to train yet, each one answer (no_ml_no_gpu is two, see `_red_flags`).
RED_FLAG_ANSWERS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("pre_pmf", "stage", frozenset({"idea", "mvp"})),
    ("low_value", "value", frozenset({"nice_to_have"})),
    ("not_tried", "current_gap", frozenset({"not_tried"})),
    ("no_evals", "evals", frozenset({"none"})),
    ("tiny_budget", "budget", frozenset({"under_10k"})),
)
RED_FLAG_IDS: tuple[str, ...] = (*(f for f, _, _ in RED_FLAG_ANSWERS), "no_ml_no_gpu")

# Rule 6: what each rung needs, as (prerequisite id, the questions it reads).
PREREQUISITES: Mapping[Depth, tuple[tuple[str, tuple[str, ...]], ...]] = {
    Depth.FINE_TUNE: (
        ("examples", ("examples",)),
        ("measured_evals", ("evals",)),
        ("ml_skills", ("team",)),
        ("training_path", ("gpus", "vendor_tuning", "data_sensitivity", "open_weights")),
    ),
    Depth.CONTINUED_PRETRAINING: (
        ("billion_tokens", ("domain_corpus",)),
        ("research_team", ("team",)),
        ("large_budget", ("budget",)),
        ("own_gpus", ("gpus",)),
        ("open_base", ("open_weights",)),
    ),
    Depth.PRETRAINING: (
        ("model_is_product", ("ownership",)),
        ("hundred_billion_tokens", ("domain_corpus",)),
        ("million_budget", ("budget",)),
    ),
}
PREREQUISITE_IDS: tuple[str, ...] = tuple(p for rung in PREREQUISITES.values() for p, _ in rung)


def can_train_own(eff: Mapping[str, str]) -> bool:
    """GPU access of any kind, and an open model to start from."""
    return eff.get("gpus", "none") != "none" and eff.get("open_weights") != "not_allowed"


def vendor_tuning_allowed(eff: Mapping[str, str]) -> bool:
    """A vendor's fine-tuning service the team accepts and the data rules allow."""
    return (
        eff.get("vendor_tuning", "acceptable") == "acceptable"
        and eff.get("data_sensitivity") in VENDOR_DATA
    )


def _holds(prerequisite: str, eff: Mapping[str, str]) -> bool:
    checks: Mapping[str, bool] = {
        "examples": eff.get("examples") in ENOUGH_EXAMPLES,
        "measured_evals": eff.get("evals") in MEASURED_EVALS,
        "ml_skills": eff.get("team") in ML_TEAMS,
        "training_path": can_train_own(eff) or vendor_tuning_allowed(eff),
        "billion_tokens": eff.get("domain_corpus") in BILLION_CORPUS,
        "research_team": eff.get("team") == "research",
        "large_budget": eff.get("budget") in LARGE_BUDGET,
        "own_gpus": eff.get("gpus") in OWN_GPUS,
        "open_base": eff.get("open_weights") != "not_allowed",
        "model_is_product": eff.get("ownership") == "model_is_product",
        "hundred_billion_tokens": eff.get("domain_corpus") == "over_100b",
        "million_budget": eff.get("budget") == "over_1m",
    }
    return checks[prerequisite]


def ready_depth(eff: Mapping[str, str]) -> tuple[Depth, tuple[str, ...]]:
    """Rule 6: the highest rung whose prerequisites (and those of every rung below) hold, and
    the prerequisites the next rung still lacks."""
    ready = Depth.RAG
    for depth, needs in PREREQUISITES.items():
        missing = tuple(p for p, _ in needs if not _holds(p, eff))
        if missing:
            return ready, missing
        ready = depth
    return ready, ()


def red_flags(eff: Mapping[str, str]) -> tuple[str, ...]:
    flags = [f for f, qid, answers in RED_FLAG_ANSWERS if eff.get(qid) in answers]
    if eff.get("team") not in ML_TEAMS and eff.get("gpus", "none") == "none":
        flags.append("no_ml_no_gpu")
    return tuple(flags)


def flag_questions(flag: str) -> tuple[str, ...]:
    if flag == "no_ml_no_gpu":
        return ("team", "gpus")
    return tuple(q for f, q, _ in RED_FLAG_ANSWERS if f == flag)


def can_run_models(eff: Mapping[str, str]) -> bool:
    """Rule 4: ML engineering, MLOps or research skills, or GPUs the team already has."""
    return eff.get("team") in ML_TEAMS or eff.get("gpus") in OWN_GPUS
