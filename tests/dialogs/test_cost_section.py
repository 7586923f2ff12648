"""The `cost` section of the assessment: its JSON contract and the rules of cost model v2."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.cost import OPTION_IDS, CostAssumptions, cost_section, load_assumptions, monthly_usd
from dialogs.cost_options import SELF_RUN, VENDOR_RUN

BILLION = 1_000_000_000
DEFAULTS = Path(__file__).resolve().parents[2] / "dialogs" / "cost_assumptions.yaml"
VENDOR_WORDS = re.compile(r"\b(hosted|tier|api|endpoint)\b", re.IGNORECASE)


def section(costs: CostAssumptions, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "monthly_tokens": BILLION,
        "allowed": frozenset(OPTION_IDS),
        "redundancy": True,
        "depth": "prompting",
        "rag": False,
        "small_model_ok": False,
    }
    args.update(overrides)
    return cost_section(costs, **args)


def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in result["options"]}


def changed(tmp_path: Path, **values: float) -> CostAssumptions:
    """The packaged defaults with some values replaced, loaded from a file like an operator's."""
    data = yaml.safe_load(DEFAULTS.read_text())
    for name, value in values.items():
        data["assumptions"][name]["value"] = value
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_assumptions(path)


def test_the_documented_shape(costs: CostAssumptions) -> None:
    result = section(costs, small_model_ok=True)
    assert set(result) == {
        "monthly_tokens",
        "redundancy",
        "prices_as_of",
        "options",
        "break_even_tokens",
        "never_pays",
        "assumptions",
        "quality_note",
    }
    assert result["monthly_tokens"] == BILLION and result["redundancy"] is True
    for o in result["options"]:
        assert set(o) == {"id", "label", "allowed", "monthly_usd", "upfront_usd", "gpus", "notes"}
        assert set(o["monthly_usd"]) == set(o["upfront_usd"]) == {"low", "high"}
        assert o["monthly_usd"]["low"] <= o["monthly_usd"]["high"]
        assert o["notes"] and all(isinstance(n, str) and n for n in o["notes"])
    for entry in result["assumptions"]:
        assert set(entry) == {"name", "value", "unit", "source", "as_of", "note"}
    assert "own evals" in result["quality_note"]
    assert json.loads(json.dumps(result)) == result


def test_every_option_always_listed_in_order_with_allowed_as_passed(
    costs: CostAssumptions,
) -> None:
    allowed = frozenset({"own_cloud_large", "on_prem"})
    result = section(costs, allowed=allowed)
    assert [o["id"] for o in result["options"]] == [
        "small_tier",
        "frontier_tier",
        "private_endpoint",
        "own_cloud_small",
        "own_cloud_large",
        "on_prem",
    ]
    assert {o["id"] for o in result["options"] if o["allowed"]} == allowed
    assert all(o["monthly_usd"]["low"] > 0 for o in result["options"])  # priced all the same


def test_labels_say_who_runs_it(costs: CostAssumptions) -> None:
    options = by_id(section(costs))
    for option_id in SELF_RUN:
        assert not VENDOR_WORDS.search(option_id), option_id
        assert not VENDOR_WORDS.search(options[option_id]["label"]), option_id
    for option_id in VENDOR_RUN:
        assert VENDOR_WORDS.search(options[option_id]["label"]), option_id


def test_redundancy_forces_two_replicas(costs: CostAssumptions) -> None:
    one = by_id(section(costs, monthly_tokens=1_000_000, redundancy=False))
    two = by_id(section(costs, monthly_tokens=1_000_000, redundancy=True))
    assert one["own_cloud_small"]["gpus"] == 1 and two["own_cloud_small"]["gpus"] == 2
    assert one["own_cloud_large"]["gpus"] == 4 and two["own_cloud_large"]["gpus"] == 8
    assert (
        two["own_cloud_small"]["monthly_usd"]["low"] > one["own_cloud_small"]["monthly_usd"]["low"]
    )
    assert one["small_tier"]["gpus"] is None


def test_operations_grow_with_gpus(costs: CostAssumptions) -> None:
    # One GPU serves 10,000 x 50% x 730 h x 3600 s = 13.14B tokens a month at the low end.
    per_gpu = 13_140_000_000
    eight = monthly_usd(costs, "own_cloud_small", 8 * per_gpu, redundancy=False)[0]
    nine = monthly_usd(costs, "own_cloud_small", 8 * per_gpu + 1, redundancy=False)[0]
    seven = monthly_usd(costs, "own_cloud_small", 7 * per_gpu, redundancy=False)[0]
    gpu_month = 730 * 2.35
    ops_block = 0.25 * 150_000 / 12
    assert eight - seven == pytest.approx(gpu_month)  # same block of 8: no more operations
    assert nine - eight == pytest.approx(gpu_month + ops_block)  # a ninth GPU starts a block
    wide = by_id(section(costs, monthly_tokens=8 * per_gpu + 1, redundancy=False))
    assert wide["own_cloud_small"]["gpus"] == {"low": 9, "high": 17}


def test_on_prem_is_priced_from_servers_not_rental(tmp_path: Path, costs: CostAssumptions) -> None:
    base = by_id(section(costs))["on_prem"]
    # One 8-GPU server for two replicas of 4 GPUs: 250,000 / 36 + 1,500 + 3,125 operations.
    assert base["gpus"] == 8
    assert base["monthly_usd"]["low"] == pytest.approx(250_000 / 36 + 1_500 + 3_125, abs=0.01)
    assert base["monthly_usd"]["high"] == pytest.approx(
        400_000 / 36 + 3_000 + 250_000 / 48, abs=0.01
    )
    rented = changed(tmp_path, gpu_hour_usd_low=20.0, gpu_hour_usd_high=40.0)
    assert by_id(section(rented))["on_prem"]["monthly_usd"] == base["monthly_usd"]
    bought = changed(tmp_path, server_usd_low=500_000, server_usd_high=800_000)
    assert by_id(section(bought))["on_prem"]["monthly_usd"]["low"] > base["monthly_usd"]["low"]
    # Ten replicas of 4 GPUs are five servers.
    many = by_id(section(costs, monthly_tokens=10 * 7_884_000_000, redundancy=False))["on_prem"]
    assert many["gpus"] == {"low": 40, "high": 80}  # slow throughput needs twice the replicas
    assert many["monthly_usd"]["low"] == pytest.approx(5 * (250_000 / 36 + 1_500 + 3_125), abs=0.01)
    assert any("70B" in note for note in many["notes"])


def test_private_endpoint_has_a_premium_and_a_minimum(costs: CostAssumptions) -> None:
    small = by_id(section(costs))["private_endpoint"]
    assert small["monthly_usd"] == {"low": 4000.0, "high": 10_000.0}  # the minimum commitment
    big = by_id(section(costs, monthly_tokens=10 * BILLION))["private_endpoint"]
    assert big["monthly_usd"] == {"low": 40_000.0, "high": 60_000.0}  # 0% .. 50% premium


@pytest.mark.parametrize(
    ("depth", "low", "high"),
    [
        ("prompting", 0, 0),
        ("rag", 0, 0),
        ("fine_tune", 10_000, 100_000),
        ("continued_pretraining", 200_000, 2_000_000),
        ("pretraining", 2_000_000, 20_000_000),
    ],
)
def test_upfront_by_depth_for_self_run_only(
    costs: CostAssumptions, depth: str, low: int, high: int
) -> None:
    options = by_id(section(costs, depth=depth))
    for option_id in SELF_RUN:
        assert options[option_id]["upfront_usd"] == {"low": low, "high": high}
    for option_id in VENDOR_RUN:
        assert options[option_id]["upfront_usd"] == {"low": 0, "high": 0}
    assert (
        options["own_cloud_small"]["monthly_usd"]
        == by_id(section(costs))["own_cloud_small"]["monthly_usd"]
    ), "depth costs stay out of the serving cost"


def test_rag_adds_its_pipeline_upfront_and_its_store_as_a_note(costs: CostAssumptions) -> None:
    plain = by_id(section(costs, depth="fine_tune"))
    rag = by_id(section(costs, depth="fine_tune", rag=True))
    for option_id in OPTION_IDS:
        extra = {
            end: rag[option_id]["upfront_usd"][end] - plain[option_id]["upfront_usd"][end]
            for end in ("low", "high")
        }
        assert extra == {"low": 10_000, "high": 50_000}
        assert rag[option_id]["monthly_usd"] == plain[option_id]["monthly_usd"]
        assert any("vector store" in n and "$100 to $2,000" in n for n in rag[option_id]["notes"])
        assert not any("vector store" in n for n in plain[option_id]["notes"])


def test_never_pays_says_so_plainly(tmp_path: Path) -> None:
    dear = changed(tmp_path, gpu_hour_usd_low=40.0, gpu_hour_usd_high=60.0)
    result = section(dear)
    assert result["break_even_tokens"]["vs_small_tier"] == {
        "option": "own_cloud_small",
        "low": None,
        "high": None,
    }
    assert any("never" in s and "small tier" in s for s in result["never_pays"])
    hosted_barred = section(dear, allowed=frozenset(SELF_RUN))
    assert hosted_barred["never_pays"] == [], "no comparison with a tier the data rules forbid"


def test_no_never_pays_when_it_pays_somewhere(costs: CostAssumptions) -> None:
    assert section(costs)["never_pays"] == []


def test_prices_as_of_is_the_oldest_date(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULTS.read_text())
    data["assumptions"]["utilisation"]["as_of"] = "2025-01-31"
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(data))
    assert section(load_assumptions(path))["prices_as_of"] == "2025-01-31"
