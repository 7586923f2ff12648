"""Break-even over random prices: from the volume returned the self-run option is cheaper at
every higher volume checked (each step's first and last token among them), and just below it
it is not; None only where it is not cheaper at the top of the search."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.cost import CostAssumptions
from dialogs.cost_options import SEARCH_LIMIT, break_even, deployment, price_per_token

PAIRS = [
    ("own_cloud_small", "small_tier"),
    ("own_cloud_small", "frontier_tier"),
    ("own_cloud_large", "frontier_tier"),
]


def with_values(costs: CostAssumptions, **values: float) -> CostAssumptions:
    items = dict(costs.items)
    for name, value in values.items():
        items[name] = dataclasses.replace(items[name], value=value)
    return CostAssumptions(items=items, source="test")


@settings(max_examples=150, deadline=None)
@given(
    gpu_hour=st.floats(min_value=0.5, max_value=12.0),
    tokens_per_second=st.floats(min_value=500, max_value=30_000),
    salary=st.floats(min_value=0, max_value=400_000),
    output_price=st.floats(min_value=0.2, max_value=30.0),
    pair=st.sampled_from(PAIRS),
    redundancy=st.booleans(),
    probes=st.lists(st.integers(min_value=0, max_value=SEARCH_LIMIT), max_size=20),
)
def test_break_even_holds_above_and_not_just_below(
    costs: CostAssumptions,
    *,
    gpu_hour: float,
    tokens_per_second: float,
    salary: float,
    output_price: float,
    pair: tuple[str, str],
    redundancy: bool,
    probes: list[int],
) -> None:
    option_id, tier = pair
    a = with_values(
        costs,
        gpu_hour_usd_low=gpu_hour,
        small_model_tokens_per_second_per_gpu_high=tokens_per_second,
        large_model_tokens_per_second_per_replica_high=tokens_per_second,
        engineer_usd_per_year_low=salary,
        small_tier_output_usd_per_1m=output_price / 10,
        frontier_tier_output_usd_per_1m=output_price,
    )
    d = deployment(a, option_id, "low", redundancy=redundancy)
    price = price_per_token(a, tier)

    def cheaper(tokens: int) -> bool:
        return d.cost(tokens) < tokens * price

    found = break_even(a, option_id, tier, "low", redundancy=redundancy)
    if found is None:
        assert not cheaper(SEARCH_LIMIT)
        return
    assert found == 1 or not cheaper(found - 1)
    capacity = d.tokens_per_replica_month
    first = d.replicas(found)
    edges = [int(n * capacity) + k for n in range(first, first + 40) for k in (0, 1)]
    checked = [t for t in [found, *edges, *probes, SEARCH_LIMIT] if found <= t <= SEARCH_LIMIT]
    for tokens in checked:
        assert cheaper(tokens), tokens
