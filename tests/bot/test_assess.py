"""`llm-advisor assess` with scoring v2: answer files written for version 1, the JSON contract,
and a typed figure that disagrees with the volume range (issue 12, items 1, 3 and 5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.bot.test_cli import run
from tests.support.answers import FULL_ANSWERS

VERSION_2 = ("open_weights", "vendor_tuning", "deprecation", "residency", "output_format")
# An answer file as it was written for version 1: the sixteen framework questions and a figure.
VERSION_1_FILE = {
    k: v for k, v in FULL_ANSWERS.items() if k not in (*VERSION_2, "tool_use", "inputs")
}


def assess(tmp_path: Path, answers: dict[str, Any], *extra: str) -> Any:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    return run(["assess", *extra, "--answers", str(path)])


def test_a_version_1_answer_file_assesses_with_and_without_partial(tmp_path: Path) -> None:
    assert len(VERSION_1_FILE) == 17
    for extra in ((), ("--partial",)):
        result = assess(tmp_path, VERSION_1_FILE, *extra)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["recommendation"]["depth"] == "fine_tune"
        assert data["assumed"] == {
            "open_weights": "allowed",
            "vendor_tuning": "acceptable",
            "deprecation": "can_migrate",
            "residency": "none",
            "output_format": "free_text",
            "tool_use": "none",
            "inputs": "text",
        }


def test_a_missing_version_1_answer_is_still_an_error_without_partial(tmp_path: Path) -> None:
    answers = {k: v for k, v in VERSION_1_FILE.items() if k != "data_sensitivity"}
    result = assess(tmp_path, answers)
    assert result.returncode == 2 and "data_sensitivity: missing answer" in result.stderr
    partial = json.loads(assess(tmp_path, answers, "--partial").stdout)
    assert partial["assumed"]["data_sensitivity"] == "regulated"


def test_the_json_contract(tmp_path: Path) -> None:
    data = json.loads(assess(tmp_path, dict(FULL_ANSWERS)).stdout)
    assert {"answers", "answer_labels", "assumed", "recommendation", "cost"} <= set(data)
    assert data["answer_labels"]["examples"] == "100 to 10,000"
    assert data["answer_labels"]["monthly_tokens"] == "2,000,000,000 tokens a month"
    assert data["assumed"] == {}
    cost = data["cost"]
    ids = [o["id"] for o in cost["options"]]
    assert ids == [
        "small_tier",
        "frontier_tier",
        "private_endpoint",
        "own_cloud_small",
        "own_cloud_large",
        "on_prem",
    ]
    allowed = {o["id"]: o["allowed"] for o in cost["options"]}
    # Regulated data: no public per-token tiers; a dedicated endpoint and self-run options.
    assert allowed == {
        "small_tier": False,
        "frontier_tier": False,
        "private_endpoint": True,
        "own_cloud_small": True,
        "own_cloud_large": True,
        "on_prem": True,
    }
    for option in cost["options"]:
        assert set(option) >= {"id", "label", "allowed", "monthly_usd", "upfront_usd", "gpus"}
        assert option["monthly_usd"]["low"] <= option["monthly_usd"]["high"]
    be = cost["break_even_tokens"]
    assert be["vs_small_tier"]["option"] == "own_cloud_small"
    assert be["vs_frontier_tier"]["option"] == "own_cloud_large"
    for entry in cost["assumptions"]:
        assert set(entry) >= {"name", "value", "unit", "source", "as_of"}


def test_a_figure_that_disagrees_with_the_range_wins_with_a_warning(tmp_path: Path) -> None:
    answers = {**FULL_ANSWERS, "volume": "under_10m", "monthly_tokens": "20B"}
    result = assess(tmp_path, answers)
    assert result.returncode == 0
    assert "warning: monthly_tokens 20,000,000,000" in result.stderr
    assert "Over 10 billion" in result.stderr
    data = json.loads(result.stdout)
    assert data["answers"]["volume"] == "over_10b"
    assert data["cost"]["monthly_tokens"] == 20_000_000_000
    agreeing = assess(tmp_path, {**FULL_ANSWERS, "monthly_tokens": "2B"})
    assert agreeing.returncode == 0 and "warning" not in agreeing.stderr


def team_files(tmp_path: Path, **members: dict[str, str]) -> list[str]:
    paths = []
    for name, changes in members.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({**FULL_ANSWERS, **changes}), encoding="utf-8")
        paths.append(str(path))
    return paths


def test_assess_team_gives_the_consensus_and_each_disagreement(tmp_path: Path) -> None:
    files = team_files(
        tmp_path,
        ana={"data_sensitivity": "regulated", "evals": "harness"},
        bo={"data_sensitivity": "air_gapped", "evals": "none"},
        cy={"data_sensitivity": "regulated", "evals": "labelled_set"},
    )
    result = run(["assess", "--team", *files])
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    team = data["team"]
    assert team["members"] == ["ana", "bo", "cy"]
    assert team["consensus"]["answers"]["data_sensitivity"] == "air_gapped"
    assert team["consensus"]["how"]["data_sensitivity"] == "strictest"
    assert team["consensus"]["answers"]["evals"] == "labelled_set"
    assert team["consensus"]["how"]["evals"] == "lower_median"
    assert [d["question"] for d in team["disagreements"]] == ["data_sensitivity", "evals"]
    data_rules = team["disagreements"][0]
    assert data_rules["answers"] == {"ana": "regulated", "bo": "air_gapped", "cy": "regulated"}
    assert data_rules["changes"]["answer"] == "regulated"
    assert data["recommendation"] == team["recommendation"]
    assert data["recommendation"]["hosting"] == "air_gapped"
    assert [i["member"] for i in team["individual"]] == ["ana", "bo", "cy"]


def test_assess_team_names_and_markdown(tmp_path: Path) -> None:
    files = team_files(tmp_path, a={"stage": "live"}, b={"stage": "scale"})
    result = run(
        ["assess", "--team", *files, "--names", "Product lead,ML lead", "--format", "markdown"]
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("# Team assessment (2 members)\n\n## Disagreements")
    assert 'Product lead: "Live with steady usage"' in out
    assert "Either way the advice stays the same." in out
    wrong = run(["assess", "--team", *files, "--names", "only one"])
    assert wrong.returncode == 2 and "--names gives 1 name(s) for 2 file(s)" in wrong.stderr


def test_assess_team_reports_each_members_problems(tmp_path: Path) -> None:
    files = team_files(tmp_path, ana={"stage": "unicorn"}, bo={})
    result = run(["assess", "--team", *files])
    assert result.returncode == 2 and result.stdout == ""
    assert "ana: stage: unknown option 'unicorn'" in result.stderr
