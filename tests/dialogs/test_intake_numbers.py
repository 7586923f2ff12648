"""Figures in a description (issue 16): tokens a month and budgets as people write them."""

from __future__ import annotations

import pytest

from dialogs.flow import Flow
from dialogs.intake import extract
from dialogs.intake_numbers import number_value


@pytest.mark.parametrize(
    ("text", "tokens", "volume"),
    [
        ("about 1.5 Mrd tokens a month", 1_500_000_000, "500m_10b"),
        ("300 000 tokens per month", 300_000, "under_10m"),
        ("we are at 2,5M tokens a month", 2_500_000, "under_10m"),
        ("2,000,000,000 tokens per month", 2_000_000_000, "500m_10b"),
        ("1.000.000 tokens per month", 1_000_000, "under_10m"),
        ("roughly 10M tokens per day", 300_000_000, "10m_500m"),
        ("60 billion tokens a year", 5_000_000_000, "500m_10b"),
        ("800M tokens/month", 800_000_000, "500m_10b"),
        ("about 15 Mio. tokens per month", 15_000_000, "10m_500m"),
        ("25 bn tokens a month", 25_000_000_000, "over_10b"),
        ("per month we expect 40 million tokens", 40_000_000, "10m_500m"),
        # Other languages' number formats and period words, and typos common in chat.
        ("1,5 Mrd. Token pro Monat", 1_500_000_000, "500m_10b"),
        ("300 Mio. tokens a month", 300_000_000, "10m_500m"),
        ("2.000.000 tokens a month", 2_000_000, "under_10m"),
        ("1 000 000 tokens per month", 1_000_000, "under_10m"),
        ("3 milliards de tokens par mois", 3_000_000_000, "500m_10b"),
        ("ongeveer 450 miljoen tokens per maand", 450_000_000, "10m_500m"),
        ("unos 50 millones de tokens al mes", 50_000_000, "10m_500m"),
        ("1'000'000 tokens a day", 30_000_000, "10m_500m"),
        ("prob around 2M tokns montly", 2_000_000, "under_10m"),
        ("20M tokens / month", 20_000_000, "10m_500m"),
        ("monatlich etwa 40 Mio. Tokens", 40_000_000, "10m_500m"),
    ],
)
def test_tokens_a_month_in_common_forms(flow: Flow, text: str, tokens: int, volume: str) -> None:
    answers = extract(flow, text).answers()
    assert answers["monthly_tokens"] == str(tokens)
    assert answers["volume"] == volume


def test_a_bound_picks_the_range_but_is_no_figure(flow: Flow) -> None:
    intake = extract(flow, "Over 10 billion tokens a month expected.")
    assert intake.answers() == {"volume": "over_10b"}
    assert "monthly_tokens" in intake.open


def test_tokens_without_a_period_are_not_a_monthly_figure(flow: Flow) -> None:
    assert "volume" not in extract(flow, "We have about 1 billion tokens of documents.").found


@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("budget around $50k", "10k_100k"),
        ("Budget: 200.000 €", "100k_1m"),
        ("budget of 2M dollars", "over_1m"),
        ("Our budget is 80 k€", "10k_100k"),
        ("budget under $10k for now", "under_10k"),
        ("we can spend up to 100k USD", "10k_100k"),
        ("Budget: 1,2 M€", "over_1m"),
        ("Budget €50.000", "10k_100k"),
        ("Budget: 50 000 € für das erste Jahr", "10k_100k"),
        ("Budget rund 1,5 Mio. €", "over_1m"),
        ("un budget de 3 millions d'euros", "over_1m"),
        ("Budget: 2.000.000 €", "over_1m"),
    ],
)
def test_budget_in_dollars_or_euros(flow: Flow, text: str, budget: str) -> None:
    assert extract(flow, text).answers().get("budget") == budget


@pytest.mark.parametrize(
    ("text", "budget", "evidence"),
    [
        ("budget around 50k", "10k_100k", "budget around 50k"),
        ("Budget 80k. We are four full-stack engineers.", "10k_100k", "Budget 80k"),
        ("we could spend about 15k on this", "10k_100k", "could spend about 15k"),
        ("the budget is 2M for the first year", "over_1m", "budget is 2M"),
        ("budget maybe 5k, no gpus", "under_10k", "budget maybe 5k"),
        ("Budget: 2.000.000", "over_1m", "Budget: 2.000.000"),
        ("our budget: 1,5 Mio. für das Projekt", "over_1m", "budget: 1,5 Mio."),
    ],
)
def test_a_budget_without_a_currency_is_in_the_flows(
    flow: Flow, text: str, budget: str, evidence: str
) -> None:
    # The budget ranges are in dollars; an amount with no currency beside a budget word is
    # read in them (as euros are: a range spans ten times its start).
    intake = extract(flow, text)
    assert intake.answers().get("budget") == budget
    assert intake.found["budget"].evidence == evidence


@pytest.mark.parametrize(
    "text",
    [
        "budget for 2026 is tight",  # a year, not an amount
        "the budget covers 50k users",  # a count of something else
        "budget for 50k users",
        "a token budget of 50k per request",  # a budget of tokens, not of money
        "we spend 30k a month on the API",  # spending, not a budget
        "presupuesto de 50 mil euros",  # "mil": a thousand in Spanish, a million in chat
        "budget 300",  # no scale: too bare to be money
    ],
)
def test_amounts_that_are_no_budget(flow: Flow, text: str) -> None:
    assert "budget" not in extract(flow, text).found


def test_tokens_are_never_a_budget_nor_a_budget_tokens(flow: Flow) -> None:
    tokens = extract(flow, "Our budget is 50k tokens a month.").answers()
    assert tokens == {"volume": "under_10m", "monthly_tokens": "50000"}
    both = extract(flow, "Budget around 50k, and about 2M tokens a month.").answers()
    assert both["budget"] == "10k_100k" and both["monthly_tokens"] == "2000000"
    # An amount of money is no figure of tokens, whatever follows it.
    assert "monthly_tokens" not in extract(flow, "we pay $50k tokens a month").found


def test_money_that_is_not_a_budget_is_left_alone(flow: Flow) -> None:
    intake = extract(flow, "We spend $3k a month on the API and revenue is $2M.")
    assert "budget" not in intake.found and "budget" in intake.open


@pytest.mark.parametrize(
    ("raw", "scale", "value"),
    [("2,5", "M", 2_500_000), ("300 000", None, 300_000), ("1.5", "Mrd", 1_500_000_000)],
)
def test_number_value(raw: str, scale: str | None, value: int) -> None:
    assert number_value(raw, scale) == value


@pytest.mark.parametrize(
    "text",
    [
        "Each user sends about 2k tokens a day.",
        "about 500 tokens per user per month",
        "2M tokens a month per customer",
        "We tag 1M images, about 200 tokens per tag",
    ],
)
def test_a_figure_for_one_user_or_request_is_no_monthly_total(flow: Flow, text: str) -> None:
    found = extract(flow, text).found
    assert "volume" not in found and "monthly_tokens" not in found


def test_users_beside_a_total_leave_it_alone(flow: Flow) -> None:
    for text in (
        "We have 40k users; about 300M tokens a month.",
        "roughly 300M tokens per month across all users",
    ):
        assert extract(flow, text).answers()["monthly_tokens"] == "300000000", text
