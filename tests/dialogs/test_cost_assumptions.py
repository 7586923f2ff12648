"""The assumptions file: the framework's defaults, each sourced and dated; strict loading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.cost import ConfigError, CostAssumptions, load_assumptions
from dialogs.cost_assumptions import FIELDS, NAMES

DEFAULTS = Path(__file__).resolve().parents[2] / "dialogs" / "cost_assumptions.yaml"

#: framework.md's defaults, which its worked example uses.
FRAMEWORK = {
    "small_tier_input_usd_per_1m": 0.10,
    "small_tier_output_usd_per_1m": 0.50,
    "frontier_tier_input_usd_per_1m": 2.00,
    "frontier_tier_output_usd_per_1m": 10.00,
    "input_share": 0.75,
    "endpoint_premium_low": 0.0,
    "endpoint_premium_high": 0.5,
    "endpoint_minimum_usd_per_month_low": 0,
    "endpoint_minimum_usd_per_month_high": 10_000,
    "gpu_hour_usd_low": 2.35,
    "gpu_hour_usd_high": 5.00,
    "small_model_tokens_per_second_per_gpu_low": 5_000,
    "small_model_tokens_per_second_per_gpu_high": 10_000,
    "large_model_tokens_per_second_per_replica_low": 3_000,
    "large_model_tokens_per_second_per_replica_high": 6_000,
    "large_model_gpus_per_replica": 4,
    "utilisation": 0.5,
    "engineer_usd_per_year_low": 150_000,
    "engineer_usd_per_year_high": 250_000,
    "ops_engineers_per_8_gpus": 0.25,
    "server_usd_low": 250_000,
    "server_usd_high": 400_000,
    "gpus_per_server": 8,
    "server_amortisation_months": 36,
    "power_space_usd_per_server_month_low": 1_500,
    "power_space_usd_per_server_month_high": 3_000,
    "rag_pipeline_usd_low": 10_000,
    "rag_pipeline_usd_high": 50_000,
    "fine_tune_usd_low": 10_000,
    "fine_tune_usd_high": 100_000,
    "continued_pretraining_usd_low": 200_000,
    "continued_pretraining_usd_high": 2_000_000,
    "pretraining_usd_low": 2_000_000,
    "pretraining_usd_high": 20_000_000,
    "vector_store_usd_per_month_low": 100,
    "vector_store_usd_per_month_high": 2_000,
}


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def defaults() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULTS.read_text())
    return data


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_assumptions(path)
    return [str(p) for p in caught.value.problems]


def test_defaults_are_the_frameworks(costs: CostAssumptions) -> None:
    assert {name: costs[name] for name in NAMES} == FRAMEWORK


def test_every_default_is_sourced_and_dated(costs: CostAssumptions) -> None:
    for name, a in costs.items.items():
        assert a.unit and a.note, name
        assert a.source.startswith("https://") or a.source == "estimate", name
    listed = costs.to_list()
    assert [entry["name"] for entry in listed] == list(NAMES)
    assert all(len(entry["as_of"]) == 10 for entry in listed)  # YYYY-MM-DD
    assert next(e for e in listed if e["name"] == "gpus_per_server")["value"] == 8  # not 8.0


def test_unknown_field_is_named_with_file_and_place(tmp_path: Path) -> None:
    data = defaults()
    data["assumptions"]["gpu_hour_usd_low"]["discount"] = 0.37
    path = write(tmp_path, data)
    assert problems(path) == [
        f"{path}: assumptions.gpu_hour_usd_low.discount: is not a known field "
        f"(known: {', '.join(FIELDS)})"
    ]


@pytest.mark.parametrize("field", FIELDS)
def test_missing_field_is_named(tmp_path: Path, field: str) -> None:
    data = defaults()
    del data["assumptions"]["server_usd_high"][field]
    path = write(tmp_path, data)
    assert f"{path}: assumptions.server_usd_high.{field}: is missing" in problems(path)


def test_unknown_and_missing_entries_are_named(tmp_path: Path) -> None:
    data = defaults()
    data["assumptions"]["reserved_discount"] = data["assumptions"].pop("utilisation")
    data["extra"] = 1
    path = write(tmp_path, data)
    found = problems(path)
    assert f"{path}: assumptions.reserved_discount: is not a known assumption" in found
    assert f"{path}: assumptions.utilisation: is missing" in found
    assert f"{path}: extra: is not a known section (only assumptions)" in found


@pytest.mark.parametrize(
    ("name", "field", "value", "message"),
    [
        ("utilisation", "value", 1.5, "must be above 0 and at most 1"),
        ("gpu_hour_usd_low", "value", 9.0, "must not be above gpu_hour_usd_high"),
        ("gpus_per_server", "value", 7.5, "must be a whole number of at least 1"),
        ("input_share", "value", "most", "must be a number >= 0"),
        ("input_share", "as_of", "last spring", "must be a date written YYYY-MM-DD"),
        ("input_share", "source", "", "must be text (a public source, or the word estimate)"),
    ],
)
def test_bad_values_are_named(
    tmp_path: Path, name: str, field: str, value: object, message: str
) -> None:
    data = defaults()
    data["assumptions"][name][field] = value
    path = write(tmp_path, data)
    assert problems(path) == [f"{path}: assumptions.{name}.{field}: {message}"]


def test_dates_may_be_written_unquoted(tmp_path: Path) -> None:
    text = DEFAULTS.read_text().replace('as_of: "2026-12-04"', "as_of: 2026-12-04")
    path = tmp_path / "costs.yaml"
    path.write_text(text)
    assert load_assumptions(path).oldest.isoformat() == "2026-12-04"


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    assert problems(path)[0].startswith(f"{path}: file: ")
