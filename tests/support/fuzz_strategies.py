"""Hypothesis strategies and checks shared by the Slack and Teams fuzz tests.

Strategy factories are cached: hypothesis works out each new strategy object's properties
afresh, which costs more than an example against the real server when a test builds them per
example.

The fuzz tests drive real servers on an event loop of their own (`LoopThread`), so a plain
synchronous ``@given`` test can run many examples against one server started per module. That
loop and the checks (logged errors, session documents) are in fuzz_harness.py.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, Final

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

#: Set FUZZ_SHRINK=1 to have hypothesis shrink a failure to a minimal example. Off by default:
#: some failures cost seconds per run (Bolt waits out its 3 s ack timeout when a listener
#: crashes), and shrinking replays hundreds of them.
SHRINK: Final = os.environ.get("FUZZ_SHRINK", "") == "1"

#: One profile for every fuzz test: the same examples on every run and machine, no example
#: database, no per-example deadline (a real server and Redis sit behind every example).
FUZZ: Final = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    phases=tuple(Phase) if SHRINK else (Phase.explicit, Phase.generate),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)

#: For tests of a known failure: run the explicit examples and a few more, never shrink.
NO_SHRINK: Final = (Phase.explicit, Phase.generate)

# -- text ---------------------------------------------------------------------------------------

#: Live Slack markup a person might type. None of it may reach a mrkdwn field or `text` as is.
SLACK_LIVE: Final = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^SFZEVIL>",
    "<@UFZEVIL>",
    "<@WFZEVIL|admin>",
    "<#CFZEVIL>",
    "<https://evil.example/login|click me>",
    "<http://evil.example>",
    "<mailto:evil@evil.example|mail>",
    "<!date^1392734382^{date}|x>",
)
#: Live Adaptive Card TextBlock features a person might type.
TEAMS_LIVE: Final = (
    "[click me](https://evil.example/login)",
    "[x]\t(https://evil.example)",
    "[x]\n(https://evil.example)",
    "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
    "{{TIME(2017-02-14T06:08:39Z)}}",
    "{{{DATE(2017-02-14T06:08:39Z, LONG)}}}",
    "{{{{TIME(2017-02-14T06:08:39Z)}}}}",
    "${$root.secret}",
    "<at>someone</at>",
)
ODD_CHARACTERS: Final = (
    "\u202e",  # right-to-left override
    "\u202d",
    "\u2066",
    "\u2069",
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",
    "\u0000",
    "\u0001",
    "\u001b[31m",
    "\u007f",
    "\u0085",
    "\r\n",
    "\t",
    "🙂",
    "👩‍👩‍👧‍👦",
    "🏳️‍🌈",
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew
    "مرحبا",
    "e\u0301",  # combining accent
    "Ω≈ç√",
    "\U0001d54f",
    "&amp;",
    "&lt;",
    "&gt;",
    "&",
    "<",
    ">",
    '"',
    "\\",
    "\\u0000",
    "`",
    "```",
    "*bold*",
    "_it_",
    "~strike~",
    "%s%n",
    "{}",
    "{0}",
    "{name}",
    "'; DROP TABLE sessions; --",
    "../../etc/passwd",
    ":warning:",
)
WORDS: Final = (
    "",
    " ",
    "hi",
    "help",
    "status",
    "back",
    "skip",
    "yes",
    "no",
    "restart",
    "forget",
    "cancel",
    "why",
    "results",
    "start",
    "edit",
    "edit budget",
    "edit <question>",
    "1",
    "2",
    "99",
    "-1",
    "0",
    "live",
    "idea",
    "scale",
    "2B",
    "1.5e9",
    "350M",
    "1e400",
    "NaN",
)


def _huge(pieces: list[str], size: int) -> str:
    unit = "".join(pieces) or "x"
    return (unit * (size // len(unit) + 1))[:size]


@cache
def odd_text(live: tuple[str, ...], *, max_huge: int = 40_000) -> st.SearchStrategy[str]:
    """Free text a hostile or unlucky person might type: commands, markup, oddities, floods."""
    piece = st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(live),
        st.sampled_from(ODD_CHARACTERS),
        st.text(max_size=12),
    )
    mixed = st.lists(piece, max_size=8).map(" ".join)
    huge = st.builds(_huge, st.lists(piece, min_size=1, max_size=4), st.integers(2_000, max_huge))
    return st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(live),
        mixed,
        mixed,
        st.text(),
        huge,
    )


@cache
def junk() -> st.SearchStrategy[Any]:
    """Any JSON value, kept small."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        st.sampled_from(["", "null", "{}", "[]", "0", "U0", "C0", "D0"]),
    )
    nested = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=6,
    )
    return st.one_of(scalars, nested)  # half of them scalars: those break the most code


#: A mutation plan: (key, operation, junk) steps, then extra keys; drawn before the ids exist.
Plan = tuple[tuple[tuple[str, str, Any], ...], dict[str, Any]]


@cache
def ids() -> st.SearchStrategy[Any]:
    """What may stand where a platform id goes: missing, blank, odd id-like text or an object.

    Scalars of other types (numbers, booleans) crash Bolt's own request parsing; those shapes
    have a test of their own.
    """
    text = st.one_of(
        st.text(alphabet="UWCDGTB0123456789AXZ\u202e\u200b .-_|:;@", max_size=40),
        st.just("U" + "X" * 300),
    )
    return st.one_of(st.none(), st.just(""), text, st.fixed_dictionaries({"id": text}))


#: Junk that is truthy and not an object: `x.get(...)` on it fails, `x or {}` does not help.
TRUTHY_SCALARS: Final[tuple[Any, ...]] = (1, -1, True, 1.5, "x", "0", ["x"], [{}], [[]])


@cache
def plans(
    keys: tuple[str, ...],
    *,
    focus: str | None = None,
    max_steps: int = 2,
    id_keys: frozenset[str] = frozenset(),
    object_keys: frozenset[str] = frozenset(),
) -> st.SearchStrategy[Plan]:
    """Which keys of a payload to drop, blank or replace with junk, and which keys to add.

    `focus`, when given, is always changed; tests parametrize over it, because hypothesis
    left to itself visits some keys far more than others. Keys in `id_keys` get id-like junk
    only (see `ids`), keys in `object_keys` objects (or nothing); the others get truthy
    scalars half of the time.
    """
    operations = st.sampled_from(["drop", "junk", "empty"])

    def change(key: str) -> st.SearchStrategy[tuple[str, str, Any]]:
        if key in id_keys:
            values = ids()
        elif key in object_keys:
            values = st.none() | st.dictionaries(st.sampled_from(["id", "ts", "x"]), junk())
        else:
            values = st.one_of(st.sampled_from(TRUTHY_SCALARS), junk())
        return st.tuples(st.just(key), operations, values)

    first = change(focus) if focus is not None else st.none()
    others = [k for k in keys if k != focus]
    rest = st.lists(st.one_of(*map(change, others)), max_size=max_steps) if others else st.just([])
    steps = st.builds(
        lambda f, r: tuple({s[0]: s for s in [*([f] if f else []), *r]}.values()), first, rest
    )
    extra = st.dictionaries(st.sampled_from(["x", "extra", "__proto__", "💥"]), junk(), max_size=2)
    return st.tuples(steps, extra)


def apply_plan(base: dict[str, Any], plan: Plan) -> dict[str, Any]:
    out = dict(base)
    steps, extra = plan
    for key, operation, value in steps:
        if operation == "drop":
            out.pop(key, None)
        elif operation == "junk":
            out[key] = value
        else:
            old = base.get(key)
            out[key] = type(old)() if isinstance(old, (str, list, dict)) else None
    out.update(extra)
    return out
