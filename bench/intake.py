"""How well the rule-based intake reads descriptions (issue 16): per-answer precision and recall
on the corpus of tests/fixtures/intake_corpus.yaml, and how many questions are still asked
after a description beside the full walk.

    python -m bench.intake [--corpus FILE] [--misses]

Precision: of the answers the extractor gave, the share a careful reader also gave. Recall: of
the careful reader's answers, the share the extractor gave the same. A figure counts as right
when it is the reader's figure to within 1%.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
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
    full_walk: int
    default_walk: int
    misses: tuple[str, ...]

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


def evaluate(flow: Flow, corpus: Sequence[Entry]) -> Report:
    gold = given = right = 0
    asked: list[int] = []
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
    defaults = {q.id: q.assume for q in flow.questions if q.assume is not None}
    return Report(
        descriptions=len(corpus),
        gold=gold,
        given=given,
        right=right,
        median_asked=statistics.median(asked),
        full_walk=len(flow.questions),
        default_walk=len(flow.applicable(defaults)),
        misses=tuple(misses),
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
        f"questions still asked after a description (median): {report.median_asked:g}, "
        f"against {report.full_walk} in the flow ({report.default_walk} on a walk with the "
        "default answers)"
    )
    if args.misses:
        print("\n".join(report.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
