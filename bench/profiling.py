"""Where an in-process benchmark's CPU time goes, from cProfile: by area and by function.

bench_teams profiles one pass of each side with cProfile (on the loop thread and on the worker
threads botbuilder sends from). bench_slack samples its server processes with py-spy instead
(bench/stacks.py), which shares the area names' idea but reads stacks, not cProfile stats.
"""

from __future__ import annotations

import cProfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import CodeType


@dataclass(frozen=True)
class Areas:
    """Where a profiled function's time is counted: by the first needle in its file's path, or
    for a builtin (a str, "<built-in method ...>"), by the first needle in its name."""

    files: tuple[tuple[str, str], ...]  # (needle, area)
    builtins: tuple[tuple[tuple[str, ...], str], ...]  # (needles, area)

    def of(self, code: CodeType | str) -> str:
        if isinstance(code, str):
            for needles, label in self.builtins:
                if any(needle in code for needle in needles):
                    return label
            return "builtins"
        name = code.co_filename.replace("\\", "/")
        for needle, label in self.files:
            if needle in name:
                return label
        return "other stdlib/libs" if "/lib/" in name else "other"


def describe(code: CodeType | str) -> str:
    if isinstance(code, str):
        return code[:70]
    name = code.co_filename.replace("\\", "/")
    for marker in ("/site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in name:
            name = name.split(marker, 1)[1]
            break
    return f"{name}:{code.co_firstlineno}({code.co_name})"


@dataclass(frozen=True)
class Profiled:
    turns: int
    by_area: dict[str, float]  # seconds of own (not cumulative) time
    own: dict[str, float]
    cumulative: dict[str, float]


def tally(
    profiles: Sequence[cProfile.Profile],
    *,
    turns: int,
    areas: Areas,
    combine: Callable[[float, float], float],
) -> Profiled:
    """One pass's profiles by area and by function; `combine` joins two cumulative times that
    `describe` gives the same name (max, or operator.add to sum them over threads)."""
    by_area: defaultdict[str, float] = defaultdict(float)
    own: defaultdict[str, float] = defaultdict(float)
    cumulative: defaultdict[str, float] = defaultdict(float)
    for profile in profiles:
        for entry in profile.getstats():
            by_area[areas.of(entry.code)] += entry.inlinetime
            own[describe(entry.code)] += entry.inlinetime
            if not isinstance(entry.code, str):
                name = describe(entry.code)
                cumulative[name] = combine(cumulative[name], entry.totaltime)
    return Profiled(turns, dict(by_area), dict(own), dict(cumulative))


@dataclass(frozen=True)
class ProfileText:
    """How a benchmark's profile report reads: headings, column width, rows shown."""

    area_heading: tuple[str, ...]
    area_width: int
    own_heading: str
    own_rows: int
    own_difference: bool  # a column of advisor minus bare
    cumulative_heading: str
    #: Also list the advisor's functions by their own time (not against the bare app): where its
    #: whole turn goes, the SDK's part included. 0 leaves the list out.
    advisor_own_rows: int = 0
    cumulative_rows: int = 15
    cumulative_ours_only: bool = True  # only bot/ and dialogs/ in the cumulative list


def profile_report(bare: Profiled, advisor: Profiled, text: ProfileText) -> list[str]:
    def per_turn(p: Profiled, name: str) -> float:
        return p.by_area.get(name, 0.0) / p.turns * 1e6

    areas = sorted(
        set(bare.by_area) | set(advisor.by_area),
        key=lambda a: -(per_turn(advisor, a) - per_turn(bare, a)),
    )
    width = text.area_width
    lines = [*text.area_heading, f"  {'area':<{width}}{'bare':>9}{'advisor':>9}{'difference':>12}"]
    for name in areas:
        b, a = per_turn(bare, name), per_turn(advisor, name)
        if max(a, b) >= 5:
            lines.append(f"  {name:<{width}}{b:>9.0f}{a:>9.0f}{a - b:>+12.0f}")
    total_b = sum(bare.by_area.values()) / bare.turns * 1e6
    total_a = sum(advisor.by_area.values()) / advisor.turns * 1e6
    lines.append(f"  {'total':<{width}}{total_b:>9.0f}{total_a:>9.0f}{total_a - total_b:>+12.0f}")
    lines.append("")
    lines.append(text.own_heading)
    diff_head = f"{'diff':>8}" if text.own_difference else ""
    lines.append(f"  {'bare':>7}{'advisor':>9}{diff_head}  function")

    def own(p: Profiled, name: str) -> float:
        return p.own.get(name, 0.0) / p.turns * 1e6

    names = set(bare.own) | set(advisor.own)
    for name in sorted(names, key=lambda n: -(own(advisor, n) - own(bare, n)))[: text.own_rows]:
        b, a = own(bare, name), own(advisor, name)
        diff = f"{a - b:>+8.1f}" if text.own_difference else ""
        lines.append(f"  {b:>7.1f}{a:>9.1f}{diff}  {name}")
    if text.advisor_own_rows:
        lines.append("")
        lines.append(f"advisor pass, own CPU time per turn (us), top {text.advisor_own_rows}:")
        top = sorted(advisor.own.items(), key=lambda i: -i[1])[: text.advisor_own_rows]
        for name, seconds in top:
            lines.append(f"  {seconds / advisor.turns * 1e6:>7.1f}  {name}")
    lines.append("")
    lines.append(text.cumulative_heading)
    ours = {
        k: v
        for k, v in advisor.cumulative.items()
        if not text.cumulative_ours_only
        or (k.startswith(("bot/", "dialogs/")) and "lambda" not in k)
    }
    for name, seconds in sorted(ours.items(), key=lambda i: -i[1])[: text.cumulative_rows]:
        lines.append(f"  {seconds / advisor.turns * 1e6:>7.1f}  {name}")
    return lines
