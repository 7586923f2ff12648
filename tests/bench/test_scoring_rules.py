"""The 100,000-set rules benchmark runs and reports; CI runs it on a few hundred sets."""

from __future__ import annotations

import pytest

from bench.scoring_rules import main


def test_the_rules_benchmark_checks_sets_and_says_every_rule_held(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--sets", "300", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "300 random answer sets (seed 5)" in out and "every rule held on every set" in out
