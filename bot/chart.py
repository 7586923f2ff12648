"""The cost chart: monthly cost against tokens a month for each allowed option, as a small PNG.

Drawn from the summary's `cost` section (dialogs.cost.cost_section) and the cost model's
`monthly_usd`, on a matplotlib `Figure` of its own with the Agg canvas (never pyplot, whose
global state is not safe across threads), in a worker thread (`draw_chart`), never on the
event loop. The PNG is shrunk to a palette and carries no metadata, so the same figures give
the same bytes. `render_chart` is the one place a drawing failure is caught: it logs one line
and returns None, and the summary goes out without a chart.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import math
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot.render import tokens, usd
from dialogs.cost import CostAssumptions, monthly_usd
from dialogs.replies import Reply, Summary

log = logging.getLogger(__name__)

#: USD a month (low, high) of one option at a monthly token volume.
Price = Callable[[str, int], tuple[float, float]]

WIDTH_PX = 640
HEIGHT_PX = 360
DPI = 80
COLOURS = 64  # palette size of the PNG: enough for the anti-aliased lines and bands
POINTS = 160  # volumes sampled across the x axis (self-hosting is a staircase of GPUs)
MAX_ALT_CHARS = 1000  # Slack's limit on a file's alt text
FILENAME = "cost-chart.png"
DRAWING_THREADS = 2
#: The words posted with the chart (Slack's comment, the Teams card's caption).
CAPTION = "Cost by monthly volume for each option your data allows (figures in the summary)."

#: One colour an option, the same on every chart (others take the spare ones in turn).
_COLOURS = {
    "small_tier": "#1f77b4",
    "frontier_tier": "#d62728",
    "private_endpoint": "#2ca02c",
    "own_cloud_small": "#9467bd",
    "own_cloud_large": "#ff7f0e",
    "on_prem": "#8c564b",
}
_SPARE_COLOURS = ("#17becf", "#7f7f7f", "#bcbd22", "#e377c2")
#: Which hosted tier each break-even compares against.
_TIERS = {
    "vs_small_tier": "small_tier",
    "vs_frontier_tier": "frontier_tier",
    "small_vs_frontier_tier": "frontier_tier",
}
_TIER_WORDS = {"small_tier": "the small hosted tier", "frontier_tier": "the frontier hosted tier"}


@dataclass(frozen=True, kw_only=True)
class Chart:
    """A drawn chart: the PNG, and the same figures in words for people who cannot see it."""

    png: bytes
    alt_text: str
    title: str
    filename: str = FILENAME


def allowed_options(cost: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [o for o in cost.get("options") or () if isinstance(o, Mapping) and o.get("allowed")]


def can_draw(cost: object) -> bool:
    """Whether a summary's `cost` section has what a chart needs (a volume, allowed options)."""
    return (
        isinstance(cost, Mapping)
        and isinstance(cost.get("monthly_tokens"), int)
        and cost["monthly_tokens"] > 0
        and bool(allowed_options(cost))
    )


def short_usd(value: float) -> str:
    """An axis label: $1, $10k, $2.5M."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"${value / size:.3g}{unit}"
    return f"${value:.3g}"


def _range_words(low: float, high: float, fmt: Callable[[Any], str]) -> str:
    return fmt(low) if fmt(low) == fmt(high) else f"{fmt(low)} to {fmt(high)}"


def break_evens(cost: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The break-even entries of a cost section, in a fixed order: (name, entry)."""
    table = cost.get("break_even_tokens") or {}
    if not isinstance(table, Mapping):
        return []
    names = [n for n in _TIERS if n in table] + sorted(n for n in table if n not in _TIERS)
    return [(n, table[n]) for n in names if isinstance(table[n], Mapping)]


def tier_of(name: str) -> str:
    return _TIERS.get(name, "frontier_tier" if "frontier" in name else "small_tier")


def shown_break_evens(cost: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The break-evens whose option and hosted tier are both allowed (both drawn)."""
    allowed = {str(o.get("id")) for o in allowed_options(cost)}
    return [
        (name, entry)
        for name, entry in break_evens(cost)
        if str(entry.get("option")) in allowed and tier_of(name) in allowed
    ]


def _ends(entry: Mapping[str, Any]) -> tuple[int | None, int | None]:
    low, high = entry.get("low"), entry.get("high")
    return (int(low) if low else None, int(high) if high else None)


def span_words(entry: Mapping[str, Any]) -> str | None:
    """A break-even's volumes in words ("1.6B to 3.1B"); None when it never pays."""
    ends = [v for v in _ends(entry) if v is not None]
    return _range_words(min(ends), max(ends), tokens) if ends else None


def only_on(entry: Mapping[str, Any]) -> str:
    """ " on the low estimates only" when a break-even is reached at one end only."""
    low, high = _ends(entry)
    if (low is None) == (high is None):
        return ""
    return f" on the {'low' if high is None else 'high'} estimates only"


def _labels(cost: Mapping[str, Any]) -> dict[str, str]:
    return {str(o.get("id")): str(o.get("label") or o.get("id")) for o in cost.get("options") or ()}


def alt_text(cost: Mapping[str, Any]) -> str:
    """The chart in words: each allowed option's cost at the team's volume, the break-evens."""
    volume = int(cost["monthly_tokens"])
    labels = _labels(cost)
    parts = [f"Monthly cost against tokens a month, both on log scales. At your {tokens(volume)}"]
    costs = []
    for option in allowed_options(cost):
        band = option.get("monthly_usd") or {}
        figures = (float(band.get("low", 0)), float(band.get("high", 0)))
        costs.append(f"{labels[str(option.get('id'))]} {_range_words(*figures, usd)}")
    parts[0] += " tokens a month: " + "; ".join(costs) + "."
    for name, entry in shown_break_evens(cost):
        who = labels.get(str(entry.get("option")), str(entry.get("option")))
        against = _TIER_WORDS[tier_of(name)]
        span = span_words(entry)
        if span is None:
            parts.append(f"{who} never costs less than {against} at these prices.")
        else:
            qualifier = only_on(entry)
            parts.append(f"{who} costs less than {against} from {span} tokens a month{qualifier}.")
    barred = [labels[str(o.get("id"))] for o in cost.get("options") or () if not o.get("allowed")]
    if barred:
        parts.append("Not shown, not allowed for your data: " + ", ".join(barred) + ".")
    if cost.get("prices_as_of"):
        parts.append(f"Prices as of {cost['prices_as_of']}.")
    text = " ".join(parts)
    return text if len(text) <= MAX_ALT_CHARS else text[: MAX_ALT_CHARS - 1] + "…"


def volume_grid(cost: Mapping[str, Any]) -> list[int]:
    """Token volumes for the x axis: a thousandth to a thousand times the team's volume,
    widened to show every break-even drawn, within 100k to 100T."""
    volume = int(cost["monthly_tokens"])
    marks = [volume]
    for _, entry in shown_break_evens(cost):
        marks += [v for v in _ends(entry) if v]
    centre = math.log10(volume)
    lo = max(5.0, min(math.floor(centre) - 3, math.floor(math.log10(min(marks)) - 0.5)))
    hi = min(14.0, max(math.ceil(centre) + 3, math.ceil(math.log10(max(marks)) + 0.5)))
    step = (hi - lo) / (POINTS - 1)
    return sorted({round(10 ** (lo + i * step)) for i in range(POINTS)} | set(marks))


def draw(cost: Mapping[str, Any], price: Price) -> Chart:
    """Draw the chart (blocking: call it in a worker thread, as draw_chart does)."""
    # matplotlib and numpy take about half a second to import: paid by the first chart, in
    # its worker thread, not by every start of the command line.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator  # noqa: PLC0415

    volume = int(cost["monthly_tokens"])
    grid = volume_grid(cost)
    title = "Monthly cost by tokens a month"
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = _labels(cost)
    curves: dict[str, tuple[list[float], list[float]]] = {}
    for i, option in enumerate(allowed_options(cost)):
        option_id = str(option["id"])
        lows, highs = zip(*(price(option_id, v) for v in grid), strict=True)
        low = [max(x, 0.01) for x in lows]
        high = [max(x, 0.01) for x in highs]
        curves[option_id] = (low, high)
        colour = _COLOURS.get(option_id) or _SPARE_COLOURS[i % len(_SPARE_COLOURS)]
        axes.fill_between(grid, low, high, color=colour, alpha=0.15, linewidth=0)
        axes.plot(grid, high, color=colour, linewidth=1.4, label=labels[option_id])
        axes.plot(grid, low, color=colour, linewidth=0.8)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlim(grid[0], grid[-1])
    axes.axvline(volume, color="#333333", linestyle="--", linewidth=1)
    axes.annotate(
        f"Your volume: {tokens(volume)}",
        xy=(volume, 1),
        xycoords=("data", "axes fraction"),
        xytext=(3, -10),
        textcoords="offset points",
        fontsize=7,
        color="#333333",
    )
    _mark_break_evens(axes, cost, curves, grid, labels)
    axes.xaxis.set_major_locator(LogLocator(base=10, numticks=12))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: tokens(round(x))))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: short_usd(y)))
    # No minor ticks, and fixed margins instead of tight_layout: each would cost more time
    # than the rest of the drawing together.
    axes.xaxis.set_minor_locator(NullLocator())
    axes.yaxis.set_minor_locator(NullLocator())
    axes.tick_params(labelsize=7)
    axes.set_xlabel("Tokens a month (log scale)", fontsize=8)
    axes.set_ylabel("US dollars a month (log scale)", fontsize=8)
    axes.set_title(title, fontsize=9)
    axes.grid(True, which="major", linewidth=0.4, color="#dddddd")
    axes.legend(fontsize=6.5, loc="lower right", framealpha=0.9, edgecolor="#dddddd")
    note = "Serving cost only; each band runs from the low to the high estimate."
    if cost.get("prices_as_of"):
        note += f" Prices as of {cost['prices_as_of']}."
    figure.text(0.01, 0.01, note, fontsize=6, color="#555555")
    figure.subplots_adjust(left=0.1, right=0.98, top=0.93, bottom=0.16)
    return Chart(png=_small_png(figure), alt_text=alt_text(cost), title=title)


def _mark_break_evens(
    axes: Any,
    cost: Mapping[str, Any],
    curves: Mapping[str, tuple[list[float], list[float]]],
    grid: Sequence[int],
    labels: Mapping[str, str],
) -> None:
    """A dot at each break-even that both sides of which are drawn, labelled with its volume."""
    for n, (name, entry) in enumerate(shown_break_evens(cost)):
        ends = [v for v in _ends(entry) if v]
        span, option = span_words(entry), str(entry.get("option"))
        if not ends or span is None:
            continue
        low, high = min(ends), max(ends)
        tier = tier_of(name)
        mid = math.sqrt(low * high)
        i = min(range(len(grid)), key=lambda k: abs(math.log10(grid[k]) - math.log10(mid)))
        at = curves[option][1][i]
        if tier in curves:
            at = math.sqrt(curves[tier][0][i] * curves[tier][1][i])
        axes.plot([low, high], [at, at], color="#000000", linewidth=2.5)
        axes.plot([mid], [at], marker="o", color="#000000", markersize=4)
        short = "small tier" if tier == "small_tier" else "frontier tier"
        who = labels.get(option, option).split(" (")[0]
        qualifier = only_on(entry).strip().removeprefix("on the ")
        note = f" ({qualifier})" if qualifier else ""
        # Labels right of the middle of the axis run leftwards, so they stay in the picture.
        right = math.log10(mid) > (math.log10(grid[0]) + math.log10(grid[-1])) / 2
        axes.annotate(
            f"{who} = {short} at {span}{note}",
            xy=(mid, at),
            xytext=(-6 if right else 6, -12 - 10 * n),
            textcoords="offset points",
            horizontalalignment="right" if right else "left",
            fontsize=7,
            bbox={"boxstyle": "square,pad=0.2", "facecolor": "#ffffff", "edgecolor": "none"},
            zorder=6,  # above the legend
        )


def _small_png(figure: Any) -> bytes:
    """The figure as a palette PNG with no metadata (no dates: same figures, same bytes),
    from the canvas's pixels (no PNG of matplotlib's own to encode and read back)."""
    from PIL import Image  # noqa: PLC0415 (see draw)

    canvas = figure.canvas
    canvas.draw()
    width, height = canvas.get_width_height()
    pixels = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    small = pixels.convert("RGB").quantize(
        colors=COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def model_price(costs: CostAssumptions, *, redundancy: bool) -> Price:
    """The cost model's own prices (dialogs.cost.monthly_usd) for these assumptions."""

    def price(option: str, monthly_tokens: int) -> tuple[float, float]:
        low, high = monthly_usd(costs, option, monthly_tokens, redundancy=redundancy)
        return float(low), float(high)

    return price


def render_chart(
    costs: CostAssumptions, cost: object, *, price: Price | None = None
) -> Chart | None:
    """The chart for a summary's `cost` section (blocking); None when there is nothing to
    draw (volume unknown) or drawing failed. The one place a drawing failure is caught: it is
    logged once, never raised."""
    if not can_draw(cost):
        return None
    assert isinstance(cost, Mapping)
    try:
        return draw(cost, price or model_price(costs, redundancy=bool(cost.get("redundancy"))))
    except Exception as exc:
        log.warning("cost chart not drawn: %s: %s", type(exc).__name__, exc)
        log.debug("cost chart not drawn", exc_info=True)
        return None


async def draw_chart(
    costs: CostAssumptions, cost: object, *, price: Price | None = None
) -> Chart | None:
    """render_chart in a worker thread of the charts' own, never on the event loop."""
    if not can_draw(cost):
        return None
    job = functools.partial(render_chart, costs, cost, price=price)
    return await asyncio.get_running_loop().run_in_executor(_drawing_threads(), job)


@functools.cache
def _drawing_threads() -> ThreadPoolExecutor:
    """At most DRAWING_THREADS charts draw at once, in threads of their own: drawing is
    mostly Python under the GIL, so a burst of summaries must not crowd out the event loop
    (nor the default executor's threads, which others use for blocking calls)."""
    return ThreadPoolExecutor(max_workers=DRAWING_THREADS, thread_name_prefix="cost-chart")


class Drawing:
    """A summary's chart, drawn when first awaited: the adapters await it after posting the
    summary, so the drawing thread does not compete with that post for the GIL."""

    def __init__(self, costs: CostAssumptions, cost: Mapping[str, Any]) -> None:
        self.costs = costs
        self.cost = cost

    def __await__(self) -> Generator[Any, None, Chart | None]:
        return draw_chart(self.costs, self.cost).__await__()


def start_chart(costs: CostAssumptions, reply: Reply) -> Drawing | None:
    """The chart of a summary reply, to await once the summary is posted (nothing is drawn
    before); None for any other reply, or a summary without a cost section."""
    if not isinstance(reply, Summary) or not can_draw(reply.assessment.get("cost")):
        return None
    return Drawing(costs, reply.assessment["cost"])
