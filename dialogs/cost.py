"""Hosted API cost against self-hosting, with the assumptions shown and dated."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dialogs.errors import ConfigError, Problem

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600

REQUIRED: tuple[str, ...] = (
    "low_input_usd_per_1m",
    "low_output_usd_per_1m",
    "strong_input_usd_per_1m",
    "strong_output_usd_per_1m",
    "input_share",
    "gpu_hour_usd",
    "reserved_discount",
    "tokens_per_second_per_gpu",
    "gpu_utilisation",
    "ops_fraction_of_engineer",
    "engineer_cost_per_year_usd",
    "min_gpus",
)


@dataclass(frozen=True, kw_only=True)
class Assumption:
    value: float
    unit: str
    as_of: str
    note: str


@dataclass(frozen=True, kw_only=True)
class CostAssumptions:
    items: Mapping[str, Assumption]
    source: str

    def __getitem__(self, name: str) -> float:
        return self.items[name].value

    def to_dict(self) -> dict[str, Any]:
        return {
            name: {"value": a.value, "unit": a.unit, "as_of": a.as_of, "note": a.note}
            for name, a in self.items.items()
        }


def load_assumptions(path: Path | str | None = None) -> CostAssumptions:
    """Read the packaged defaults, or an operator's file; ConfigError names each bad entry."""
    if path is None:
        name = "dialogs/cost_assumptions.yaml"
        raw = resources.files("dialogs").joinpath("cost_assumptions.yaml").read_text("utf-8")
    else:
        name = str(path)
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([Problem(file=name, where="file", message=str(exc))]) from exc
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file=name, where="yaml", message=str(exc))]) from exc
    problems: list[Problem] = []
    items: dict[str, Assumption] = {}
    table = data.get("assumptions") if isinstance(data, Mapping) else None
    if not isinstance(table, Mapping):
        raise ConfigError([Problem(file=name, where="assumptions", message="must be a mapping")])
    for key in REQUIRED:
        entry = table.get(key)
        where = f"assumptions.{key}"
        if not isinstance(entry, Mapping):
            problems.append(Problem(file=name, where=where, message="is missing"))
            continue
        value = entry.get("value")
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            problems.append(
                Problem(file=name, where=f"{where}.value", message="must be a number >= 0")
            )
            continue
        as_of = entry.get("as_of")
        if not isinstance(as_of, str) or not as_of:
            problems.append(Problem(file=name, where=f"{where}.as_of", message="needs a date"))
            continue
        items[key] = Assumption(
            value=float(value),
            unit=str(entry.get("unit", "")),
            as_of=as_of,
            note=str(entry.get("note", "")),
        )
    for key in ("input_share", "gpu_utilisation", "reserved_discount"):
        if key in items and not 0 < items[key].value <= 1 and key != "reserved_discount":
            problems.append(
                Problem(file=name, where=f"assumptions.{key}.value", message="must be in (0, 1]")
            )
    for key in ("tokens_per_second_per_gpu", "gpu_utilisation", "min_gpus"):
        if key in items and items[key].value <= 0:
            problems.append(
                Problem(file=name, where=f"assumptions.{key}.value", message="must be above 0")
            )
    if "reserved_discount" in items and items["reserved_discount"].value >= 1:
        problems.append(
            Problem(
                file=name, where="assumptions.reserved_discount.value", message="must be below 1"
            )
        )
    if problems:
        raise ConfigError(problems)
    return CostAssumptions(items=items, source=name)


@dataclass(frozen=True, kw_only=True)
class CostComparison:
    monthly_tokens: int
    hosted_low_usd: float
    hosted_strong_usd: float
    self_hosted_usd: float
    gpus: int
    break_even_tokens: int
    assumptions: CostAssumptions

    def to_dict(self) -> dict[str, Any]:
        return {
            "monthly_tokens": self.monthly_tokens,
            "hosted_low_usd": self.hosted_low_usd,
            "hosted_strong_usd": self.hosted_strong_usd,
            "self_hosted_usd": self.self_hosted_usd,
            "gpus": self.gpus,
            "break_even_tokens": self.break_even_tokens,
            "assumptions": self.assumptions.to_dict(),
        }


def _blended(a: CostAssumptions, tier: str) -> float:
    """USD per token for a tier, mixing input and output prices by the input share."""
    share = a["input_share"]
    per_1m = share * a[f"{tier}_input_usd_per_1m"] + (1 - share) * a[f"{tier}_output_usd_per_1m"]
    return per_1m / 1_000_000


def gpus_needed(a: CostAssumptions, monthly_tokens: int) -> int:
    per_gpu = a["tokens_per_second_per_gpu"] * a["gpu_utilisation"] * SECONDS_PER_MONTH
    return max(int(a["min_gpus"]), math.ceil(monthly_tokens / per_gpu))


def self_hosted_cost(a: CostAssumptions, monthly_tokens: int) -> float:
    gpu_month = HOURS_PER_MONTH * a["gpu_hour_usd"] * (1 - a["reserved_discount"])
    ops = a["ops_fraction_of_engineer"] * a["engineer_cost_per_year_usd"] / 12
    return gpus_needed(a, monthly_tokens) * gpu_month + ops


def break_even_tokens(a: CostAssumptions) -> int:
    """Smallest monthly volume at which the strong hosted tier costs as much as self-hosting.

    Self-hosting cost is a staircase (whole GPUs), so walk the steps until the hosted line
    crosses one; returns 0 when it never does within a trillion tokens a month.
    """
    price = _blended(a, "strong")
    per_gpu = a["tokens_per_second_per_gpu"] * a["gpu_utilisation"] * SECONDS_PER_MONTH
    min_gpus = int(a["min_gpus"])
    if price <= 0:
        return 0
    gpus = min_gpus
    while gpus * per_gpu <= 1e12:
        low = 0 if gpus == min_gpus else math.floor((gpus - 1) * per_gpu) + 1
        high = math.floor(gpus * per_gpu)
        needed = math.ceil(self_hosted_cost(a, max(low, 1)) / price)
        if needed <= high:
            return max(low, needed)
        gpus += 1
    return 0


def compare(a: CostAssumptions, monthly_tokens: int) -> CostComparison:
    return CostComparison(
        monthly_tokens=monthly_tokens,
        hosted_low_usd=round(monthly_tokens * _blended(a, "low"), 2),
        hosted_strong_usd=round(monthly_tokens * _blended(a, "strong"), 2),
        self_hosted_usd=round(self_hosted_cost(a, monthly_tokens), 2),
        gpus=gpus_needed(a, monthly_tokens),
        break_even_tokens=break_even_tokens(a),
        assumptions=a,
    )
