"""The chart benchmark's parts: its two kinds of user, the stand-in's chart clock, the table."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bench.bench_chart import NO_VOLUME, WITH, WITHOUT, ChartStandIn, Pass, UserRun, report
from bench.common import ANSWERS
from bot.chart import draw
from dialogs.answers import read_answers
from dialogs.assessment import assess
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow
from tests.bot.chart_fixtures import sample_cost, sample_price
from tests.support.slack_standin import PROXY_ENV_VARS


def test_only_the_chart_side_has_a_volume(flow: Flow, costs: CostAssumptions) -> None:
    charted = read_answers(flow, dict(ANSWERS), partial=True)
    plain = read_answers(flow, dict(NO_VOLUME), partial=True)
    assert not charted.problems and not plain.problems
    with_cost = assess(flow, charted.answers, skipped=charted.skipped, costs=costs)["cost"]
    assert with_cost["monthly_tokens"] == 2_000_000_000 and with_cost["options"]
    assert assess(flow, plain.answers, skipped=plain.skipped, costs=costs)["cost"] is None


async def test_stand_in_notes_when_a_channels_chart_arrived(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    chart = draw(sample_cost(), sample_price)
    async with ChartStandIn() as standin:
        client = AsyncWebClient(token="xoxb-bench", base_url=standin.base_url)
        await client.files_upload_v2(channel="DU1", file=chart.png, filename=chart.filename)
        arrived = await standin.chart_for("DU1")
    assert arrived is not None and standin.charts == {}


def test_report_puts_the_sides_side_by_side() -> None:
    lines: list[str] = []
    plain = Pass(
        side=WITHOUT,
        runs=(UserRun(questions=[0.01, 0.02], summary=0.03),),
        seconds=1,
        server_cpu=0.01,
    )
    charted = Pass(
        side=WITH,
        runs=(UserRun(questions=[0.01, 0.03], summary=0.03, chart=0.5),),
        seconds=1,
        server_cpu=0.03,
    )
    report({WITHOUT: [plain], WITH: [charted]}, lines.append)
    rows = [line for line in lines if line.startswith(("| no chart", "| chart"))]
    assert rows == [
        "| no chart | 15.0 / 20.0 | 30.0 / 30.0 | - / - | 0 of 1 | 3.33 |",
        "| chart | 20.0 / 30.0 | 30.0 / 30.0 | 500.0 / 500.0 | 1 of 1 | 10.00 |",
    ]
