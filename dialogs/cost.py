"""The cost comparison (cost model version 2): every option a team could choose, as ranges.

`cost_section(...)` is what `assess --format json` prints under `cost`:

    {
      "monthly_tokens": int,            # the volume compared
      "redundancy": bool,               # True: self-run options keep at least 2 replicas
      "prices_as_of": "YYYY-MM-DD",     # the oldest date of the assumptions used
      "options": [                      # all six, always, in this order: small_tier,
        {                               # frontier_tier, private_endpoint, own_cloud_small,
          "id": str, "label": str,      # own_cloud_large, on_prem
          "allowed": bool,              # whether the data rules allow it
          "monthly_usd": {"low": float, "high": float},   # serving cost only
          "upfront_usd": {"low": float, "high": float},   # build cost for the depth (and RAG)
          "gpus": int | {"low": int, "high": int} | null, # null for vendor-run options
          "notes": [str, ...],          # what is in the figures, what is beside them
        }, ...
      ],
      "break_even_tokens": {            # tokens a month from which the self-run option stays
                                        # cheaper than the tier at every higher volume
        "vs_small_tier": {"option": "own_cloud_small", "low": int | null, "high": int | null},
        "vs_frontier_tier": {"option": "own_cloud_large", "low": int | null, "high": int | null},
        # only when the team's evals show a small model is good enough:
        "small_vs_frontier_tier": {"option": "own_cloud_small", "low", "high", "note": str},
      },                                # (null: not within 10 trillion tokens a month)
      "never_pays": [str, ...],         # plain statements where a comparison is null at both
                                        # ends and both its options are allowed; else []
      "assumptions": [{"name", "value", "unit", "source", "as_of", "note"}, ...],
      "quality_note": str,
    }

Low ends take fast throughput, low prices and a low salary; high ends the opposite. Vendor-run
options have no upfront cost for the depth; retrieval (RAG) is built whichever model answers, so
its pipeline is upfront on every option and its vector store a note beside the monthly figure.
"""

from __future__ import annotations

from typing import Any

from dialogs.cost_assumptions import Assumption, CostAssumptions, load_assumptions
from dialogs.cost_notes import DEPTH_UPFRONT, depth_notes, hosting_notes
from dialogs.cost_options import (
    ENDS,
    OPTION_IDS,
    SELF_RUN,
    break_even,
    deployment,
    serving_cost,
)
from dialogs.errors import ConfigError, Problem

__all__ = [
    "LABELS",
    "OPTION_IDS",
    "Assumption",
    "ConfigError",
    "CostAssumptions",
    "Problem",
    "cost_section",
    "load_assumptions",
    "monthly_usd",
]

LABELS: dict[str, str] = {
    "small_tier": "Hosted small tier (per-token API)",
    "frontier_tier": "Hosted frontier tier (per-token API)",
    "private_endpoint": "Dedicated endpoint at a vendor",
    "own_cloud_small": "Small open model (8B class) in your own cloud",
    "own_cloud_large": "Large open model (70B class) in your own cloud",
    "on_prem": "Large open model on your own servers (on-premises or air-gapped)",
}
QUALITY_NOTE = (
    "Cost parity only counts if the cheaper model matches quality on your own evals: "
    "check it on your eval set before switching to save money."
)
#: The break-even comparisons: key, self-run option, hosted tier.
COMPARISONS = (
    ("vs_small_tier", "own_cloud_small", "small_tier"),
    ("vs_frontier_tier", "own_cloud_large", "frontier_tier"),
    ("small_vs_frontier_tier", "own_cloud_small", "frontier_tier"),
)
SMALL_VS_FRONTIER_NOTE = (
    "Shown because your evals can tell whether a small model is good enough: "
    "it only counts where they show it is."
)


def monthly_usd(
    costs: CostAssumptions, option_id: str, monthly_tokens: int, *, redundancy: bool
) -> tuple[float, float]:
    """(low, high) USD a month to serve `monthly_tokens` with one option (for the chart)."""
    low, high = (
        serving_cost(costs, option_id, monthly_tokens, end, redundancy=redundancy) for end in ENDS
    )
    return low, high


def _money(low: float, high: float) -> dict[str, float]:
    return {"low": round(low, 2), "high": round(high, 2)}


def _upfront(costs: CostAssumptions, option_id: str, depth: str, rag: bool) -> dict[str, float]:
    low = high = 0.0
    if option_id in SELF_RUN and depth in DEPTH_UPFRONT:
        low, high = costs.span(DEPTH_UPFRONT[depth])
    if rag:
        rag_low, rag_high = costs.span("rag_pipeline_usd")
        low, high = low + rag_low, high + rag_high
    return _money(low, high)


def _gpus(
    costs: CostAssumptions, option_id: str, tokens: int, redundancy: bool
) -> int | dict[str, int] | None:
    if option_id not in SELF_RUN:
        return None
    low, high = (
        deployment(costs, option_id, end, redundancy=redundancy).gpus(tokens) for end in ENDS
    )
    return low if low == high else {"low": low, "high": high}


def _option(
    costs: CostAssumptions,
    option_id: str,
    *,
    tokens: int,
    allowed: bool,
    redundancy: bool,
    depth: str,
    rag: bool,
) -> dict[str, Any]:
    low, high = monthly_usd(costs, option_id, tokens, redundancy=redundancy)
    notes = hosting_notes(costs, option_id, tokens, redundancy=redundancy)
    notes += depth_notes(costs, option_id, depth=depth, rag=rag)
    return {
        "id": option_id,
        "label": LABELS[option_id],
        "allowed": allowed,
        "monthly_usd": _money(low, high),
        "upfront_usd": _upfront(costs, option_id, depth, rag),
        "gpus": _gpus(costs, option_id, tokens, redundancy),
        "notes": notes,
    }


def _never_pays(option_id: str, tier: str) -> str:
    what = LABELS[option_id].replace(" (8B class)", "").replace(" (70B class)", "")
    return (
        f"{what} never costs less than the {LABELS[tier].split(' (')[0].lower()} at any volume "
        "up to 10 trillion tokens a month, under these prices."
    )


def cost_section(
    costs: CostAssumptions,
    *,
    monthly_tokens: int,
    allowed: frozenset[str],
    redundancy: bool,
    depth: str,
    rag: bool,
    small_model_ok: bool,
) -> dict[str, Any]:
    """The cost comparison at `monthly_tokens` (see the module docstring for the shape).

    `allowed`: option ids the data rules allow; `redundancy`: at least two replicas (latency or
    uptime needs); `depth`: the recommended depth id; `rag`: retrieval is recommended;
    `small_model_ok`: the team has evals, so the small model against the frontier tier is shown.
    """
    options = [
        _option(
            costs,
            option_id,
            tokens=monthly_tokens,
            allowed=option_id in allowed,
            redundancy=redundancy,
            depth=depth,
            rag=rag,
        )
        for option_id in OPTION_IDS
    ]
    breaks: dict[str, dict[str, Any]] = {}
    never: list[str] = []
    for key, option_id, tier in COMPARISONS:
        if key == "small_vs_frontier_tier" and not small_model_ok:
            continue
        low, high = (break_even(costs, option_id, tier, end, redundancy=redundancy) for end in ENDS)
        breaks[key] = {"option": option_id, "low": low, "high": high}
        if key == "small_vs_frontier_tier":
            breaks[key]["note"] = SMALL_VS_FRONTIER_NOTE
        if low is None and high is None and {option_id, tier} <= allowed:
            never.append(_never_pays(option_id, tier))
    return {
        "monthly_tokens": monthly_tokens,
        "redundancy": redundancy,
        "prices_as_of": costs.oldest.isoformat(),
        "options": options,
        "break_even_tokens": breaks,
        "never_pays": never,
        "assumptions": costs.to_list(),
        "quality_note": QUALITY_NOTE,
    }
