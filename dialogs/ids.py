"""Stable recommendation ids from framework.md; question and option ids live in the flow data."""

from __future__ import annotations

from enum import StrEnum


class Depth(StrEnum):
    """How far to change the model, lowest to highest."""

    PROMPTING = "prompting"
    RAG = "rag"
    FINE_TUNE = "fine_tune"
    CONTINUED_PRETRAINING = "continued_pretraining"
    PRETRAINING = "pretraining"

    @property
    def rank(self) -> int:
        return _DEPTH_RANK[self]


class Hosting(StrEnum):
    """Where the model runs, least to most control."""

    PUBLIC_API = "public_api"
    PRIVATE_ENDPOINT = "private_endpoint"
    OWN_CLOUD = "own_cloud"
    ON_PREM = "on_prem"
    AIR_GAPPED = "air_gapped"

    @property
    def rank(self) -> int:
        return _HOSTING_RANK[self]


# Ranks looked up, not searched: the scoring compares them thousands of times per summary.
_DEPTH_RANK: dict[Depth, int] = {d: i for i, d in enumerate(Depth)}
_HOSTING_RANK: dict[Hosting, int] = {h: i for i, h in enumerate(Hosting)}


class Component(StrEnum):
    """Pieces added to any depth."""

    RAG = "rag"
    ROUTING = "routing"
    DISTILLATION = "distillation"
    PREFERENCE_TUNING = "preference_tuning"
    EVALS = "evals"


# The factors of the source article; every one must be covered by at least one question.
FACTORS: tuple[str, ...] = (
    "sovereignty",
    "reliability",
    "accuracy",
    "operating_cost",
    "privacy",
    "explainability",
    "initial_cost",
    "data_requirements",
    "maintenance",
    "gpu_availability",
    "generalizability",
)

# The question ids framework.md fixes; the flow must ask every one.
QUESTION_IDS: tuple[str, ...] = (
    "stage",
    "value",
    "volume",
    "data_sensitivity",
    "latency",
    "current_gap",
    "knowledge_change",
    "evals",
    "examples",
    "domain_corpus",
    "team",
    "budget",
    "ownership",
    "explainability",
    "breadth",
    "gpus",
)

MONTHLY_TOKENS = "monthly_tokens"
