"""The intake benchmark (issue 16): the corpus is sound and the rules meet the thresholds."""

from __future__ import annotations

from bench.intake import CORPUS, evaluate, load_corpus, main
from dialogs.flow import Flow
from dialogs.ids import MONTHLY_TOKENS

HELD_OUT = CORPUS.with_name("intake_heldout.yaml")


def test_the_corpora_are_large_and_name_real_answers(flow: Flow) -> None:
    corpus, held_out = load_corpus(), load_corpus(HELD_OUT)
    assert len(corpus) >= 60 and len(held_out) >= 20
    ids = [e.id for e in (*corpus, *held_out)]
    assert len(set(ids)) == len(ids)
    for entry in (*corpus, *held_out):
        for qid, answer in entry.answers.items():
            question = flow.question(qid)
            assert question is not None, (entry.id, qid)
            if qid == MONTHLY_TOKENS:
                assert answer.isdigit(), entry.id
            else:
                assert question.option(answer) is not None, (entry.id, qid, answer)


def test_precision_and_recall_meet_the_goal_on_the_corpus(flow: Flow) -> None:
    report = evaluate(flow, load_corpus())
    assert report.precision >= 0.85, report.misses
    assert report.recall >= 0.70, report.misses
    assert report.median_asked < report.full_walk


def test_and_on_descriptions_the_cues_were_not_written_for(flow: Flow) -> None:
    report = evaluate(flow, load_corpus(HELD_OUT))
    assert report.precision >= 0.85, report.misses
    assert report.recall >= 0.70, report.misses


def test_the_report(capsys: object) -> None:
    assert main(["--misses"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "precision:" in out and "recall:" in out and "median" in out
