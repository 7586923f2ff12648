"""The cost chart: a small deterministic PNG with alt text, drawn off the event loop."""

from __future__ import annotations

import asyncio
import io
import logging
import threading

import pytest
from PIL import Image

from bot.chart import (
    DRAWING_THREADS,
    HEIGHT_PX,
    WIDTH_PX,
    alt_text,
    can_draw,
    draw,
    draw_chart,
    start_chart,
    volume_grid,
)
from dialogs.cost import load_assumptions
from dialogs.replies import Notice, Summary
from tests.bot.chart_fixtures import LABELS, sample_cost, sample_price

#: Teams cards must stay under about 28 KB; the chart goes in a card of its own as base64.
MAX_PNG_BYTES = 18_000


def test_png_is_small_sized_and_the_same_for_the_same_figures() -> None:
    first = draw(sample_cost(), sample_price)
    second = draw(sample_cost(), sample_price)
    assert first.png == second.png
    assert len(first.png) < MAX_PNG_BYTES
    with Image.open(io.BytesIO(first.png)) as image:
        assert image.format == "PNG"
        assert image.size == (WIDTH_PX, HEIGHT_PX)
        assert not image.info.get("Software") and "Creation Time" not in image.info
    assert b"tIME" not in first.png and b"tEXt" not in first.png


def test_other_figures_draw_another_picture() -> None:
    assert draw(sample_cost(), sample_price).png != draw(sample_cost(10**11), sample_price).png


def test_alt_text_says_what_the_chart_shows() -> None:
    text = alt_text(sample_cost())
    assert "At your 1B tokens a month" in text
    assert "Small hosted tier $240 to $360" in text
    assert "Frontier hosted tier $4,800 to $7,200" in text
    assert "Small open model in your cloud never costs less than the small hosted tier" in text
    assert "costs less than the frontier hosted tier from 500M to 1.2B tokens a month" in text
    assert "not allowed for your data: Your own hardware" in text
    assert "Prices as of 2026-11-01." in text
    assert "Your own hardware $" not in text


def test_alt_text_fits_slack_limit_with_long_labels() -> None:
    cost = sample_cost()
    for option in cost["options"]:
        option["label"] = option["label"] * 40
    assert len(alt_text(cost)) <= 1000


def test_axis_covers_the_volume_and_break_evens() -> None:
    grid = volume_grid(sample_cost(5 * 10**13))
    assert grid[0] <= 500_000_000 and grid[-1] == 10**14
    assert 5 * 10**13 in grid and 500_000_000 in grid and 1_200_000_000 in grid
    around = volume_grid(sample_cost(2 * 10**9, barred=("frontier_tier",)))
    assert around[0] == 10**6 and around[-1] == 10**13  # a thousandth to a thousand times


def test_break_even_reached_on_one_end_of_the_estimates_only() -> None:
    cost = sample_cost()
    cost["break_even_tokens"]["vs_small_tier"] = {
        "option": "own_cloud_small",
        "low": 108_000_000_000,
        "high": None,
    }
    text = alt_text(cost)
    assert (
        "Small open model in your cloud costs less than the small hosted tier from 108B tokens"
        " a month on the low estimates only." in text
    )
    assert draw(cost, sample_price).png != draw(sample_cost(), sample_price).png


def test_break_evens_against_a_tier_the_data_rules_out_are_not_told() -> None:
    text = alt_text(sample_cost(barred=("small_tier", "frontier_tier", "private_endpoint")))
    assert "hosted tier" not in text.split("Not shown")[0]
    assert "not allowed for your data: Small hosted tier, Frontier hosted tier" in text


def test_nothing_to_draw_without_a_volume_or_allowed_option() -> None:
    assert not can_draw(None)
    assert not can_draw({**sample_cost(), "monthly_tokens": None})
    assert not can_draw(sample_cost(barred=tuple(LABELS)))
    assert can_draw(sample_cost())


async def test_drawn_in_a_worker_thread() -> None:
    threads: set[str] = set()

    def price(option: str, monthly_tokens: int) -> tuple[float, float]:
        threads.add(threading.current_thread().name)
        return sample_price(option, monthly_tokens)

    charts = await asyncio.gather(
        *(draw_chart(load_assumptions(), sample_cost(), price=price) for _ in range(4))
    )
    assert all(c is not None and c.png.startswith(b"\x89PNG") for c in charts)
    assert threading.current_thread().name not in threads
    assert threads and all(name.startswith("cost-chart") for name in threads)
    assert len(threads) <= DRAWING_THREADS


async def test_failure_to_draw_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(option: str, monthly_tokens: int) -> tuple[float, float]:
        raise ValueError("no price for " + option)

    with caplog.at_level(logging.WARNING, logger="bot.chart"):
        assert await draw_chart(load_assumptions(), sample_cost(), price=broken) is None
    assert "cost chart not drawn: ValueError: no price for small_tier" in caplog.text
    assert await draw_chart(load_assumptions(), None) is None


async def test_started_only_for_a_summary_with_costs() -> None:
    costs = load_assumptions()
    notice = Notice(code="x", text="hello")
    no_cost = Summary(assessment={"cost": None}, answers=(), skipped=())
    assert start_chart(costs, notice) is None
    assert start_chart(costs, no_cost) is None
    summary = Summary(assessment={"cost": sample_cost()}, answers=(), skipped=())
    drawing = start_chart(costs, summary)
    assert drawing is not None
    chart = await drawing  # drawn only now, with the cost model's own prices
    assert chart is not None and chart.alt_text == alt_text(sample_cost())


async def test_drawn_with_the_cost_models_own_prices() -> None:
    chart = await draw_chart(load_assumptions(), sample_cost())
    assert chart is not None and len(chart.png) < MAX_PNG_BYTES
