"""The plain-words notes beside each option's figures: what is in them and what is not."""

from __future__ import annotations

from dialogs.cost_assumptions import CostAssumptions
from dialogs.cost_options import ENDS, SELF_RUN, deployment

#: The depths that cost something upfront, and the assumption holding that cost.
DEPTH_UPFRONT = {
    "fine_tune": "fine_tune_usd",
    "continued_pretraining": "continued_pretraining_usd",
    "pretraining": "pretraining_usd",
}
DEPTH_WORDS = {
    "fine_tune": "fine-tuning",
    "continued_pretraining": "continued pre-training",
    "pretraining": "pre-training from scratch",
}


def _usd(value: float) -> str:
    return f"${value:,.0f}" if value >= 100 or value == 0 else f"${value:,.2f}"


def span(costs: CostAssumptions, name: str) -> str:
    low, high = costs.span(name)
    return _usd(low) if low == high else f"{_usd(low)} to {_usd(high)}"


def hosting_notes(
    costs: CostAssumptions, option_id: str, tokens: int, *, redundancy: bool
) -> list[str]:
    """What the monthly figure of one option is made of."""
    if option_id in ("small_tier", "frontier_tier"):
        share = round(costs["input_share"] * 100)
        return [f"Priced per token, {share}% of tokens taken as input (prompt) tokens."]
    if option_id == "private_endpoint":
        low, high = costs.span("endpoint_premium")
        return [
            f"The frontier tier's price plus {low:.0%} to {high:.0%} for capacity kept for you, "
            f"and at least {span(costs, 'endpoint_minimum_usd_per_month')} a month."
        ]
    fast, slow = (deployment(costs, option_id, end, redundancy=redundancy) for end in ENDS)
    notes: list[str] = []
    unit = "1 GPU" if fast.gpus_per_replica == 1 else f"{fast.gpus_per_replica} GPUs"
    reps = sorted({fast.replicas(tokens), slow.replicas(tokens)})
    count = " to ".join(str(r) for r in reps)
    notes.append(f"{count} replica{'s' if reps[-1] != 1 else ''} of {unit} each.")
    if redundancy and reps == [fast.min_replicas]:
        notes.append("Two replicas for uptime: at this volume redundancy sets the size, not load.")
    if option_id == "on_prem":
        months = round(costs["server_amortisation_months"])
        per = round(costs["gpus_per_server"])
        notes.append(
            f"Runs the 70B-class model (an 8B model would need a fraction of one server) on "
            f"servers of {per} GPUs bought at {span(costs, 'server_usd')} and written off over "
            f"{months} months, plus {span(costs, 'power_space_usd_per_server_month')} a month "
            "each for power and space."
        )
        if redundancy and slow.gpus(tokens) <= per:
            notes.append("Both replicas share one server: a second guards against its failure.")
    else:
        notes.append(f"GPUs rented at {span(costs, 'gpu_hour_usd')} an hour, 730 hours a month.")
    ops = costs["ops_engineers_per_8_gpus"]
    notes.append(f"Operations: {ops:g} of an engineer for every 8 GPUs or part of 8.")
    return notes


def depth_notes(costs: CostAssumptions, option_id: str, *, depth: str, rag: bool) -> list[str]:
    """What the depth and retrieval add, upfront or beside the monthly figure."""
    notes: list[str] = []
    if depth in DEPTH_UPFRONT:
        words = DEPTH_WORDS[depth]
        if option_id in SELF_RUN:
            notes.append(f"Upfront includes {words}: {span(costs, DEPTH_UPFRONT[depth])}.")
        elif depth == "fine_tune":
            notes.append("Not included: the vendor's own fine-tuning service, priced apart.")
        else:
            notes.append(f"A vendor-run model cannot take {words}; this is serving cost only.")
    if rag:
        notes.append(
            f"Upfront includes building retrieval ({span(costs, 'rag_pipeline_usd')}); its "
            f"vector store adds {span(costs, 'vector_store_usd_per_month')} a month, not in "
            "the monthly figure."
        )
    return notes
