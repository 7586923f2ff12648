"""The team card within Block Kit's limits (issue 14): the largest team (100 members, every
question in disagreement) and the small ones, before and after the reveal, named and anonymous."""

from __future__ import annotations

import json
import random

import pytest

from bot.slack.team_render import mention, team_card
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow
from dialogs.team import assess_team
from dialogs.team_session import Role, Team, finish, join
from tests.support.answers import FULL_ANSWERS
from tests.support.block_kit import MAX_MESSAGE_BLOCKS, check_blocks


def _objects(node: object) -> list[dict[str, object]]:
    if isinstance(node, list):
        return [o for n in node for o in _objects(n)]
    if isinstance(node, dict):
        return [node, *(o for v in node.values() for o in _objects(v))]
    return []


def big_team(flow: Flow, *, members: int, anonymous: bool, seed: int = 7) -> Team:
    """`members` people, each answering every buttoned question at random (so nearly every
    question is in disagreement), and a few observers."""
    rng = random.Random(seed)
    team = Team(title="A" * 140, facilitator="UFACILITATOR", anonymous=anonymous)
    users = [f"U{i:08d}LONGNAME" for i in range(members)]
    for user in users:
        team = join(team, user, Role.MEMBER)
    for i in range(3):
        team = join(team, f"UOBSERVER{i}", Role.OBSERVER)
    for user in users:
        answers = dict(FULL_ANSWERS)
        for question in flow.questions:
            if question.options:
                answers[question.id] = rng.choice(question.options).id
        team = finish(team, user, answers)
    return team


@pytest.mark.parametrize("anonymous", [False, True])
@pytest.mark.parametrize("members", [2, 3, 25, 100])
def test_the_revealed_card_fits(
    flow: Flow, costs: CostAssumptions, members: int, anonymous: bool
) -> None:
    team = big_team(flow, members=members, anonymous=anonymous)
    assert team.revealed
    result = assess_team(flow, team.scored(mention=mention), costs=costs)
    if members >= 25:
        assert len(result["team"]["disagreements"]) >= 20
    card = team_card(team, flow=flow, result=result)
    assert check_blocks(card["blocks"], where="team card", max_blocks=MAX_MESSAGE_BLOCKS) == []
    text = json.dumps(card["blocks"])
    assert "Where you disagree" in text and "The team's advice" in text
    assert text.index("Where you disagree") < text.index("The team's advice")
    if anonymous:
        assert "LONGNAME" not in text


@pytest.mark.parametrize("members", [1, 100])
def test_the_progress_card_fits_and_shows_no_answers(flow: Flow, members: int) -> None:
    team = Team(title="Pricing <!channel> & bot", facilitator="UFACILITATOR")
    for i in range(members):
        team = join(team, f"U{i:08d}LONGNAME", Role.MEMBER)
    team = finish(team, "U00000000LONGNAME", dict(FULL_ANSWERS)) if members > 1 else team
    card = team_card(team, flow=flow, result=None)
    assert check_blocks(card["blocks"], where="team card", max_blocks=MAX_MESSAGE_BLOCKS) == []
    text = json.dumps(card)
    assert "&lt;!channel&gt;" in card["text"]
    mrkdwn = [o["text"] for o in _objects(card["blocks"]) if o.get("type") == "mrkdwn"]
    assert not any("<!" in t for t in mrkdwn)  # the title reaches mrkdwn only escaped
    assert "regulated" not in text.lower()


def test_anonymous_members_are_numbered_everywhere(flow: Flow, costs: CostAssumptions) -> None:
    team = Team(title="Support", facilitator="UFAC", anonymous=True)
    for user, sensitivity in (("UANA", "public"), ("UBEN", "regulated"), ("UFAC", "public")):
        team = join(team, user, Role.MEMBER)
        team = finish(team, user, {**FULL_ANSWERS, "data_sensitivity": sensitivity})
    result = assess_team(flow, team.scored(mention=mention), costs=costs)
    text = json.dumps(team_card(team, flow=flow, result=result)["blocks"])
    assert "Member 1" in text and "Member 3" in text
    assert "UANA" not in text and "UBEN" not in text
    assert "<@UFAC>" in text  # the facilitator is named as such (not beside any answer)
