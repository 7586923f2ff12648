"""`assess --chart PATH`: the cost chart as a PNG beside the report, linked from the markdown."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image

from tests.bot.test_cli import run, write_answers
from tests.support.answers import FULL_ANSWERS


def test_no_volume_no_chart_and_a_warning(tmp_path: Path) -> None:
    answers = {k: v for k, v in FULL_ANSWERS.items() if k not in ("volume", "monthly_tokens")}
    chart = tmp_path / "chart.png"
    path = str(write_answers(tmp_path, answers))
    result = run(
        ["assess", "--answers", path, "--partial", "--format", "markdown", "--chart", str(chart)]
    )
    assert result.returncode == 0, result.stderr
    assert "warning: no cost chart (the monthly volume is not known)" in result.stderr
    assert not chart.exists() and "## Cost chart" not in result.stdout


def test_markdown_shows_the_chart_written_beside_it(tmp_path: Path) -> None:
    answers = write_answers(tmp_path, dict(FULL_ANSWERS))
    result = run(
        ["assess", "--answers", str(answers), "--format", "markdown", "--chart", "cost.png"],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    with Image.open(io.BytesIO((tmp_path / "cost.png").read_bytes())) as image:
        assert image.format == "PNG"
    assert "## Cost chart" in result.stdout
    [line] = [x for x in result.stdout.splitlines() if x.startswith("![")]
    assert line.endswith("](<cost.png>)") and "At your 2B tokens a month" in line


def test_json_keeps_its_shape_with_a_chart(tmp_path: Path) -> None:
    answers = write_answers(tmp_path, dict(FULL_ANSWERS))
    plain = run(["assess", "--answers", str(answers)])
    charted = run(["assess", "--answers", str(answers), "--chart", str(tmp_path / "c.png")])
    assert charted.returncode == 0, charted.stderr
    assert json.loads(charted.stdout) == json.loads(plain.stdout)
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")


def test_chart_path_that_cannot_be_written_is_an_error(tmp_path: Path) -> None:
    answers = write_answers(tmp_path, dict(FULL_ANSWERS))
    result = run(["assess", "--answers", str(answers), "--chart", str(tmp_path / "no" / "c.png")])
    assert result.returncode == 2 and result.stdout == ""
    assert "error: --chart" in result.stderr
