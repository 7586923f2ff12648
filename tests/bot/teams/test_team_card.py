"""The Teams team card at its largest (issue 14): a team of 100 members with long names and 20
questions in disagreement stays a valid Adaptive Card 1.5 within Teams' size limit, before and
after the reveal, folding what does not fit; names and titles are shown as typed, in TextRuns."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.app import create_advisor
from bot.settings import Settings
from bot.teams.team_card import card_size, team_card
from bot.teams.team_desk import namer
from bot.teams.team_roster import Entry
from dialogs.advisor import Advisor
from dialogs.stores.memory import MemoryStore
from dialogs.team import assess_team
from dialogs.team_session import Role, Seat, Team
from tests.support.answers import FULL_ANSWERS
from tests.support.payloads import walk
from tests.support.schemas import validate_adaptive_card
from tests.support.teams_connector import CARD_BUDGET_BYTES

MEMBERS = 100
DISAGREEMENTS = 20


@pytest.fixture
def advisor() -> Advisor:
    return create_advisor(Settings(), store=MemoryStore())


def big_team(advisor: Advisor, *, finished: bool, anonymous: bool = False) -> Team:
    choice = [q for q in advisor.flow.questions if q.input == "choice" and len(q.options) > 1]
    differ = choice[:DISAGREEMENTS]
    assert len(differ) == DISAGREEMENTS
    seats = []
    for i in range(MEMBERS):
        answers = dict(FULL_ANSWERS)
        for q in differ:
            answers[q.id] = q.options[i % len(q.options)].id
        seats.append(Seat(user=f"user-{i}", role=Role.MEMBER, finished=finished, answers=answers))
    seats += [Seat(user=f"watcher-{i}", role=Role.OBSERVER) for i in range(10)]
    title = "A very long title [with](https://example.com) markdown and {{DATE()}} " * 2
    return Team(
        title=title[:140],
        facilitator="user-0",
        anonymous=anonymous,
        seats=tuple(seats),
        revealed=finished,
        settled={differ[0].id: differ[0].options[0].id},
    )


def people() -> dict[str, Entry]:
    long = "Bartholomew-Alexandrina von Hohenzollern-Sigmaringen "
    return {
        **{f"user-{i}": Entry(id=f"29:{i}", name=f"{long}{i}") for i in range(1, MEMBERS)},
        "user-0": Entry(id="29:0", name="Fay the facilitator"),
        **{f"watcher-{i}": Entry(id=f"29:w{i}", name=f"Watcher {i}") for i in range(10)},
    }


def render(
    advisor: Advisor, team: Team, *, disagreements: int | None = DISAGREEMENTS
) -> dict[str, Any]:
    names = namer(people())
    result = None
    if team.revealed:
        members = team.scored(mention=names)
        result = assess_team(
            advisor.flow, members, costs=advisor.engine.costs, settled=team.settled
        )
        if disagreements is not None:
            assert len(result["team"]["disagreements"]) == disagreements
    return team_card(team, flow=advisor.flow, result=result, mention=names)


def texts(card: dict[str, Any]) -> str:
    return "\n".join(n["text"] for n in walk(card) if n.get("type") == "TextRun")


@pytest.mark.parametrize("anonymous", [False, True])
def test_the_revealed_card_of_100_members_and_20_disagreements_fits(
    advisor: Advisor, anonymous: bool
) -> None:
    card = render(advisor, big_team(advisor, finished=True, anonymous=anonymous))
    assert validate_adaptive_card(card) == []
    assert card["version"] == "1.5"
    # The card within the stand-in's budget, and the whole activity well under 28 KB.
    assert card_size(card) <= CARD_BUDGET_BYTES
    shown = texts(card)
    assert "Where you disagree (20)" in shown
    assert shown.index("Where you disagree") < shown.index("The team's advice")
    assert "Each member's own advice" in shown
    if anonymous:
        assert "Bartholomew" not in json.dumps(card)  # no member's name
    # Untrusted text only in TextRuns (never markdown-rendered TextBlocks).
    blocks = [n["text"] for n in walk(card) if n.get("type") == "TextBlock"]
    assert not any("example.com" in t or "DATE" in t for t in blocks)


def test_the_progress_card_of_100_members_fits_and_names_no_answers(advisor: Advisor) -> None:
    card = render(advisor, big_team(advisor, finished=False))
    assert validate_adaptive_card(card) == []
    assert card_size(card) <= CARD_BUDGET_BYTES
    shown = texts(card)
    assert "Still answering (100)" in shown and "and 60 more" in shown
    assert "Watching (10)" in shown
    assert "Where you disagree" not in shown


def test_an_anonymous_team_shows_members_by_number(advisor: Advisor) -> None:
    team = big_team(advisor, finished=True, anonymous=True)
    small = Team(
        title="Small",
        facilitator="user-0",
        anonymous=True,
        seats=team.seats[:3],
        revealed=True,
    )
    shown = texts(render(advisor, small, disagreements=None))
    assert "Member 1" in shown and "Member 3" in shown
    assert "Bartholomew" not in shown and "Fay" in shown  # only the facilitator is named
