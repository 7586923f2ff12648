"""The rules of framework.md (version 2) as checks over one random answer set: the property
tests run a few thousand sets, `bench/scoring_rules.py` runs 100,000 (no pytest here)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping

from dialogs.flow import Flow
from dialogs.ids import Component, Depth, Hosting
from dialogs.scoring import Decision, decide

READINESS = ("evals", "examples", "domain_corpus", "team", "budget", "gpus")
# Questions that only decide hosting (rule 1): changing them never changes depth.
HOSTING_ONLY = ("latency", "volume", "deprecation", "residency")


def choices(flow: Flow) -> dict[str, list[str]]:
    return {q.id: [o.id for o in q.options] for q in flow.questions if q.input == "choice"}


def random_answers(flow: Flow, rng: random.Random) -> dict[str, str]:
    return {qid: rng.choice(options) for qid, options in choices(flow).items()}


def raised(flow: Flow, answers: Mapping[str, str], qid: str, steps: int) -> dict[str, str]:
    """The answer to `qid` moved `steps` places up its order (weakest to strongest)."""
    order = flow.scoring.orders[qid]
    if answers[qid] not in order:  # "unknown" volume is outside the order
        return dict(answers)
    index = min(order.index(answers[qid]) + steps, len(order) - 1)
    return {**answers, qid: order[index]}


def rag_needed(answers: Mapping[str, str]) -> bool:
    return (
        answers["knowledge_change"] in ("monthly", "daily")
        or answers["current_gap"] == "missing_facts"
        or answers["explainability"] == "citations"
    )


def has_rag(decision: Decision) -> bool:
    return decision.depth is Depth.RAG or Component.RAG in decision.components


def single_checks(flow: Flow, answers: Mapping[str, str]) -> Iterator[str]:
    """Rules that hold for one answer set; yields the name of each rule broken."""
    d = decide(flow, answers)
    data = answers["data_sensitivity"]
    floor = {
        "regulated": Hosting.PRIVATE_ENDPOINT,
        "in_vpc_only": Hosting.OWN_CLOUD,
        "air_gapped": Hosting.AIR_GAPPED,
    }.get(data, Hosting.PUBLIC_API)
    if d.hosting.rank < floor.rank or (data == "air_gapped") != (d.hosting is Hosting.AIR_GAPPED):
        yield "rule 5: data floor"
    if has_rag(d) != rag_needed(answers):
        yield "rule 2: retrieval exactly on need"
    tuned = d.depth.rank >= Depth.FINE_TUNE.rank
    if tuned and d.hosting.rank < Hosting.PRIVATE_ENDPOINT.rank:
        yield "rule 1: a tuned model runs on dedicated capacity"
    if tuned and (
        answers["examples"] not in ("synthetic", "100_10k", "over_10k")
        or answers["evals"] not in ("labelled_set", "harness")
        or answers["team"] not in ("ml_eng", "mlops", "research")
    ):
        yield "rule 6: fine-tuning needs examples, a measured eval set and ML skills"
    if tuned and d.red_flags:
        yield "rule 3: red flags cap training"
    if d.depth.rank >= Depth.CONTINUED_PRETRAINING.rank and (
        answers["domain_corpus"] not in ("1b_100b", "over_100b")
        or answers["team"] != "research"
        or answers["budget"] not in ("100k_1m", "over_1m")
        or answers["gpus"] not in ("reserved", "on_prem")
    ):
        yield "rule 6: continued pre-training needs corpus, researchers, budget and GPUs"
    if d.depth is Depth.PRETRAINING and (
        answers["ownership"] != "model_is_product" or answers["breadth"] == "single_task"
    ):
        yield "rule 6: pre-training needs the model to be the product, never one task"
    if answers["current_gap"] == "reasoning_tools" and tuned:
        yield "rule 7: weak reasoning calls for a stronger model, not tuning"
    self_run = d.hosting in (Hosting.OWN_CLOUD, Hosting.ON_PREM)
    can_run = answers["team"] in ("ml_eng", "mlops", "research") or answers["gpus"] in (
        "reserved",
        "on_prem",
    )
    if self_run and not can_run and floor.rank < Hosting.OWN_CLOUD.rank:
        yield "rule 4: a team that cannot run models keeps a vendor-run model"


def _pairs(
    flow: Flow, answers: Mapping[str, str], rng: random.Random
) -> Iterator[tuple[str, dict[str, str], Callable[[Decision, Decision], bool]]]:
    qid = rng.choice(READINESS)
    yield (
        "rule 8: more readiness never lowers depth",
        raised(flow, answers, qid, rng.randint(1, 4)),
        lambda a, b: b.depth.rank >= a.depth.rank,
    )
    stricter = raised(flow, answers, "data_sensitivity", rng.randint(1, 4))
    yield (
        "rule 8: stricter data never lowers hosting nor deepens depth",
        stricter,
        lambda a, b: b.hosting.rank >= a.hosting.rank and b.depth.rank <= a.depth.rank,
    )
    yield (
        "rule 8: more volume never adds retrieval, deepens depth or moves toward the public API",
        raised(flow, answers, "volume", rng.randint(1, 3)),
        lambda a, b: (
            (has_rag(b) <= has_rag(a))
            and b.depth.rank <= a.depth.rank
            and b.hosting.rank >= a.hosting.rank
        ),
    )
    other = rng.choice(HOSTING_ONLY)
    yield (
        "rule 1: hosting reasons never change depth",
        {**answers, other: rng.choice(choices(flow)[other])},
        lambda a, b: a.depth == b.depth,
    )


def pair_checks(flow: Flow, answers: Mapping[str, str], rng: random.Random) -> Iterator[str]:
    """Monotonicity rules: one answer moved, the result compared; yields each rule broken."""
    before = decide(flow, answers, explain=False)
    for name, changed, holds in _pairs(flow, answers, rng):
        if not holds(before, decide(flow, changed, explain=False)):
            yield name


def run(flow: Flow, count: int, *, seed: int) -> dict[str, int]:
    """Check `count` random answer sets; the number of breaks of each rule (all 0 when kept)."""
    rng = random.Random(seed)
    broken: dict[str, int] = {}
    for _ in range(count):
        answers = random_answers(flow, rng)
        for name in (*single_checks(flow, answers), *pair_checks(flow, answers, rng)):
            broken[name] = broken.get(name, 0) + 1
    return broken
