"""The rule-based intake (issue 16): what a paragraph settles, with the words it came from."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product

import pytest

from bench.intake import CORPUS, load_corpus
from dialogs.flow import Flow
from dialogs.flow_loader import parse_flow
from dialogs.intake import extract, still_open
from tests.dialogs.test_flow import broken, problems_of

FIXTURES = CORPUS.parent

ISSUE_EXAMPLE = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k"
)


def test_the_issues_example_with_its_evidence(flow: Flow) -> None:
    intake = extract(flow, ISSUE_EXAMPLE)
    assert intake.answers() == {
        "stage": "mvp",
        "data_sensitivity": "regulated",
        "team": "ml_eng",
        "gpus": "none",
        "volume": "10m_500m",
        "monthly_tokens": "300000000",
        "budget": "10k_100k",
    }
    evidence = {qid: f.evidence for qid, f in intake.found.items()}
    assert evidence["data_sensitivity"] == "personal data under GDPR"
    assert evidence["gpus"] == "no GPUs"
    assert evidence["monthly_tokens"] == "300M tokens a month"
    assert evidence["budget"] == "budget around $50k"
    for found in intake.found.values():
        assert ISSUE_EXAMPLE[found.start : found.end].strip() == found.evidence
    # Open: every question not settled, in flow order; none of the settled ones.
    assert intake.open[0] == "value" and not set(intake.open) & set(intake.found)
    assert "vendor_tuning" in intake.open and "residency" in intake.open


def test_negation(flow: Flow) -> None:
    assert extract(flow, "We don't have any GPUs.").answers() == {"gpus": "none"}
    assert "data_sensitivity" not in extract(flow, "The data is not regulated.").found
    assert extract(flow, "We have no ML engineers, just web developers.").answers() == {
        "team": "app_devs"
    }


def test_where_a_negation_reaches(flow: Flow) -> None:
    # "never leave our network" says where the data stays; "not only" denies nothing.
    for text in ("Data must not leave our VPC.", "Grid data must never leave our own network."):
        assert extract(flow, text).answers() == {"data_sensitivity": "in_vpc_only"}, text
    mixed = extract(flow, "Not only public data: the HR part is personal data.")
    assert mixed.answers() == {"data_sensitivity": "regulated"}
    assert "data_sensitivity" not in extract(flow, "Nothing here is regulated, not even HR.").found


def test_a_cue_that_names_what_money_is_for_is_no_answer(flow: Flow) -> None:
    # "no GPU budget" says nothing about the GPUs the team has.
    assert "gpus" not in extract(flow, "We have no GPU budget this year.").found
    assert extract(flow, "We have no GPUs and no budget.").answers() == {"gpus": "none"}


def test_a_gpu_workstation_is_no_gpu_server(flow: Flow) -> None:
    assert "gpus" not in extract(flow, "The ML engineers have their own GPU workstations.").found
    assert extract(flow, "We run our own GPU cluster.").answers()["gpus"] == "on_prem"


@pytest.mark.parametrize(
    "text",
    [
        "We haven't measured the token volume yet.",  # not how quality is measured
        "Camera-ready copy for print.",  # no camera input
        "A single engineer owns the task.",  # not one task
        "The sales team needs a core part of the pitch rewritten.",  # not the product
    ],
)
def test_words_near_a_cue_that_mean_something_else(flow: Flow, text: str) -> None:
    assert extract(flow, text).found == {}


def test_not_sure_goes_to_the_option_that_says_so(flow: Flow) -> None:
    intake = extract(flow, "No idea how many tokens we will use.")
    assert intake.answers() == {"volume": "unknown"}
    # An unknown volume rules the figure out: it is not among the questions still asked.
    assert "monthly_tokens" not in intake.open and "volume" not in intake.open


def test_several_data_rules_resolve_to_the_strictest(flow: Flow) -> None:
    text = "Some data is public, some confidential, and the HR part is personal data."
    found = extract(flow, text).found["data_sensitivity"]
    assert found.answer == "regulated" and found.evidence == "personal data"


def test_conflicts_are_left_open(flow: Flow) -> None:
    intake = extract(flow, "Today 5M tokens a month; after the rollout 2B tokens a month.")
    assert "volume" not in intake.found and "monthly_tokens" not in intake.found
    assert "volume" in intake.conflicts and "volume" in intake.open
    stage = extract(flow, "Product A is live with steady usage while product B is an idea.")
    assert "stage" not in stage.found and "stage" in stage.conflicts


def test_an_answer_rules_out_the_questions_it_skips(flow: Flow) -> None:
    intake = extract(flow, "Everything runs on air-gapped machines.")
    assert intake.answers() == {"data_sensitivity": "air_gapped"}
    assert "vendor_tuning" not in intake.open and "residency" not in intake.open


def _walk(flow: Flow, given: Mapping[str, str], gates: Mapping[str, str]) -> set[str]:
    """The questions the walk asks after `given`: each in flow order as it becomes
    applicable, a gate answered from `gates`, any other question with its first option."""
    answers, asked = dict(given), set()
    while pending := [q for q in flow.applicable(answers) if q.id not in answers]:
        question = pending[0]
        asked.add(question.id)
        first = question.options[0].id if question.options else "1000000"
        answers[question.id] = gates.get(question.id, first)
    return asked


@pytest.mark.parametrize("corpus", ["intake_corpus", "intake_heldout", "intake_heldout2"])
def test_still_open_is_what_the_walk_may_still_ask(flow: Flow, corpus: str) -> None:
    # For every description: the questions left open are exactly those the walk asks for some
    # answers to the open questions that decide what is asked (data rules, volume).
    gates = sorted(flow.gates)
    for entry in load_corpus(FIXTURES / f"{corpus}.yaml"):
        found = extract(flow, entry.text).answers()
        choices = [
            [o.id for o in flow.questions[flow.index(g)].options] if g not in found else [found[g]]
            for g in gates
        ]
        reachable = set().union(
            *(_walk(flow, found, dict(zip(gates, pick, strict=True))) for pick in product(*choices))
        )
        assert set(still_open(flow, found)) == reachable, entry.id


def test_a_question_hanging_on_one_never_asked_is_not_open() -> None:
    # A flow where the model-retirement question is asked only when vendor tuning is
    # acceptable, which is asked only for some data rules: air-gapped data rules out both.
    def chain(d: dict) -> None:  # type: ignore[type-arg]
        for q in d["questions"]:
            if q["id"] == "deprecation":
                q["ask_if"] = {"vendor_tuning": ["acceptable"]}

    flow = parse_flow(broken(chain), "chain.yaml")
    assert "deprecation" in still_open(flow, {"data_sensitivity": "regulated"})
    ruled_out = still_open(flow, {"data_sensitivity": "air_gapped"})
    assert "vendor_tuning" not in ruled_out and "deprecation" not in ruled_out
    assert _walk(flow, {"data_sensitivity": "air_gapped"}, {}) == set(ruled_out)


def test_a_skipped_question_is_not_open_nor_those_hanging_on_it(flow: Flow) -> None:
    # Skipping the volume leaves no range for a figure to sharpen, so the figure is not asked.
    open_ = still_open(flow, {"stage": "mvp"}, skipped=("volume",))
    assert "volume" not in open_ and "monthly_tokens" not in open_
    assert "monthly_tokens" in still_open(flow, {"stage": "mvp"})


def test_nothing_to_go_on(flow: Flow) -> None:
    for text in ("", "   ", "We want to do something with AI.", "1234 !!! €€€"):
        intake = extract(flow, text)
        assert intake.found == {}
        assert len(intake.open) == len(flow.questions)


def test_cues_are_validated_at_load() -> None:
    def edit(cues: object) -> object:
        def apply(d: dict) -> None:  # type: ignore[type-arg]
            d["questions"][0]["options"][0]["cues"] = cues

        return apply

    for bad in ("idea", [""], ["..."], ["idea ..."], [3]):
        problems = problems_of(broken(edit(bad)))
        assert problems, bad
        assert all(
            p.startswith("my-flow.yaml") and "question stage.option idea.cues" in p
            for p in problems
        ), problems


def test_every_option_but_the_ranges_has_cues(flow: Flow) -> None:
    # Volume ranges and budgets come from figures; every other option can be said in words.
    bare = [
        f"{q.id}.{o.id}"
        for q in flow.questions
        for o in q.options
        if not o.cues and q.id not in ("volume", "budget")
    ]
    assert bare == []
