"""`llm-advisor assess --describe FILE|-` (issue 16): what a description settles, with the words
each answer came from, and the questions still open, without a chat."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bot.test_cli import run

ISSUE_EXAMPLE = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k"
)


def test_json_from_stdin_needs_no_answers() -> None:
    result = run(["assess", "--describe", "-"], stdin=ISSUE_EXAMPLE)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"extracted", "open"}
    assert data["extracted"]["data_sensitivity"] == {
        "answer": "regulated",
        "evidence": "personal data under GDPR",
    }
    assert data["extracted"]["monthly_tokens"] == {
        "answer": 300_000_000,
        "evidence": "300M tokens a month",
    }
    assert data["extracted"]["volume"]["answer"] == "10m_500m"
    assert data["extracted"]["budget"]["answer"] == "10k_100k"
    assert data["open"][:3] == ["value", "current_gap", "knowledge_change"]
    assert not set(data["open"]) & set(data["extracted"])


def test_markdown_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "about-us.txt"
    path.write_text("Public data | no GPUs. Not sure about volume yet.", encoding="utf-8")
    result = run(["assess", "--describe", str(path), "--format", "markdown"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert '| Data sensitivity | Public or non-sensitive | "Public data" |' in out
    assert '| GPUs and operations | None | "no GPUs" |' in out
    assert '| Monthly volume | Not sure yet | "Not sure about volume" |' in out
    assert "## Still open (19)" in out and "- Stage: " in out
    # Ruled out: the figure by "not sure", residency by public data.
    assert "Exact monthly tokens" not in out and "Residency" not in out


def test_any_text_that_can_be_read_exits_0() -> None:
    for text in ("", "hello", "1 2 3 $$$ €€€ tokens tokens", "ü" * 5000):
        result = run(["assess", "--describe", "-"], stdin=text)
        assert result.returncode == 0, (text[:20], result.stderr)
        assert json.loads(result.stdout)["extracted"] == {}


def test_text_that_cannot_be_read_is_a_clear_error(tmp_path: Path) -> None:
    missing = run(["assess", "--describe", str(tmp_path / "none.txt")])
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    assert "Traceback" not in missing.stderr
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    result = run(["assess", "--describe", str(binary)])
    assert result.returncode == 2 and "is not UTF-8 text" in result.stderr


def test_describe_goes_alone() -> None:
    both = run(["assess", "--describe", "-", "--answers", "x.json"])
    assert both.returncode == 2 and "not allowed with" in both.stderr
    chart = run(["assess", "--describe", "-", "--chart", "x.png"], stdin="MVP")
    assert chart.returncode == 2 and "--chart goes with --answers or --team" in chart.stderr
    names = run(["assess", "--describe", "-", "--names", "a"], stdin="MVP")
    assert names.returncode == 2 and "--names goes with --team" in names.stderr
