"""The team benchmark (issue 14) runs end to end with tiny counts and reports a team answer
turn and a personal answer turn side by side (no timings asserted: only that both are there)."""

from __future__ import annotations

import pytest

from bench.bench_team import SIDES, Options, main_async, parse_args


async def test_a_tiny_run_reports_both_answer_turns(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)  # the tests' private redis-server
    lines: list[str] = []
    passes = await main_async(Options(users=2, concurrency=2, rounds=1), lines.append)
    for side in SIDES:
        (one,) = passes[side]
        assert one.assessments == 2 and one.turns > 2 * 20  # every answer of both people
        row = next(line for line in lines if line.startswith(f"| {side} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == str(one.turns)
        assert cells[2].endswith(" ms") and cells[3].endswith(" ms")  # median, p95
    assert any(line.startswith("team / personal: median ") for line in lines)
    assert any("exit code 0, 0 lines saying something went wrong" in line for line in lines)
    assert any("Block Kit problems in the cards: 0" in line for line in lines)


def test_the_defaults_and_the_options() -> None:
    args = parse_args(["--users", "3", "--concurrency", "2", "--rounds", "1"])
    assert (args.users, args.concurrency, args.rounds) == (3, 2, 1)
    with pytest.raises(SystemExit):
        parse_args(["--users", "0"])
