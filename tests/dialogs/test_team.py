"""Team mode's core: consensus, disagreements and whether they matter (issue 14)."""

from __future__ import annotations

from dialogs.cost import CostAssumptions
from dialogs.flow_loader import load_flow
from dialogs.scoring import decide
from dialogs.team import Member, assess_team, consensus, disagreements
from tests.support.answers import FULL_ANSWERS

FLOW = load_flow()


def member(name: str, **changes: str) -> Member:
    return Member(name=name, answers={**FULL_ANSWERS, **changes})


def test_data_rules_take_the_strictest_answer() -> None:
    team = [
        member("ana", data_sensitivity="public"),
        member("bo", data_sensitivity="air_gapped"),
        member("cy", data_sensitivity="public"),
    ]
    agreed = consensus(FLOW, team)
    assert agreed.answers["data_sensitivity"] == "air_gapped"
    assert agreed.how["data_sensitivity"] == "strictest"


def test_readiness_takes_the_lower_median() -> None:
    team = [
        member("ana", evals="harness", gpus="none"),
        member("bo", evals="none", gpus="on_prem"),
        member("cy", evals="labelled_set", gpus="reserved"),
        member("di", evals="harness", gpus="on_prem"),
    ]
    agreed = consensus(FLOW, team)
    # evals ordered none < handful < labelled_set < harness: sorted none, labelled, harness,
    # harness; the lower median of four is the second.
    assert agreed.answers["evals"] == "labelled_set" and agreed.how["evals"] == "lower_median"
    assert agreed.answers["gpus"] == "reserved"


def test_others_take_the_majority_and_ties_go_to_the_cautious_side() -> None:
    team = [member("ana", stage="scale"), member("bo", stage="scale"), member("cy", stage="mvp")]
    assert consensus(FLOW, team).answers["stage"] == "scale"
    tied = [member("ana", stage="scale"), member("bo", stage="idea")]
    assert consensus(FLOW, tied).answers["stage"] == "idea"  # the cautious assumption
    # No cautious option among the tied: the one listed first in the flow.
    tied = [member("ana", breadth="many_tasks"), member("bo", breadth="single_task")]
    assert consensus(FLOW, tied).answers["breadth"] == "single_task"
    assert consensus(FLOW, tied).how["breadth"] == "majority"


def test_the_monthly_figure_is_the_median() -> None:
    team = [
        member("ana", monthly_tokens="1000000000"),
        member("bo", monthly_tokens="3000000000"),
        member("cy", monthly_tokens="9000000000"),
    ]
    assert consensus(FLOW, team).answers["monthly_tokens"] == "3000000000"


def test_disagreements_list_exactly_the_questions_chosen_differently() -> None:
    team = [
        member("ana", data_sensitivity="regulated", stage="live"),
        member("bo", data_sensitivity="air_gapped", stage="live"),
        member("cy", data_sensitivity="regulated", stage="scale"),
    ]
    agreed = consensus(FLOW, team)
    found = disagreements(FLOW, team, agreed)
    assert [d["question"] for d in found] == ["stage", "data_sensitivity"]
    data = found[1]
    assert data["answers"] == {"ana": "regulated", "bo": "air_gapped", "cy": "regulated"}
    # The consensus is air-gapped (strictest); going with "regulated" moves hosting.
    assert data["changes"] is not None and data["changes"]["answer"] == "regulated"
    other = decide(FLOW, {**agreed.answers, "data_sensitivity": "regulated"}, explain=False)
    assert data["changes"]["hosting"] == other.hosting.value
    stage = found[0]
    # live and scale give the same advice here: the disagreement does not matter.
    assert stage["changes"] is None


def test_a_team_assessment_has_the_usual_fields_on_the_consensus(
    costs: CostAssumptions,
) -> None:
    team = [member("ana"), member("bo", current_gap="reasoning_tools")]
    result = assess_team(FLOW, team, costs=costs)
    assert result["team"]["members"] == ["ana", "bo"]
    assert result["team"]["recommendation"] == result["recommendation"]
    assert [i["member"] for i in result["team"]["individual"]] == ["ana", "bo"]
    heads = {i["member"]: i["recommendation"]["depth"] for i in result["team"]["individual"]}
    assert heads == {"ana": "fine_tune", "bo": "rag"}  # bo: citations bring retrieval
    assert [d["question"] for d in result["team"]["disagreements"]] == ["current_gap"]
    assert result["answers"]["current_gap"] == "inconsistent_behavior"  # tie: listed first


def test_a_settled_answer_stands_in_for_the_consensus(costs: CostAssumptions) -> None:
    """The facilitator's pick replaces the consensus's answer (how: "settled"); the
    disagreement stays listed, now measured against the settled answers."""
    team = [member("a", data_sensitivity="public"), member("b"), member("c")]
    plain = assess_team(FLOW, team, costs=costs)
    assert plain["team"]["consensus"]["answers"]["data_sensitivity"] == "regulated"
    picked = assess_team(FLOW, team, costs=costs, settled={"data_sensitivity": "public"})
    agreed = picked["team"]["consensus"]
    assert agreed["answers"]["data_sensitivity"] == "public"
    assert agreed["how"]["data_sensitivity"] == "settled"
    assert [d["question"] for d in picked["team"]["disagreements"]] == ["data_sensitivity"]
    unknown = assess_team(FLOW, team, costs=costs, settled={"nope": "x", "stage": "nope"})
    assert unknown["team"]["consensus"] == plain["team"]["consensus"]
