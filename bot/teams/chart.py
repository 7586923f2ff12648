"""The cost chart in Teams: an Adaptive Card of its own, right after the summary card.

The PNG goes in the card's `Image` as a `data:image/png;base64,` URL with the figures in words
as `altText`. A card of its own, not an element of the summary card: the summary is sent
first whatever happens to the chart, and it keeps its whole size budget (Teams refuses
cards of about 28 KB; templates/teams/chart.json.j2 with a 12 KB chart is about 17 KB).
Failures to draw, render or send are one log line; the person never sees an error for it.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.chart import CAPTION, Chart
from bot.render import JsonRenderer
from bot.teams.render import MAX_CARD_BYTES

log = logging.getLogger(__name__)

SendCard = Callable[[dict[str, Any]], Awaitable[str]]


def chart_card(renderer: JsonRenderer, chart: Chart, caption: str = CAPTION) -> dict[str, Any]:
    """The chart's card, `caption` above it; ValueError when it would be too large for Teams."""
    url = "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
    card, size = renderer.render_json("chart.json.j2", url=url, alt=chart.alt_text, caption=caption)
    if size > MAX_CARD_BYTES:
        raise ValueError(f"chart card is {size} bytes, over {MAX_CARD_BYTES}")
    return card


async def send_chart(
    send: SendCard,
    *,
    renderer: JsonRenderer,
    drawing: Awaitable[Chart | None],
    caption: str = CAPTION,
) -> bool:
    """Send the chart being drawn as a card of its own, `caption` above it; True when it was
    sent."""
    try:
        chart = await drawing
        if chart is None:
            return False
        await send(chart_card(renderer, chart, caption))
        return True
    except Exception as exc:
        log.warning("cost chart not sent: %s: %s", type(exc).__name__, exc)
    return False
