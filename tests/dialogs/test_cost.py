"""The cost comparison with the documented November 2026 defaults, and operator overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogs.cost import (
    CostAssumptions,
    break_even_tokens,
    compare,
    load_assumptions,
    self_hosted_cost,
)
from dialogs.errors import ConfigError

DEFAULTS = Path(__file__).resolve().parents[2] / "dialogs" / "cost_assumptions.yaml"


def test_defaults_match_framework(costs: CostAssumptions) -> None:
    assert costs["low_input_usd_per_1m"] == 0.10 and costs["low_output_usd_per_1m"] == 0.50
    assert costs["strong_input_usd_per_1m"] == 2.00 and costs["strong_output_usd_per_1m"] == 10.00
    assert costs["input_share"] == 0.75 and costs["gpu_hour_usd"] == 2.69
    assert costs["reserved_discount"] == 0.37 and costs["tokens_per_second_per_gpu"] == 2500
    assert costs["gpu_utilisation"] == 0.5
    assert (
        costs["ops_fraction_of_engineer"] == 0.25 and costs["engineer_cost_per_year_usd"] == 200_000
    )
    assert all(a.as_of for a in costs.items.values())


def test_two_billion_tokens(costs: CostAssumptions) -> None:
    c = compare(costs, 2_000_000_000)
    # 2,000 M tokens x (0.75 x 0.10 + 0.25 x 0.50) = $400
    # strong tier: 2,000 M tokens x (0.75 x 2 + 0.25 x 10) = $8,000
    assert c.hosted_low_usd == pytest.approx(400.0)
    assert c.hosted_strong_usd == pytest.approx(8000.0)
    # One GPU serves 2,500 x 50% x 730 h x 3600 s = 3.285B tokens a month.
    assert c.gpus == 1
    gpu_month = 730 * 2.69 * (1 - 0.37)
    ops = 0.25 * 200_000 / 12
    assert c.self_hosted_usd == pytest.approx(gpu_month + ops, abs=0.01)


def test_gpus_scale_with_volume(costs: CostAssumptions) -> None:
    assert compare(costs, 20_000_000_000).gpus == 7


def test_break_even_is_where_the_strong_tier_meets_self_hosting(costs: CostAssumptions) -> None:
    tokens = break_even_tokens(costs)
    price = (0.75 * 2.0 + 0.25 * 10.0) / 1e6
    assert tokens * price >= self_hosted_cost(costs, tokens)
    assert (tokens - 1) * price < self_hosted_cost(costs, tokens - 1)


def test_operator_file_overrides_and_is_validated(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULTS.read_text())
    data["assumptions"]["gpu_hour_usd"]["value"] = 12.0
    good = tmp_path / "costs.yaml"
    good.write_text(yaml.safe_dump(data))
    assert load_assumptions(good)["gpu_hour_usd"] == 12.0
    del data["assumptions"]["min_gpus"]
    data["assumptions"]["input_share"]["value"] = "lots"
    data["assumptions"]["gpu_hour_usd"]["as_of"] = ""
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as caught:
        load_assumptions(bad)
    wheres = {p.where for p in caught.value.problems}
    assert wheres == {
        "assumptions.min_gpus",
        "assumptions.input_share.value",
        "assumptions.gpu_hour_usd.as_of",
    }
