"""The team assessment in Markdown (`assess --team --format markdown`): disagreements first."""

from __future__ import annotations

from bot.render import Renderer, create_environment
from dialogs.cost import CostAssumptions
from dialogs.flow_loader import load_flow
from dialogs.team import Member, assess_team
from tests.support.answers import FULL_ANSWERS

FLOW = load_flow()


def member(name: str, **changes: str) -> Member:
    return Member(name=name, answers={**FULL_ANSWERS, **changes})


def test_the_markdown_opens_with_the_disagreements(costs: CostAssumptions) -> None:
    team = [
        member("ana", data_sensitivity="regulated"),
        member("bo", data_sensitivity="air_gapped"),
        member("cy", data_sensitivity="regulated"),
    ]
    result = assess_team(FLOW, team, costs=costs)
    text = Renderer(env=create_environment(), flow=FLOW, folder="markdown").render(
        "team.md.j2", a=result
    )
    lines = text.splitlines()
    assert lines[0] == "# Team assessment (3 members)" and lines[2] == "## Disagreements"
    first = text.index("## Disagreements")
    assert (
        first
        < text.index("## Each member's own advice")
        < text.index(result["recommendation"]["headline"])
    )
    assert (
        'ana, cy: "Regulated (health, finance, personal data)"; bo: "Must stay on isolated' in text
    )
    assert 'Going with "Regulated (health, finance, personal data)" would change the advice' in text
