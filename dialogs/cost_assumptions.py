"""The cost model's assumptions file: every entry a value with its unit, public source and date.

A range is two entries, `<name>_low` and `<name>_high`, holding the smaller and the larger
number; which one prices the cheap end of a cost range is the option math's business
(`dialogs/cost_options.py`: fast throughput and low prices make the low end).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dialogs.errors import ConfigError, Problem

#: Every entry the file must have, in the order the card and the JSON list them.
SINGLE: tuple[str, ...] = (
    "small_tier_input_usd_per_1m",
    "small_tier_output_usd_per_1m",
    "frontier_tier_input_usd_per_1m",
    "frontier_tier_output_usd_per_1m",
    "input_share",
)
RANGES: tuple[str, ...] = (
    "endpoint_premium",
    "endpoint_minimum_usd_per_month",
    "gpu_hour_usd",
    "small_model_tokens_per_second_per_gpu",
    "large_model_tokens_per_second_per_replica",
    "engineer_usd_per_year",
    "server_usd",
    "power_space_usd_per_server_month",
    "rag_pipeline_usd",
    "fine_tune_usd",
    "continued_pretraining_usd",
    "pretraining_usd",
    "vector_store_usd_per_month",
)
COUNTS: tuple[str, ...] = (
    "large_model_gpus_per_replica",
    "gpus_per_server",
    "server_amortisation_months",
)
FRACTIONS: tuple[str, ...] = ("input_share", "utilisation", "ops_engineers_per_8_gpus")


def _pair(name: str) -> tuple[str, str]:
    return f"{name}_low", f"{name}_high"


NAMES: tuple[str, ...] = (
    *SINGLE,
    *_pair("endpoint_premium"),
    *_pair("endpoint_minimum_usd_per_month"),
    *_pair("gpu_hour_usd"),
    *_pair("small_model_tokens_per_second_per_gpu"),
    *_pair("large_model_tokens_per_second_per_replica"),
    "large_model_gpus_per_replica",
    "utilisation",
    "engineer_usd_per_year_low",
    "engineer_usd_per_year_high",
    "ops_engineers_per_8_gpus",
    *_pair("server_usd"),
    "gpus_per_server",
    "server_amortisation_months",
    *_pair("power_space_usd_per_server_month"),
    *_pair("rag_pipeline_usd"),
    *_pair("fine_tune_usd"),
    *_pair("continued_pretraining_usd"),
    *_pair("pretraining_usd"),
    *_pair("vector_store_usd_per_month"),
)
FIELDS: tuple[str, ...] = ("value", "unit", "source", "as_of", "note")
PACKAGED = "dialogs/cost_assumptions.yaml"


@dataclass(frozen=True, kw_only=True)
class Assumption:
    value: float
    unit: str
    source: str
    as_of: date
    note: str

    def to_dict(self, name: str) -> dict[str, Any]:
        value: float | int = int(self.value) if self.value.is_integer() else self.value
        return {
            "name": name,
            "value": value,
            "unit": self.unit,
            "source": self.source,
            "as_of": self.as_of.isoformat(),
            "note": self.note,
        }


@dataclass(frozen=True, kw_only=True)
class CostAssumptions:
    items: Mapping[str, Assumption]
    source: str

    def __getitem__(self, name: str) -> float:
        return self.items[name].value

    def span(self, name: str) -> tuple[float, float]:
        """The `<name>_low` and `<name>_high` values."""
        return self[f"{name}_low"], self[f"{name}_high"]

    @property
    def oldest(self) -> date:
        return min(a.as_of for a in self.items.values())

    def to_list(self) -> list[dict[str, Any]]:
        return [a.to_dict(name) for name, a in self.items.items()]


def _read(path: Path | str | None) -> tuple[str, str]:
    if path is None:
        text = resources.files("dialogs").joinpath("cost_assumptions.yaml").read_text("utf-8")
        return PACKAGED, text
    try:
        return str(path), Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(file=str(path), where="file", message=str(exc))]) from exc


def _as_of(raw: object) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def _entry(file: str, name: str, entry: object, problems: list[Problem]) -> Assumption | None:
    where = f"assumptions.{name}"
    if not isinstance(entry, Mapping):
        problems.append(Problem(file=file, where=where, message=f"needs {', '.join(FIELDS)}"))
        return None
    bad = len(problems)
    for field in entry:
        if field not in FIELDS:
            message = f"is not a known field (known: {', '.join(FIELDS)})"
            problems.append(Problem(file=file, where=f"{where}.{field}", message=message))
    for field in FIELDS:
        if field not in entry:
            problems.append(Problem(file=file, where=f"{where}.{field}", message="is missing"))
    value, as_of = entry.get("value"), _as_of(entry.get("as_of"))
    if "value" in entry and (
        not isinstance(value, int | float) or isinstance(value, bool) or value < 0
    ):
        problems.append(Problem(file=file, where=f"{where}.value", message="must be a number >= 0"))
    if "as_of" in entry and as_of is None:
        message = "must be a date written YYYY-MM-DD"
        problems.append(Problem(file=file, where=f"{where}.as_of", message=message))
    for field in ("unit", "source"):
        text = entry.get(field)
        if field in entry and (not isinstance(text, str) or not text.strip()):
            message = "must be text (a public source, or the word estimate)"
            problems.append(Problem(file=file, where=f"{where}.{field}", message=message))
    if "note" in entry and not isinstance(entry.get("note"), str):
        problems.append(Problem(file=file, where=f"{where}.note", message="must be text"))
    if len(problems) > bad or not isinstance(value, int | float) or as_of is None:
        return None
    return Assumption(
        value=float(value),
        unit=str(entry["unit"]),
        source=str(entry["source"]),
        as_of=as_of,
        note=str(entry["note"]),
    )


def _limits(file: str, items: Mapping[str, Assumption]) -> list[Problem]:
    problems: list[Problem] = []

    def bad(name: str, message: str) -> None:
        problems.append(Problem(file=file, where=f"assumptions.{name}.value", message=message))

    for name in FRACTIONS:
        if name in items and not 0 < items[name].value <= 1:
            bad(name, "must be above 0 and at most 1")
    for name in COUNTS:
        if name in items and (items[name].value < 1 or not items[name].value.is_integer()):
            bad(name, "must be a whole number of at least 1")
    for name in (
        "small_model_tokens_per_second_per_gpu",
        "large_model_tokens_per_second_per_replica",
    ):
        if f"{name}_low" in items and items[f"{name}_low"].value <= 0:
            bad(f"{name}_low", "must be above 0")
    for name in RANGES:
        low, high = items.get(f"{name}_low"), items.get(f"{name}_high")
        if low is not None and high is not None and low.value > high.value:
            bad(f"{name}_low", f"must not be above {name}_high")
    return problems


def load_assumptions(path: Path | str | None = None) -> CostAssumptions:
    """Read the packaged defaults, or an operator's file; ConfigError names file and field of
    each bad, missing or unknown entry."""
    file, raw = _read(path)
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file=file, where="yaml", message=str(exc))]) from exc
    table = data.get("assumptions") if isinstance(data, Mapping) else None
    if not isinstance(table, Mapping):
        raise ConfigError([Problem(file=file, where="assumptions", message="must be a mapping")])
    problems = [
        Problem(file=file, where=str(key), message="is not a known section (only assumptions)")
        for key in data
        if key != "assumptions"
    ]
    problems.extend(
        Problem(file=file, where=f"assumptions.{key}", message="is not a known assumption")
        for key in table
        if key not in NAMES
    )
    items: dict[str, Assumption] = {}
    for name in NAMES:
        if name not in table:
            problems.append(Problem(file=file, where=f"assumptions.{name}", message="is missing"))
            continue
        entry = _entry(file, name, table[name], problems)
        if entry is not None:
            items[name] = entry
    problems.extend(_limits(file, items))
    if problems:
        raise ConfigError(problems)
    return CostAssumptions(items=items, source=file)
