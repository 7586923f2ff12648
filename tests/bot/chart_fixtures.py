"""A cost section in the shape of dialogs.cost.cost_section, and prices for it, for chart tests.

`sample_price` is a stand-in for dialogs.cost.monthly_usd used only where that function is not
there yet (it is the cost model's, being rewritten); tests prefer the real one when it exists.
"""

from __future__ import annotations

import math
from typing import Any

GPU_MONTH = 1_500.0
OPS_MONTH = 3_000.0
TOKENS_PER_GPU_MONTH = 2_000_000_000
PER_TOKEN = {"small_tier": 0.3e-6, "frontier_tier": 6e-6, "private_endpoint": 8e-6}
SELF_RUN = {"own_cloud_small": 1, "own_cloud_large": 4, "on_prem": 2}


def sample_price(option: str, monthly_tokens: int) -> tuple[float, float]:
    if option in PER_TOKEN:
        mid = PER_TOKEN[option] * monthly_tokens
        return mid * 0.8, mid * 1.2
    gpus = SELF_RUN[option] * max(1, math.ceil(monthly_tokens / TOKENS_PER_GPU_MONTH))
    mid = gpus * GPU_MONTH + OPS_MONTH
    return mid * 0.7, mid * 1.3


LABELS = {
    "small_tier": "Small hosted tier",
    "frontier_tier": "Frontier hosted tier",
    "private_endpoint": "Private hosted endpoint",
    "own_cloud_small": "Small open model in your cloud",
    "own_cloud_large": "Large open model in your cloud",
    "on_prem": "Your own hardware",
}


def sample_cost(
    monthly_tokens: int = 1_000_000_000, *, barred: tuple[str, ...] = ("on_prem",)
) -> dict[str, Any]:
    options = []
    for option, label in LABELS.items():
        low, high = sample_price(option, monthly_tokens)
        options.append(
            {
                "id": option,
                "label": label,
                "allowed": option not in barred,
                "monthly_usd": {"low": round(low, 2), "high": round(high, 2)},
                "upfront_usd": {"low": 0, "high": 0},
                "gpus": None,
                "notes": [],
            }
        )
    return {
        "monthly_tokens": monthly_tokens,
        "redundancy": False,
        "prices_as_of": "2026-11-01",
        "options": options,
        "break_even_tokens": {
            "vs_small_tier": {"option": "own_cloud_small", "low": None, "high": None},
            "vs_frontier_tier": {
                "option": "own_cloud_small",
                "low": 500_000_000,
                "high": 1_200_000_000,
            },
        },
        "never_pays": [],
        "assumptions": [],
        "quality_note": "Cost parity only counts if the cheaper model matches quality.",
    }
