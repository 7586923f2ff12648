"""`llm-advisor check` warns (without failing) when cost assumptions are older than six months."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.check import months_before, run_checks, stale_assumptions
from dialogs.cost import CostAssumptions, load_assumptions

DEFAULTS = Path(__file__).resolve().parents[2] / "dialogs" / "cost_assumptions.yaml"


def dated(tmp_path: Path, **as_of: str) -> Path:
    data = yaml.safe_load(DEFAULTS.read_text())
    for name, day in as_of.items():
        data["assumptions"][name]["as_of"] = day
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_six_months_before() -> None:
    assert months_before(date(2026, 12, 4), 6) == date(2026, 6, 4)
    assert months_before(date(2026, 3, 2), 6) == date(2025, 9, 2)
    assert months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)


def test_fresh_prices_give_no_warning(costs: CostAssumptions) -> None:
    assert stale_assumptions(costs, today=costs.oldest) == []
    assert stale_assumptions(costs, today=months_before(costs.oldest, -6)) == []


def test_old_prices_are_named_in_one_warning(tmp_path: Path) -> None:
    path = dated(tmp_path, gpu_hour_usd_low="2026-01-15", server_usd_high="2026-06-03")
    costs = load_assumptions(path)
    assert stale_assumptions(costs, today=date(2026, 7, 14)) == []
    (line,) = stale_assumptions(costs, today=date(2026, 12, 4))
    assert line.startswith(f"warning: {path}: 2 cost assumptions dated before 2026-06-04")
    assert line.endswith("gpu_hour_usd_low, server_usd_high")


async def test_check_warns_but_does_not_fail(tmp_path: Path) -> None:
    path = dated(tmp_path, utilisation="2025-11-30")
    env = {"ADVISOR_COST_ASSUMPTIONS": str(path)}
    problems, notes = await run_checks(env, today=date(2026, 12, 4))
    assert not [p for p in problems if "cost" in str(p)]
    warnings = [n for n in notes if n.startswith("warning:")]
    assert warnings == [
        f"warning: {path}: 1 cost assumption dated before 2026-06-04, more than six months "
        "ago; check them against their sources: utilisation"
    ]
    assert f"cost assumptions: {path}, prices as of 2025-11-30" in notes
    _, fresh = await run_checks(env, today=date(2026, 5, 1))
    assert not [n for n in fresh if n.startswith("warning:")]
