"""The team document's pure changes (dialogs/team_session.py): seats, finishing and the reveal
rule, settling, closing, anonymous names, and the document round trip."""

from __future__ import annotations

import pytest

from dialogs.team_session import (
    Role,
    Team,
    close,
    finish,
    join,
    reminded,
    reveal,
    settle,
)


def team_of(*members: str, observers: tuple[str, ...] = (), anonymous: bool = False) -> Team:
    team = Team(title="T", facilitator=members[0] if members else "UF", anonymous=anonymous)
    for user in members:
        team = join(team, user, Role.MEMBER)
    for user in observers:
        team = join(team, user, Role.OBSERVER)
    return team


def test_joining_twice_changes_nothing_and_a_role_can_change_until_finished() -> None:
    team = team_of("UA", "UB")
    assert join(team, "UA", Role.MEMBER) is team
    watching = join(team, "UA", Role.OBSERVER)
    assert [s.user for s in watching.members] == ["UB"] and watching.observers[0].user == "UA"
    done = finish(team, "UA", {"stage": "live"})
    assert join(done, "UA", Role.OBSERVER) is done  # a member who finished stays one


def test_the_answers_show_once_every_member_of_at_least_two_has_finished() -> None:
    alone = finish(team_of("UA"), "UA", {"stage": "live"})
    assert not alone.revealed  # one quick member reveals nothing
    team = team_of("UA", "UB", observers=("UO",))
    team = finish(team, "UA", {"stage": "live"})
    assert not team.revealed and [s.user for s in team.answering] == ["UB"]
    team = finish(team, "UB", {"stage": "idea"})
    assert team.revealed  # observers are not waited for


def test_observers_and_strangers_cannot_finish() -> None:
    team = team_of("UA", "UB", observers=("UO",))
    assert finish(team, "UO", {"stage": "live"}) is team
    assert finish(team, "UX", {"stage": "live"}) is team


def test_an_edit_after_finishing_replaces_the_answers() -> None:
    team = finish(team_of("UA", "UB"), "UA", {"stage": "live"})
    again = finish(team, "UA", {"stage": "live"})
    assert again is team
    edited = finish(team, "UA", {"stage": "idea"})
    seat = edited.seat("UA")
    assert seat is not None and dict(seat.answers or {}) == {"stage": "idea"}


def test_reveal_settle_close_and_reminders() -> None:
    team = finish(team_of("UA", "UB"), "UA", {"stage": "live"})
    shown = reveal(team)
    assert shown.revealed and reveal(shown) is shown
    settled = settle(shown, "stage", "idea")
    assert settled.settled == {"stage": "idea"} and settle(settled, "stage", "idea") is settled
    closed = close(team)
    assert closed.closed and closed.revealed  # what was finished is shown
    assert join(closed, "UC", Role.MEMBER) is closed
    assert finish(closed, "UB", {"stage": "live"}) is closed
    poked = reminded(team, ("UB",), 1000.0)
    assert [s.reminded_at for s in poked.seats] == [0.0, 1000.0]


@pytest.mark.parametrize("anonymous", [False, True])
def test_names_and_the_document_round_trip(anonymous: bool) -> None:
    team = team_of("UA", "UB", observers=("UO",), anonymous=anonymous)
    team = finish(finish(team, "UA", {"stage": "live"}), "UB", {"stage": "idea"})
    names = [m.name for m in team.scored(mention=lambda u: f"<@{u}>")]
    assert names == (["Member 1", "Member 2"] if anonymous else ["<@UA>", "<@UB>"])
    assert Team.from_document(team.to_document()) == team


def test_a_malformed_document_is_refused_plainly() -> None:
    with pytest.raises(ValueError, match="team"):
        Team.from_document({"schema": 1, "kind": "team"})
    with pytest.raises(ValueError, match="team"):
        Team.from_document({"schema": 1, "kind": "session"})
