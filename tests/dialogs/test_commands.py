"""Reading typed text: commands, options and token counts."""

from __future__ import annotations

import math

import pytest

from dialogs.commands import parse_command, parse_figure, parse_tokens
from dialogs.flow import Flow
from dialogs.matching import Match, match_option, option_range


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


@pytest.mark.parametrize(
    ("text", "value", "qualifier"),
    [
        ("5000000", 5_000_000, ""),
        ("$50k", 50_000, ""),
        ("50 k dollars", 50_000, ""),
        ("over 10b", 10_000_000_000, "over"),
        ("more than 1,000,000 tokens a month", 1_000_000, "over"),
        ("under 10m", 10_000_000, "under"),
    ],
)
def test_figures_with_bounds_and_currency(text: str, value: int, qualifier: str) -> None:
    figure = parse_figure(text)
    assert figure is not None and (figure.value, figure.qualifier) == (value, qualifier)


@pytest.mark.parametrize("text", ["lots", "overt 5", "over", "$", "ten"])
def test_not_figures(text: str) -> None:
    assert parse_figure(text) is None


@pytest.mark.parametrize(
    ("option_id", "bounds"),
    [
        ("under_10m", (0, 10**7)),
        ("10m_500m", (10**7, 5 * 10**8)),
        ("over_10b", (10**10, math.inf)),
        ("100_10k", (100, 10**4)),
        ("unknown", None),
        ("core_feature", None),
        ("500m_10m", None),
    ],
)
def test_option_ids_name_their_range(option_id: str, bounds: tuple[float, float] | None) -> None:
    assert option_range(option_id) == bounds


@pytest.mark.parametrize(
    ("question", "text", "option"),
    [
        ("volume", "5000000", "under_10m"),
        ("volume", "5M", "under_10m"),
        ("volume", "2B", "500m_10b"),
        ("volume", "1.5e9", "500m_10b"),
        ("volume", "over 10b", "over_10b"),
        ("volume", "more than 500m", "500m_10b"),
        ("volume", "50k", "under_10m"),
        ("budget", "50k", "10k_100k"),
        ("budget", "$2M", "over_1m"),
        ("domain_corpus", "over 10b", "1b_100b"),
        ("examples", "50", "under_100"),
    ],
)
def test_a_figure_picks_the_range_it_falls_in(
    flow: Flow, question: str, text: str, option: str
) -> None:
    q = flow.question(question)
    assert q is not None
    assert match_option(q, text).option == option


def test_the_start_of_a_name_beats_a_figure_pointing_elsewhere(flow: Flow) -> None:
    volume = flow.question("volume")
    assert volume is not None
    # As 500 tokens it would be "Under 10 million"; it is how "500 million to..." starts.
    assert match_option(volume, "500") == Match(option="500m_10b")
    assert match_option(volume, "3").option == "500m_10b"  # option numbers first


@pytest.mark.parametrize(
    ("question", "text", "option", "loose"),
    [
        ("data_sensitivity", "air-gapped", "air_gapped", False),
        ("data_sensitivity", "Air Gapped", "air_gapped", False),
        ("data_sensitivity", "airgapped", "air_gapped", True),
        ("evals", "labeled test set", "labelled_set", True),
        ("evals", "labeled", "labelled_set", False),
        ("team", "app dev", "app_devs", False),  # the start of the id, app_devs
        ("team", "applic dev", "app_devs", True),
        ("team", "ml engineer with", "mlops", True),
        ("gpus", "own gpu", "on_prem", True),
        ("data_sensitivity", "isolated machines", "air_gapped", True),
        ("team", "ml res", "research", False),
        ("value", "a core prodcut feature", "core_feature", True),
        ("value", "core feture", "core_feature", True),
        ("current_gap", "inconsistent behavior", "inconsistent_behavior", False),
        ("current_gap", "too costly", "cost_latency", True),
        ("latency", "real-time", "realtime_edge", False),
        ("ownership", "switch", "portability", True),
    ],
)
def test_names_match_across_case_hyphens_spelling_and_typos(
    flow: Flow, question: str, text: str, option: str, loose: bool
) -> None:
    q = flow.question(question)
    assert q is not None
    match = match_option(q, text)
    assert (match.option, match.loose) == (option, loose)


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("stage", "banana"),
        ("stage", "life"),  # one letter from "live", but too short to guess at
        ("evals", "nope"),
        ("team", "engineers"),  # two options
        ("team", "ml engineer"),  # "ML engineers", or "ML engineers with MLOps"
        ("current_gap", "optimise everything"),
        ("budget", "lots of money"),
    ],
)
def test_far_or_ambiguous_guesses_are_refused(flow: Flow, question: str, text: str) -> None:
    q = flow.question(question)
    assert q is not None
    assert match_option(q, text).option is None
