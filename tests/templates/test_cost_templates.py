"""The cost includes render `cost_section(...)` on every platform: prices' date, the allowed
options, break-even lines or a plain "never pays", and the quality-parity note."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from bot.render import create_environment
from dialogs.cost import OPTION_IDS, CostAssumptions, cost_section, load_assumptions

DEFAULTS = Path(__file__).resolve().parents[2] / "dialogs" / "cost_assumptions.yaml"
SLACK = '{"blocks": [\n{% include "slack/_cost.j2" %}\n{"type": "divider"}]}'
TEAMS = (
    '{% import "teams/_card.j2" as c %}{{ c.open() }}{{ c.text("Next steps") }}'
    '{% include "teams/_cost.j2" %}]}'
)


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return create_environment()


def texts(env: jinja2.Environment, platform: str, cost: dict[str, Any] | None) -> str:
    """Everything a person reads in the cost section, as one string."""
    a = {"cost": cost}
    if platform == "slack":
        blocks = json.loads(env.from_string(SLACK).render(a=a))["blocks"][:-1]
        for block in blocks:
            for text in [block.get("text", {}), *block.get("elements", [])]:
                if text:
                    assert text["type"] == "mrkdwn" and len(text["text"]) <= 3000
        return "\n".join(
            t["text"] for b in blocks for t in [b.get("text"), *b.get("elements", [])] if t
        )
    if platform == "teams":
        card = json.loads(env.from_string(TEAMS).render(a=a))
        assert card["version"] == "1.5"
        parts: list[str] = []
        for element in card["body"][1:]:
            if element["type"] == "FactSet":
                parts += [f"{f['title']}: {f['value']}" for f in element["facts"]]
            else:
                assert element["type"] == "TextBlock"
                parts.append(element["text"])
        return "\n".join(parts)
    name = {"console": "console/_cost.txt.j2", "markdown": "markdown/_cost.md.j2"}[platform]
    return env.get_template(name).render(a=a)


PLATFORMS = ["slack", "teams", "console", "markdown"]


def example(costs: CostAssumptions, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "monthly_tokens": 1_000_000_000,
        "allowed": frozenset(OPTION_IDS) - {"on_prem"},
        "redundancy": True,
        "depth": "fine_tune",
        "rag": True,
        "small_model_ok": True,
    }
    args.update(overrides)
    return cost_section(costs, **args)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_worked_example_on_every_platform(
    env: jinja2.Environment, costs: CostAssumptions, platform: str
) -> None:
    out = texts(env, platform, example(costs))
    assert "prices as of 2026-12-04" in out
    assert "Cost parity only counts if the cheaper model matches quality on your own evals" in out
    for figures in ("$200", "$4,000", "$6,556 to $12,508", "$16,849 to $34,408"):
        assert figures in out, figures
    assert "$20,000 to $150,000 upfront" in out or "| $20,000 to $150,000 |" in out
    assert (
        "from about 108B tokens a month at the low end of the prices, never at the high end" in out
    )
    assert "from about 4.21B tokens a month at the low end" in out
    assert "from about 1.64B to 3.13B tokens a month, if your evals show the small model" in out
    assert "Not allowed for your data: Large open model on your own servers" in out
    if platform != "markdown":  # the export keeps every option in its table, marked "no"
        assert "$11,569" not in out


@pytest.mark.parametrize("platform", PLATFORMS)
def test_never_pays_is_said_plainly(env: jinja2.Environment, tmp_path: Path, platform: str) -> None:
    data = yaml.safe_load(DEFAULTS.read_text())
    data["assumptions"]["gpu_hour_usd_low"]["value"] = 40.0
    data["assumptions"]["gpu_hour_usd_high"]["value"] = 60.0
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(data))
    cost = example(load_assumptions(path), small_model_ok=False)
    out = texts(env, platform, cost)
    assert (
        "Small open model in your own cloud never costs less than the hosted small tier at any "
        "volume up to 10 trillion tokens a month, under these prices." in out
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_only_what_the_data_rules_allow(
    env: jinja2.Environment, costs: CostAssumptions, platform: str
) -> None:
    out = texts(env, platform, example(costs, allowed=frozenset({"on_prem"})))
    assert "Large open model on your own servers (on-premises or air-gapped)" in out
    assert "costs less than the hosted" not in out, "no break-even against a forbidden tier"
    assert "No break-even is shown against a hosted tier your data rules out" in out
    assert "Not allowed for your data: Hosted small tier (per-token API)" in out


@pytest.mark.parametrize("platform", PLATFORMS)
def test_unknown_volume(env: jinja2.Environment, platform: str) -> None:
    assert "No cost comparison: the monthly volume is not known" in texts(env, platform, None)
