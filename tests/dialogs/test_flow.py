"""The flow is data, validated at load with errors that name file, question and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogs.errors import FlowError
from dialogs.flow_loader import load_flow, parse_flow

PACKAGED = Path(__file__).resolve().parents[2] / "dialogs" / "flows" / "build_vs_buy.yaml"


def broken(edit: object) -> str:
    data = yaml.safe_load(PACKAGED.read_text())
    edit(data)  # type: ignore[operator]
    return yaml.safe_dump(data)


def problems_of(raw: str) -> list[str]:
    with pytest.raises(FlowError) as caught:
        parse_flow(raw, "my-flow.yaml")
    return [str(p) for p in caught.value.problems]


def test_packaged_flow_loads() -> None:
    flow = load_flow()
    assert flow.id == "llm-build-vs-buy" and flow.version >= 1
    assert len(flow.questions) == 24
    # The questions of the framework's rules version 2 come last, so a session or an answer
    # file from before them keeps its order.
    since = [q.since for q in flow.questions]
    assert since == sorted(since) and since.count(2) == 7
    # The intro's promise of how many questions there are at most holds.
    assert f"Up to {len(flow.questions)} short questions" in " ".join(flow.intro.split())


def test_unknown_option_in_ask_if_names_file_question_and_field() -> None:
    def edit(d: dict) -> None:  # type: ignore[type-arg]
        q = next(q for q in d["questions"] if q["id"] == "monthly_tokens")
        q["ask_if"] = {"volume": ["lots"]}

    assert problems_of(broken(edit)) == [
        "my-flow.yaml: question monthly_tokens.ask_if: question volume has no option 'lots'"
    ]


def test_many_problems_are_reported_together() -> None:
    def edit(d: dict) -> None:  # type: ignore[type-arg]
        stage = d["questions"][0]
        del stage["why"]
        stage["options"][1]["id"] = "idea"
        d["questions"][1]["factors"] = ["vibes"]
        d["scoring"]["readiness"]["value"] = {"huge": 3}
        del d["scoring"]["steps"]["rag_index"]
        d["scoring"]["red_flags"][0]["id"] = "wizards"
        del d["messages"]["expired"]

    found = problems_of(broken(edit))
    assert "my-flow.yaml: question stage.why: must be a non-empty text" in found
    assert "my-flow.yaml: question stage.options[1].id: 'idea' is used twice" in found
    assert "my-flow.yaml: question value.factors: 'vibes' is not a factor of the framework" in found
    assert "my-flow.yaml: scoring.readiness.value.huge: unknown option" in found
    assert "my-flow.yaml: scoring.steps.rag_index: must be a non-empty text" in found
    assert any(p.startswith("my-flow.yaml: scoring.red_flags[0].id: 'wizards'") for p in found)
    assert "my-flow.yaml: scoring.red_flags.pre_pmf: is missing" in found
    assert "my-flow.yaml: messages.expired: must be a non-empty text" in found


def test_missing_framework_question_is_named() -> None:
    def edit(d: dict) -> None:  # type: ignore[type-arg]
        d["questions"] = [q for q in d["questions"] if q["id"] != "gpus"]

    found = problems_of(broken(edit))
    assert any(p.startswith("my-flow.yaml: question gpus: is missing") for p in found)


def test_bad_yaml_and_missing_file() -> None:
    assert problems_of("questions: [")[0].startswith("my-flow.yaml: yaml:")
    with pytest.raises(FlowError) as caught:
        load_flow("/nonexistent/flow.yaml")
    assert caught.value.problems[0].file == "/nonexistent/flow.yaml"


def test_ask_if_may_only_look_back() -> None:
    def edit(d: dict) -> None:  # type: ignore[type-arg]
        d["questions"][0]["ask_if"] = {"budget": ["over_1m"]}

    assert (
        "my-flow.yaml: question stage.ask_if: depends on budget, which is asked later"
        in problems_of(broken(edit))
    )


def test_a_label_cut_at_an_unquoted_comma_is_refused_naming_the_field() -> None:
    """In a YAML flow mapping `{id: x, label: 100 to 10,000}` is the label "100 to 10" and a
    stray key: the loader refuses it (before, the chat showed "100 to 10" and `check` said
    "all sound")."""
    raw = PACKAGED.read_text().replace('label: "100 to 10,000",', "label: 100 to 10,000,")
    assert problems_of(raw) == [
        "my-flow.yaml: question examples.option 100_10k.0: is not a field here "
        "(quote a text that holds a comma)"
    ]


@pytest.mark.parametrize(
    ("where", "edit"),
    [
        ("flow.titel", lambda d: d.update(titel="x")),
        ("question stage.promt", lambda d: d["questions"][0].update(promt="x")),
        (
            "question stage.option idea.labell",
            lambda d: d["questions"][0]["options"][0].update(labell="x"),
        ),
        ("scoring.tresholds", lambda d: d["scoring"].update(tresholds={})),
        ("scoring.steps.rag_indx", lambda d: d["scoring"]["steps"].update(rag_indx="x")),
        ("scoring.red_flags[0].when", lambda d: d["scoring"]["red_flags"][0].update(when={})),
        ("messages.welcome_bak", lambda d: d["messages"].update(welcome_bak="x")),
    ],
)
def test_unknown_fields_are_refused_with_file_question_and_field(where: str, edit: object) -> None:
    assert problems_of(broken(edit)) == [f"my-flow.yaml: {where}: is not a field here"]


def test_every_label_the_chat_shows_is_the_whole_label_written() -> None:
    """Each option's label, as loaded, is the text between `label:` and the closing brace of
    its line in the file (quotes aside): nothing cut off at a comma or a colon."""
    written = [
        # An option with cues goes on after its label, on the next line.
        text.split("label:", 1)[1].rsplit("}", 1)[0].strip().removesuffix(",").strip('"')
        for text in (raw.strip() for raw in PACKAGED.read_text().splitlines())
        if text.startswith("- {id:") and "label:" in text
    ]
    shown = [o.label for q in load_flow().questions for o in q.options]
    assert written == shown
    assert {"At scale, growing usage", "100 to 10,000", "More than 10,000"} <= set(shown)
