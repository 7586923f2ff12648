"""Cost model version 2: the framework's worked example, figure by figure, and break-even rules.

1B tokens a month with interactive latency (so at least two replicas), on the packaged
defaults, which are the framework's.
"""

from __future__ import annotations

import pytest

from dialogs.cost import CostAssumptions, cost_section, monthly_usd
from dialogs.cost_options import break_even

BILLION = 1_000_000_000
ALL = frozenset(
    {
        "small_tier",
        "frontier_tier",
        "private_endpoint",
        "own_cloud_small",
        "own_cloud_large",
        "on_prem",
    }
)


def worked_example(costs: CostAssumptions, *, small_model_ok: bool = True) -> dict[str, object]:
    return cost_section(
        costs,
        monthly_tokens=BILLION,
        allowed=ALL,
        redundancy=True,
        depth="prompting",
        rag=False,
        small_model_ok=small_model_ok,
    )


def option(section: dict[str, object], option_id: str) -> dict[str, object]:
    options = section["options"]
    assert isinstance(options, list)
    return next(o for o in options if o["id"] == option_id)


def test_hosted_tiers_at_one_billion(costs: CostAssumptions) -> None:
    section = worked_example(costs)
    # 1,000M x (0.75 x 0.10 + 0.25 x 0.50) = 200; 1,000M x (0.75 x 2 + 0.25 x 10) = 4,000
    assert option(section, "small_tier")["monthly_usd"] == {"low": 200.0, "high": 200.0}
    assert option(section, "frontier_tier")["monthly_usd"] == {"low": 4000.0, "high": 4000.0}


def test_small_open_model_at_one_billion(costs: CostAssumptions) -> None:
    small = option(worked_example(costs), "own_cloud_small")
    # Two replicas of one GPU: capacity is not the limit, redundancy is.
    assert small["gpus"] == 2
    gpus_low, gpus_high = 2 * 730 * 2.35, 2 * 730 * 5.00
    assert (round(gpus_low), round(gpus_high)) == (3431, 7300)
    ops_low, ops_high = 0.25 * 150_000 / 12, 0.25 * 250_000 / 12
    assert (round(ops_low), round(ops_high)) == (3125, 5208)
    band = small["monthly_usd"]
    assert isinstance(band, dict)
    assert band["low"] == pytest.approx(gpus_low + ops_low) and round(band["low"]) == 6556
    assert band["high"] == pytest.approx(gpus_high + ops_high) and round(band["high"]) == 12508


def test_large_open_model_at_one_billion(costs: CostAssumptions) -> None:
    large = option(worked_example(costs), "own_cloud_large")
    assert large["gpus"] == 8  # 2 replicas x 4 GPUs
    band = large["monthly_usd"]
    assert isinstance(band, dict)
    assert (round(band["low"]), round(band["high"])) == (16849, 34408)


def test_break_evens_of_the_worked_example(costs: CostAssumptions) -> None:
    breaks = worked_example(costs)["break_even_tokens"]
    assert isinstance(breaks, dict)
    small = breaks["vs_small_tier"]
    assert small["option"] == "own_cloud_small" and small["high"] is None
    assert small["low"] == pytest.approx(108e9, rel=0.01)
    large = breaks["vs_frontier_tier"]
    assert large["option"] == "own_cloud_large" and large["high"] is None
    assert large["low"] == pytest.approx(4.2e9, rel=0.01)
    marked = breaks["small_vs_frontier_tier"]
    assert marked["option"] == "own_cloud_small" and marked["note"]
    assert marked["low"] == pytest.approx(1.6e9, rel=0.03)
    assert marked["high"] == pytest.approx(3.1e9, rel=0.02)


def test_small_against_frontier_only_where_evals_allow(costs: CostAssumptions) -> None:
    breaks = worked_example(costs, small_model_ok=False)["break_even_tokens"]
    assert isinstance(breaks, dict)
    assert set(breaks) == {"vs_small_tier", "vs_frontier_tier"}


def test_break_even_is_where_it_stays_cheaper_not_the_first_crossing(
    costs: CostAssumptions,
) -> None:
    """At the low end the small open model first undercuts the small tier near 50B tokens, then
    the ninth GPU starts a second block of operations and it is dearer again until ~108B."""

    def small_tier(tokens: int) -> float:
        return monthly_usd(costs, "small_tier", tokens, redundancy=True)[0]

    def own(tokens: int) -> float:
        return monthly_usd(costs, "own_cloud_small", tokens, redundancy=True)[0]

    assert own(52 * BILLION) < small_tier(52 * BILLION)  # first crossing
    assert own(106 * BILLION) > small_tier(106 * BILLION)  # crossed back
    found = break_even(costs, "own_cloud_small", "small_tier", "low", redundancy=True)
    assert found is not None and 105 * BILLION < found < 110 * BILLION
    assert own(found - 10**6) >= small_tier(found - 10**6)
    for tokens in range(found, 2_000 * BILLION, 7 * BILLION + 12_345):
        assert own(tokens) < small_tier(tokens), tokens


def test_break_even_is_none_when_it_never_pays(costs: CostAssumptions) -> None:
    # One slow GPU costs more than the small tier charges for all it can serve.
    assert break_even(costs, "own_cloud_small", "small_tier", "high", redundancy=True) is None
    assert break_even(costs, "own_cloud_large", "frontier_tier", "high", redundancy=False) is None


def test_monthly_usd_matches_the_options(costs: CostAssumptions) -> None:
    section = worked_example(costs)
    for option_id in ALL:
        low, high = monthly_usd(costs, option_id, BILLION, redundancy=True)
        assert option(section, option_id)["monthly_usd"] == {
            "low": round(low, 2),
            "high": round(high, 2),
        }
