"""The cost chart in Teams: a card of its own after the summary, its PNG as a data URL."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

import pytest

from bot.chart import CAPTION, Chart, draw
from bot.render import JsonRenderer, create_environment
from bot.teams.chart import chart_card, send_chart
from dialogs.flow import Flow
from tests.bot.chart_fixtures import sample_cost, sample_price
from tests.bot.teams.conftest import Person, TeamsHarness, card_text
from tests.bot.teams.test_personal import click_through
from tests.support.schemas import validate_adaptive_card

#: What the Teams connector stand-in allows a card (Teams refuses about 28 KB).
CARD_BUDGET_BYTES = 25 * 1024


def renderer(flow: Flow) -> JsonRenderer:
    return JsonRenderer(env=create_environment(), flow=flow, folder="teams")


def image_of(card: dict[str, Any]) -> dict[str, Any]:
    [image] = [e for e in card["body"] if e["type"] == "Image"]
    return image


def drawing(chart: Chart | None) -> asyncio.Future[Chart | None]:
    future: asyncio.Future[Chart | None] = asyncio.get_running_loop().create_future()
    future.set_result(chart)
    return future


def test_chart_card_is_a_small_valid_card_with_the_png_and_alt_text(flow: Flow) -> None:
    chart = draw(sample_cost(), sample_price)
    card = chart_card(renderer(flow), chart)
    assert validate_adaptive_card(card) == []
    assert len(json.dumps(card).encode()) < CARD_BUDGET_BYTES
    image = image_of(card)
    prefix = "data:image/png;base64,"
    assert image["url"].startswith(prefix)
    assert base64.b64decode(image["url"][len(prefix) :]) == chart.png
    assert image["altText"] == chart.alt_text
    assert card["fallbackText"] == chart.alt_text
    assert card["body"][0]["text"] == CAPTION


async def test_chart_card_is_sent_once_drawn(flow: Flow) -> None:
    sent: list[dict[str, Any]] = []

    async def send(card: dict[str, Any]) -> str:
        sent.append(card)
        return "1"

    chart = draw(sample_cost(), sample_price)
    assert await send_chart(send, renderer=renderer(flow), drawing=drawing(chart))
    assert [image_of(c)["altText"] for c in sent] == [chart.alt_text]
    assert not await send_chart(send, renderer=renderer(flow), drawing=drawing(None))
    assert len(sent) == 1


async def test_send_failure_is_logged_not_raised(
    flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    async def refused(card: dict[str, Any]) -> str:
        raise TimeoutError("send timed out")

    chart = draw(sample_cost(), sample_price)
    with caplog.at_level(logging.WARNING, logger="bot.teams.chart"):
        assert not await send_chart(refused, renderer=renderer(flow), drawing=drawing(chart))
    assert "cost chart not sent: TimeoutError: send timed out" in caplog.text


async def test_summary_card_is_followed_by_its_chart(teams: TeamsHarness) -> None:
    person = Person()
    assert await teams.say(person, "hi") in (200, 201, 202)
    await click_through(teams, person)
    summary = teams.summaries(person.conversation)[0]
    charts = await teams.eventually(
        lambda: [c for c in teams.cards(person.conversation) if CAPTION in card_text(c)]
    )
    sent = teams.connector.sent(person.conversation)
    assert sent.index(charts[0]) == sent.index(summary) + 1
    image = image_of(charts[0].cards[0])
    assert image["url"].startswith("data:image/png;base64,")
    assert "tokens a month" in image["altText"]
    assert teams.connector.card_problems == []
