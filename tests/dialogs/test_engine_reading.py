"""Transcripts through the pure step function: how typed answers are read (figures, ranges, names,
numbers and junk)."""

from __future__ import annotations

import pytest

from dialogs.replies import Answered, Ask, Summary
from dialogs.turn import Click
from tests.dialogs.transcript_helpers import answer_all, notice_texts
from tests.support.answers import FULL_ANSWERS
from tests.support.conversation import Conversation, codes


@pytest.mark.parametrize(
    ("typed", "tokens", "option", "label"),
    [
        ("5000000", 5_000_000, "under_10m", "Under 10 million"),
        ("5M", 5_000_000, "under_10m", "Under 10 million"),
        ("50k", 50_000, "under_10m", "Under 10 million"),
        ("2B", 2_000_000_000, "500m_10b", "500 million to 10 billion"),
        ("1.5e9", 1_500_000_000, "500m_10b", "500 million to 10 billion"),
        ("10m", 10_000_000, "10m_500m", "10 to 500 million"),
    ],
)
def test_a_figure_at_the_volume_question_picks_its_range_and_is_kept(
    chat: Conversation, typed: str, tokens: int, option: str, label: str
) -> None:
    chat.reach("volume")
    replies = chat.say(typed)
    assert codes(replies) == ["tokens_taken", "answered", "ask"]
    assert notice_texts(replies) == [
        f'{tokens:,} tokens a month: that is "{label}". The cost comparison will use your figure.'
    ]
    assert chat.session is not None
    assert chat.session.answers["volume"] == option
    assert chat.session.answers["monthly_tokens"] == str(tokens)
    # The figure answered the follow-up question, so it is not asked.
    assert isinstance(replies[-1], Ask) and replies[-1].question == "breadth"


def test_a_bound_at_the_volume_question_picks_a_range_and_asks_for_the_figure(
    chat: Conversation,
) -> None:
    chat.reach("volume")
    replies = chat.say("more than 500m")
    assert codes(replies) == ["figure_taken", "answered", "ask"]
    assert notice_texts(replies) == ['Over 500,000,000: that is "500 million to 10 billion".']
    assert isinstance(replies[-1], Ask) and replies[-1].question == "monthly_tokens"
    assert codes(chat.say("over 10b"))[0] == "invalid_number"  # a range, not a figure
    assert chat.session is not None and "monthly_tokens" not in chat.session.answers


def test_a_figure_that_disagrees_with_the_range_wins_and_says_so(chat: Conversation) -> None:
    chat.reach("volume")
    chat.say("Over 10 billion")
    assert chat.last_ask().question == "monthly_tokens"
    replies = chat.say("5B")
    assert codes(replies) == ["tokens_adjusted", "answered", "ask"]
    assert notice_texts(replies) == [
        '5,000,000,000 tokens a month is "500 million to 10 billion", not "Over 10 billion" as'
        " answered before. Your figure is kept, and Monthly volume now says"
        ' "500 million to 10 billion".'
    ]
    assert chat.session is not None
    assert chat.session.answers["volume"] == "500m_10b"
    assert chat.session.answers["monthly_tokens"] == "5000000000"


def test_a_figure_within_the_range_is_taken_without_comment(chat: Conversation) -> None:
    chat.reach("monthly_tokens")
    assert codes(chat.say("5B")) == ["answered", "ask"]
    assert chat.session is not None and chat.session.answers["volume"] == "500m_10b"


def test_editing_the_volume_with_a_figure_replaces_the_old_figure(chat: Conversation) -> None:
    answer_all(chat)
    chat.say("edit volume")
    replies = chat.say("5M")
    assert codes(replies) == ["tokens_taken", "answered", "summary"]
    summary = replies[-1]
    assert isinstance(summary, Summary) and summary.updated
    assert summary.assessment["cost"]["monthly_tokens"] == 5_000_000
    assert chat.session is not None and chat.session.answers["volume"] == "under_10m"


def test_a_range_that_contradicts_the_earlier_figure_asks_for_it_again(
    chat: Conversation,
) -> None:
    answer_all(chat)  # 500 million to 10 billion, and 2B
    chat.say("edit volume")
    ask = chat.last_ask()
    replies = chat.turn(click=Click(question="volume", option="over_10b", stamp=ask.stamp))
    assert codes(replies) == ["answered", "figure_cleared", "ask"]
    assert notice_texts(replies) == [
        'Your earlier figure of 2,000,000,000 tokens a month is not "Over 10 billion", so it has'
        " been cleared. Type a new figure, or skip."
    ]
    assert isinstance(replies[-1], Ask) and replies[-1].question == "monthly_tokens"
    assert chat.session is not None and "monthly_tokens" not in chat.session.answers
    summary = chat.say("20B")[-1]
    assert isinstance(summary, Summary) and summary.assessment["cost"]["monthly_tokens"] == 2e10
    # A range that holds the figure keeps it.
    chat.say("edit volume")
    assert codes(chat.say("over 10b")) == ["answered", "summary"]


@pytest.mark.parametrize(
    ("question", "typed", "option", "said"),
    [
        ("data_sensitivity", "air-gapped", "air_gapped", None),
        ("evals", "labeled test set", "labelled_set", 'Taking that as "A labelled test set".'),
        ("team", "app dev", "app_devs", None),
        ("team", "applic devel", "app_devs", 'Taking that as "Application developers".'),
        (
            "value",
            "a core prodcut feature",
            "core_feature",
            'Taking that as "A core product feature".',
        ),
        ("budget", "50k", "10k_100k", '50,000: that is "$10k to $100k, one to three months".'),
        ("volume", "over 10b", "over_10b", None),
    ],
)
def test_names_are_read_generously_and_a_guess_is_said(
    chat: Conversation, question: str, typed: str, option: str, said: str | None
) -> None:
    chat.reach(question)
    replies = chat.say(typed)
    answered = next(r for r in replies if isinstance(r, Answered))
    assert answered.question == question and answered.option == option
    assert notice_texts(replies) == ([said] if said else [])


@pytest.mark.parametrize(
    ("question", "typed"),
    [("stage", "banana"), ("stage", "life"), ("team", "engineers"), ("evals", "nope")],
)
def test_far_or_ambiguous_names_are_never_taken(
    chat: Conversation, question: str, typed: str
) -> None:
    chat.reach(question)
    replies = chat.say(typed)
    assert codes(replies)[0] in ("invalid_choice", "choice_ambiguous")
    assert chat.session is not None and question not in chat.session.answers


def test_out_of_range_number_and_empty_and_huge_input(chat: Conversation) -> None:
    chat.say(None)
    assert codes(chat.say("9"))[0] == "invalid_choice"
    assert codes(chat.say("   "))[0] == "empty_input"
    assert codes(chat.say("x" * 10_000))[0] == "too_long"
    odd = chat.say('"; DROP \\ \u202e <!channel> 🙂 \u05e9\u05dc\u05d5\u05dd')
    assert codes(odd)[0] == "invalid_choice"
    assert chat.session is not None and chat.session.answers == {}


def test_number_question_accepts_forms_and_rejects_junk(chat: Conversation) -> None:
    chat.say(None)
    for q in ("stage", "value", "current_gap", "knowledge_change", "data_sensitivity", "latency"):
        chat.say(FULL_ANSWERS[q])
    chat.say("500m_10b")
    assert chat.last_ask().question == "monthly_tokens"
    assert codes(chat.say("lots"))[0] == "invalid_number"
    chat.say("1.5e9")
    assert chat.session is not None and chat.session.answers["monthly_tokens"] == "1500000000"
