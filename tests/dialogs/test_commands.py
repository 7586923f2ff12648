"""Reading typed text: commands, options and token counts."""

from __future__ import annotations

import pytest

from dialogs.commands import match_option, parse_command, parse_tokens
from dialogs.flow import Flow


@pytest.mark.parametrize(
    ("text", "name", "arg"),
    [
        ("help", "help", ""),
        ("/HELP", "help", ""),
        ("?", "help", ""),
        ("quit", "cancel", ""),
        ("edit budget", "edit", "budget"),
        ("Edit  Team skills", "edit", "team skills"),
        ("back.", "back", ""),
    ],
)
def test_commands(text: str, name: str, arg: str) -> None:
    call = parse_command(text)
    assert call is not None and (call.name, call.arg) == (name, arg)


@pytest.mark.parametrize("text", ["helpful", "skip it please", "live", ""])
def test_not_commands(text: str) -> None:
    assert parse_command(text) is None


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("350M", 350_000_000),
        ("2B", 2_000_000_000),
        ("1.5e9", 1_500_000_000),
        ("2,000,000", 2_000_000),
        ("3 billion tokens a month", 3_000_000_000),
        ("750k", 750_000),
        ("42", 42),
        ("1.2 bn", 1_200_000_000),
    ],
)
def test_token_forms(text: str, tokens: int) -> None:
    assert parse_tokens(text) == tokens


@pytest.mark.parametrize("text", ["lots", "-5", "0", "1e99", "nan", "inf", "2B2", ""])
def test_token_junk(text: str) -> None:
    assert parse_tokens(text) is None


def test_option_matching(flow: Flow) -> None:
    team = flow.question("team")
    assert team is not None
    assert match_option(team, "ML engineers").option == "ml_eng"  # exact label beats prefix
    assert match_option(team, "ml engineers with").option == "mlops"
    assert match_option(team, "5").option == "research"
    assert match_option(team, "research").option == "research"
    ambiguous = match_option(team, "ml")
    assert ambiguous.option is None and set(ambiguous.candidates) == {"ml_eng", "mlops", "research"}
    assert match_option(team, "0").option is None
