"""The rules of framework.md (version 2) over 100,000 random answer sets.

    python -m bench.scoring_rules [--sets N] [--seed S]

Each set is checked against the rules that hold for one answer set (data floors, retrieval
exactly on need, readiness before each rung, red flags capping training, a team that cannot run
models keeping a vendor-run model) and, with one answer moved, against the monotonicity rules
(more readiness never lowers depth; stricter data never lowers hosting nor deepens depth; more
volume never adds retrieval, deepens depth or moves hosting toward the public API; hosting-only
answers never change depth). CI runs the same checks on a few thousand sets
(tests/dialogs/test_scoring_rules.py); this prints how often each rule broke (goal: never).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from bench.common import positive
from dialogs.flow_loader import load_flow
from tests.support.scoring_rules import run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=positive, default=100_000, help="random answer sets")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (reproducible)")
    args = parser.parse_args(argv)
    flow = load_flow()
    started = time.perf_counter()
    broken = run(flow, args.sets, seed=args.seed)
    seconds = time.perf_counter() - started
    print(f"{args.sets:,} random answer sets (seed {args.seed}) in {seconds:.1f} s")
    if not broken:
        print("every rule held on every set")
    for rule, count in sorted(broken.items()):
        print(f"BROKEN {count:,} times: {rule}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
