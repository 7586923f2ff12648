"""How well the rule-based intake reads descriptions (issue 16): per-answer precision and recall
on the corpus of tests/fixtures/intake_corpus.yaml, and how many questions are still asked
after a description beside the full walk.

    python -m bench.intake [--corpus FILE] [--misses]

Precision: of the answers the extractor gave, the share a careful reader also gave. Recall: of
the careful reader's answers, the share the extractor gave the same. A figure counts as right
when it is the reader's figure to within 1%. Still asked: the questions left open (at most, as
the walk may still ask them whatever the person answers), and those the walk asks when each open
question gets the flow's default answer (as the full walk is counted).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dialogs.flow import Flow
from dialogs.flow_loader import load_flow
from dialogs.ids import MONTHLY_TOKENS
from dialogs.intake import extract

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "intake_corpus.yaml"


@dataclass(frozen=True, kw_only=True)
class Entry:
    id: str
    text: str
    answers: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class Report:
    descriptions: int
    gold: int
    given: int
    right: int
    median_asked: float
    median_default_asked: float
    full_walk: int
    default_walk: int
    misses: tuple[str, ...]
    # How many descriptions leave each question open, most often open first.
    most_open: tuple[tuple[str, int], ...] = ()

    @property
    def precision(self) -> float:
        return self.right / self.given if self.given else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.gold if self.gold else 1.0


def load_corpus(path: Path = CORPUS) -> list[Entry]:
    raw: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Entry(
            id=str(e["id"]),
            text=str(e["text"]),
            answers={str(k): str(v) for k, v in (e.get("answers") or {}).items()},
        )
        for e in raw
    ]


def same(qid: str, got: str, want: str) -> bool:
    if qid == MONTHLY_TOKENS:
        return abs(int(got) - int(want)) <= 0.01 * int(want)
    return got == want


def default_walk(flow: Flow, given: Mapping[str, str]) -> int:
    """The questions a walk asks after `given` when each of the others gets its default."""
    defaults = {q.id: q.assume for q in flow.questions if q.assume is not None}
    answers = {**defaults, **given}
    return sum(1 for q in flow.applicable(answers) if q.id not in given)


def evaluate(flow: Flow, corpus: Sequence[Entry]) -> Report:
    gold = given = right = 0
    asked: list[int] = []
    asked_default: list[int] = []
    open_count: Counter[str] = Counter()
    misses: list[str] = []
    for entry in corpus:
        intake = extract(flow, entry.text)
        got = intake.answers()
        gold += len(entry.answers)
        given += len(got)
        for qid, answer in got.items():
            want = entry.answers.get(qid)
            if want is not None and same(qid, answer, want):
                right += 1
            else:
                misses.append(f"{entry.id}: wrong {qid}={answer} (reader: {want})")
        misses += [
            f"{entry.id}: missed {qid}={want}"
            for qid, want in entry.answers.items()
            if qid not in got
        ]
        asked.append(len(intake.open))
        asked_default.append(default_walk(flow, got))
        open_count.update(intake.open)
    return Report(
        descriptions=len(corpus),
        gold=gold,
        given=given,
        right=right,
        median_asked=statistics.median(asked),
        median_default_asked=statistics.median(asked_default),
        full_walk=len(flow.questions),
        default_walk=default_walk(flow, {}),
        misses=tuple(misses),
        most_open=tuple(open_count.most_common()),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--misses", action="store_true", help="list every wrong or missed answer")
    args = parser.parse_args(argv)
    report = evaluate(load_flow(), load_corpus(args.corpus))
    print(f"descriptions: {report.descriptions}")
    print(f"answers a careful reader gives: {report.gold}; the rules give {report.given}")
    print(f"precision: {report.precision:.1%}  recall: {report.recall:.1%}")
    print(
        f"questions still asked after a description (median): at most {report.median_asked:g}, "
        f"{report.median_default_asked:g} on a walk with the default answers; against "
        f"{report.full_walk} in the flow ({report.default_walk} on a walk with the default "
        "answers)"
    )
    print(
        "most often still open: "
        + ", ".join(f"{qid} {n}/{report.descriptions}" for qid, n in report.most_open[:8])
    )
    if args.misses:
        print("\n".join(report.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
