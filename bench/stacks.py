"""Where a server process's CPU time goes, from py-spy's raw (collapsed) stack samples.

Each line of a raw file is one distinct stack, outermost frame first, and how many samples saw
it: `run (/…/asyncio/base_events.py:607);…;encode (/…/json/encoder.py:200) 17`. py-spy skips
idle threads, so a sample is CPU time (1 / rate seconds); time in C code counts for the Python
frame that called it. Reported per turn in microseconds, bare next to advisor.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

FRAME: Final = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


@dataclass(frozen=True)
class Frame:
    function: str
    file: str
    line: int

    @property
    def where(self) -> str:
        """The function and its file, shortened to the part after site-packages or the repo."""
        return f"{short(self.file)}:{self.function}"


Stack = tuple[Frame, ...]


@dataclass(frozen=True)
class Samples:
    """One profiled pass: its stacks with their sample counts, the rate, the turns taken, and
    the process's CPU time per turn measured from /proc during the pass.

    A thread that is runnable but waiting for a CPU is sampled as busy, so samples overstate
    CPU time when the machine is loaded; times here are each part's share of the samples
    times the measured CPU time per turn."""

    stacks: tuple[tuple[Stack, int], ...]
    rate: int
    turns: int
    cpu_per_turn: float  # seconds, from /proc/<pid>/stat

    @property
    def total(self) -> int:
        return sum(count for _, count in self.stacks)

    def per_turn_us(self, count: float) -> float:
        return count / max(self.total, 1) * self.cpu_per_turn * 1e6

    @property
    def sampled_ms_per_turn(self) -> float:
        return self.total / self.rate / max(self.turns, 1) * 1000


def short(path: str) -> str:
    path = path.replace("\\", "/")
    for marker in ("/site-packages/", "/lib/python3.11/", "/lib/python3.12/", "/lib/python3.13/"):
        if marker in path:
            return path.split(marker, 1)[1]
    for top in ("/bot/", "/dialogs/", "/bench/", "/tests/", "/templates/"):
        if top in path:
            return top[1:] + path.rsplit(top, 1)[1]
    return path


def parse_frame(text: str) -> Frame:
    match = FRAME.match(text)
    if match is None:
        return Frame(text, "", 0)
    return Frame(match["function"], match["file"], int(match["line"] or 0))


def idle(stack: Stack) -> bool:
    """The event loop waiting in epoll: py-spy's --nonblocking mode cannot always tell that a
    thread is idle there, so these samples are dropped here."""
    return bool(stack) and named(stack[-1], "select") and "selectors" in stack[-1].file


def read_samples(path: Path, *, rate: int, turns: int, cpu_per_turn: float) -> Samples:
    stacks: list[tuple[Stack, int]] = []
    for line in path.read_text(errors="replace").splitlines():
        text, _, count = line.rpartition(" ")
        if text and count.isdigit():
            stack = tuple(parse_frame(f) for f in text.split(";"))
            if not idle(stack):
                stacks.append((stack, int(count)))
    return Samples(tuple(stacks), rate, turns, cpu_per_turn)


# ---------------------------------------------------------------------------- areas and suspects

AREAS: Final = (
    ("/bot/slack/", "bot.slack (adapter)"),
    ("/bot/observe.py", "bot.observe (metrics, turn log)"),
    ("/bot/", "bot (rendering, screen)"),
    ("/dialogs/", "dialogs (engine, store)"),
    ("/jinja2/", "jinja2"),
    ("/templates/", "jinja2"),
    ("/slack_bolt/", "slack_bolt"),
    ("/slack_sdk/", "slack_sdk"),
    ("/redis/", "redis-py"),
    ("/prometheus_client/", "prometheus_client"),
    ("/aiohttp/", "aiohttp"),
    ("/multidict/", "aiohttp"),
    ("/yarl/", "aiohttp"),
    ("/logging/", "logging"),
    ("/json/", "json"),
    ("/asyncio/", "asyncio"),
    ("/selectors.py", "asyncio"),
    ("/urllib/", "urllib (parse)"),
    ("/bench/", "bench (the bare app)"),
)


def area(frame: Frame) -> str:
    path = frame.file.replace("\\", "/")
    for needle, name in AREAS:
        if needle in path:
            return name
    return "other stdlib and libraries"


@cache
def debug_blocks(path: str) -> tuple[tuple[int, int], ...]:
    """Line ranges of `if <logger>.level <= logging.DEBUG:` blocks in a source file: the work a
    library does to format a debug message when its logger's level is left unset (0)."""
    try:
        tree = ast.parse(Path(path).read_text())
    except (OSError, SyntaxError):
        return ()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "level <= logging.DEBUG" in ast.unparse(node.test):
            found.append((node.lineno, node.end_lineno or node.lineno))
    return tuple(found)


def in_debug_block(frame: Frame) -> bool:
    return "/slack_sdk/" in frame.file and any(
        low <= frame.line <= high for low, high in debug_blocks(frame.file)
    )


def named(frame: Frame, function: str) -> bool:
    """py-spy names methods Class.method."""
    return frame.function == function or frame.function.endswith("." + function)


def calls(file_part: str, *functions: str) -> Callable[[Stack], bool]:
    """Stacks inside one of `functions` of a file whose path contains `file_part`."""
    return lambda stack: any(
        file_part in f.file and any(named(f, name) for name in functions) for f in stack
    )


def under(file_part: str, function: str, inner_part: str) -> Callable[[Stack], bool]:
    """Stacks in which `function` (of a file containing `file_part`) called, directly or not,
    code in a file containing `inner_part`."""

    def which(stack: Stack) -> bool:
        for index, frame in enumerate(stack):
            if file_part in frame.file and named(frame, function):
                return any(inner_part in f.file for f in stack[index + 1 :])
        return False

    return which


TURN_DONE: Final = calls("/bot/observe.py", "turn_done")
OURS: Final = ("bot/", "dialogs/")

# (label, which samples): the suspects and the main parts of a turn, inclusive times.
SUSPECTS: Final[tuple[tuple[str, Callable[[Stack], bool]], ...]] = (
    ("slack_sdk debug-log formatting of each Web API call", lambda s: any(map(in_debug_block, s))),
    ("Web API calls, whole (AsyncWebClient.api_call)", calls("/slack_sdk/", "api_call")),
    (
        "the per-turn JSON log line (logging under turn_done)",
        under("/bot/observe.py", "turn_done", "/logging/"),
    ),
    ("TurnObserver.turn_done, whole (metrics + log line)", TURN_DONE),
    (
        "request to Bolt request: to_bolt_request (body parsing)",
        calls("/slack_bolt/", "to_bolt_request"),
    ),
    ("Bolt's signature check (request verification)", calls("/slack_sdk/signature/", "is_valid")),
    ("Bolt dispatch, whole (middleware, listeners)", calls("/slack_bolt/", "async_dispatch")),
    ("Advisor.handle (load, step, commit)", calls("/dialogs/", "Advisor.handle")),
    ("redis-py, anywhere", lambda s: any("/redis/" in f.file for f in s)),
    (
        "rendering (bot/render.py, bot/slack/render.py, jinja2)",
        lambda s: any(
            f.file.endswith(("/bot/render.py", "/bot/slack/render.py")) or "/jinja2/" in f.file
            for f in s
        ),
    ),
)


def by_leaf(samples: Samples, key: Callable[[Frame], str]) -> Counter[str]:
    tally: Counter[str] = Counter()
    for stack, count in samples.stacks:
        if stack:
            tally[key(stack[-1])] += count
    return tally


def inclusive(samples: Samples) -> Counter[str]:
    """Samples with each function anywhere on the stack (once per sample)."""
    tally: Counter[str] = Counter()
    for stack, count in samples.stacks:
        for where in {f.where for f in stack}:
            tally[where] += count
    return tally


def selected(samples: Samples, which: Callable[[Stack], bool]) -> int:
    return sum(count for stack, count in samples.stacks if which(stack))


# ---------------------------------------------------------------------------- the report


def report(bare: Samples, advisor: Samples, *, rows: int = 20) -> list[str]:
    def columns(b: float, a: float) -> str:
        return f"{bare.per_turn_us(b):>8.0f}{advisor.per_turn_us(a):>9.0f}"

    lines = [
        f"py-spy samples at {advisor.rate} Hz: bare {bare.total} over {bare.turns} turns, "
        f"advisor {advisor.total} over {advisor.turns}; CPU ms per turn as sampled "
        f"{bare.sampled_ms_per_turn:.2f} and {advisor.sampled_ms_per_turn:.2f}, by /proc "
        f"{bare.cpu_per_turn * 1000:.2f} and {advisor.cpu_per_turn * 1000:.2f}.",
        "Each part below is its share of the samples times the CPU per turn by /proc.",
        "",
        "CPU per turn by area (innermost Python frame), us:",
        f"  {'':<34}{'bare':>8}{'advisor':>9}",
    ]
    areas_b, areas_a = by_leaf(bare, area), by_leaf(advisor, area)
    for name, n in areas_a.most_common():
        lines.append(f"  {name:<34}{columns(areas_b[name], n)}")
    for name in set(areas_b) - set(areas_a):
        lines.append(f"  {name:<34}{columns(areas_b[name], 0)}")
    lines += ["", "suspects and parts of a turn, inclusive CPU per turn, us (share of process):"]
    for label, which in SUSPECTS:
        b, a = selected(bare, which), selected(advisor, which)
        share = a / advisor.total if advisor.total else 0.0
        lines.append(f"  {label:<58}{columns(b, a)} {share:>6.1%}")
    lines += ["", f"advisor, own CPU per turn by function (top {rows}), us (bare):"]
    own_b = by_leaf(bare, lambda f: f.where)
    for name, n in by_leaf(advisor, lambda f: f.where).most_common(rows):
        lines.append(
            f"  {advisor.per_turn_us(n):>7.0f} ({bare.per_turn_us(own_b[name]):>4.0f})  {name}"
        )
    lines += ["", f"advisor, inclusive CPU per turn in bot/ and dialogs/ (top {rows}), us:"]
    ours = [(w, n) for w, n in inclusive(advisor).most_common() if w.startswith(OURS)]
    for name, n in ours[:rows]:
        lines.append(f"  {advisor.per_turn_us(n):>7.0f} {n / advisor.total:>6.1%}  {name}")
    return lines
