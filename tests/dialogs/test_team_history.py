"""A channel's team history as lines (dialogs.team_history), as both adapters show it: an
expired team, one still answering, and revealed ones with their advice compared with the
revealed one before."""

from __future__ import annotations

from dialogs.team_history import Row, history_lines
from dialogs.team_session import Role, Team, close, finish, join

NAMES = {
    "depth": {"api": "Use an API", "tune": "Fine-tune"},
    "hosting": {"vendor": "vendor-hosted", "self": "self-hosted"},
}


def advice(depth: str, hosting: str) -> dict[str, dict[str, str]]:
    return {"recommendation": {"depth": depth, "hosting": hosting}}


def test_lines_newest_first_with_state_result_and_change() -> None:
    team = join(join(Team(title="T", facilitator="UF"), "UF", Role.MEMBER), "UA", Role.MEMBER)
    answering = finish(team, "UF", {"stage": "live"})
    rows = [
        Row(title="Newest", team=team, result=advice("tune", "self"), facilitator="Fay"),
        Row(title="Closed", team=close(answering), result=None, facilitator="Fay"),
        Row(title="Same", team=team, result=advice("api", "vendor"), facilitator="Ben"),
        Row(title="Oldest", team=team, result=advice("api", "vendor"), facilitator="Ben"),
        Row(title="Gone", team=None, result=None),
    ]
    assert history_lines(rows, NAMES) == [
        ("Newest", " (Fay): Fine-tune, self-hosted; changed from Use an API, vendor-hosted"),
        ("Closed", " (Fay): closed, 1 of 2 finished"),
        ("Same", " (Ben): Use an API, vendor-hosted; the same advice as the one before"),
        ("Oldest", " (Ben): Use an API, vendor-hosted"),
        ("Gone", ": expired"),
    ]
