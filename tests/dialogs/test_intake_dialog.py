"""The intake in the chat (issue 16), through the pure step function: "describe", one review
of what the paragraph settled, nothing used before "yes", a correction, then only the open
questions, and a summary that says which answers came from the description."""

from __future__ import annotations

import pytest

from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.intake_dialog import ASK_AGAIN
from dialogs.replies import Ask, IntakeDone, IntakePrompt, IntakeReview, Intro, Summary
from dialogs.session import Session
from dialogs.turn import Click
from tests.support.answers import FULL_ANSWERS
from tests.support.conversation import Conversation, codes, kinds

PARAGRAPH = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k"
)


@pytest.fixture
def chat(flow: Flow, engine_config: EngineConfig) -> Conversation:
    conversation = Conversation(flow=flow, config=engine_config)
    conversation.say(None)
    return conversation


def review_of(chat: Conversation) -> IntakeReview:
    assert chat.say("describe") and isinstance(chat.log[-1], IntakePrompt)
    replies = chat.say(PARAGRAPH)
    assert kinds(replies) == ["intake_review"]
    review = replies[0]
    assert isinstance(review, IntakeReview)
    return review


def test_the_review_shows_each_answer_with_its_words_and_uses_nothing_yet(
    chat: Conversation,
) -> None:
    review = review_of(chat)
    items = {i.question: (i.label, i.evidence) for i in review.items}
    assert items["data_sensitivity"] == (
        "Regulated (health, finance, personal data)",
        "personal data under GDPR",
    )
    assert items["monthly_tokens"] == ("300,000,000 tokens a month", "300M tokens a month")
    assert "Value of a better answer" in review.open and "Stage" not in review.open
    assert chat.session is not None and chat.session.answers == {}


def test_confirm_uses_them_and_asks_only_what_is_open(chat: Conversation) -> None:
    review_of(chat)
    replies = chat.say("yes")
    assert kinds(replies) == ["intake_done", "ask"]
    done, ask = replies
    assert isinstance(done, IntakeDone) and done.used == 7
    assert isinstance(ask, Ask) and ask.question == "value"
    session = chat.session
    assert session is not None and session.answers["budget"] == "10k_100k"
    asked = []
    for _ in range(30):
        if session.state == "done":
            break
        assert session.current is not None
        asked.append(session.current)
        chat.say(FULL_ANSWERS[session.current])
        session = chat.session
        assert session is not None
    assert not {"stage", "data_sensitivity", "volume", "team", "gpus", "budget"} & set(asked)
    summary = chat.log[-1]
    assert isinstance(summary, Summary)
    assert summary.described == (
        "Stage",
        "Data sensitivity",
        "Monthly volume",
        "Exact monthly tokens",
        "Team skills",
        "GPUs and operations",
        "Budget",
    )


def test_a_correction_before_confirming_is_the_persons_own(chat: Conversation) -> None:
    review_of(chat)
    asked = chat.say("change team")
    assert isinstance(asked[0], Ask) and asked[0].question == "team"
    review = chat.say("mlops")[0]
    assert isinstance(review, IntakeReview)
    team = next(i for i in review.items if i.question == "team")
    assert team.changed and team.option == "mlops" and team.evidence == ""
    one_step = chat.say("change stage live")[0]
    assert isinstance(one_step, IntakeReview)
    assert next(i for i in one_step.items if i.question == "stage").option == "live"
    chat.say("yes")
    assert chat.session is not None
    assert chat.session.answers["team"] == "mlops" and chat.session.answers["stage"] == "live"
    # Corrected answers are the person's, not the description's.
    assert set(chat.session.intake["described"]) == {  # type: ignore[index]
        "data_sensitivity",
        "volume",
        "monthly_tokens",
        "gpus",
        "budget",
    }


def test_an_answer_the_person_gave_is_never_replaced(chat: Conversation) -> None:
    chat.say("live")  # stage, answered step by step
    review = review_of(chat)
    assert "stage" not in {i.question for i in review.items}
    chat.say("yes")
    assert chat.session is not None and chat.session.answers["stage"] == "live"


def test_no_drops_them_and_nothing_settled_says_so(chat: Conversation) -> None:
    review_of(chat)
    replies = chat.say("no")
    assert kinds(replies) == ["intake_done", "ask"]
    assert chat.session is not None and chat.session.answers == {}
    assert chat.session.pending is None and chat.session.intake is None
    chat.say("describe")
    replies = chat.say("We want to do something with AI.")
    assert isinstance(replies[0], IntakeDone) and replies[0].nothing
    assert isinstance(replies[1], Ask) and replies[1].question == "stage"


def test_other_text_during_the_review_says_what_is_understood(chat: Conversation) -> None:
    review_of(chat)
    assert kinds(chat.say("banana")) == ["intake_done", "intake_review"]
    # help shows help and keeps the review; cancel drops it.
    chat.say("help")
    assert chat.session is not None and chat.session.pending == "intake"
    chat.say("cancel")
    assert chat.session is not None and chat.session.pending is None
    assert chat.session.state == "cancelled" and chat.session.answers == {}


def test_a_command_while_waiting_for_the_description_leaves_it(chat: Conversation) -> None:
    chat.say("describe")
    replies = chat.say("skip")  # stage cannot be skipped: the notice, then the question
    assert chat.session is not None and chat.session.pending is None
    assert isinstance(replies[-1], Ask)


def test_buttons_confirm_and_change(chat: Conversation) -> None:
    review = review_of(chat)
    replies = chat.turn(click=Click(command="change stage live", stamp=review.stamp))
    assert isinstance(replies[0], IntakeReview)
    again = replies[0]
    old = chat.turn(click=Click(command="yes", stamp=review.stamp))  # an earlier showing
    assert chat.session is not None and chat.session.answers == {}, old
    chat.turn(click=Click(command="yes", stamp=again.stamp))
    assert chat.session is not None and chat.session.answers["stage"] == "live"


def test_the_review_survives_the_store(chat: Conversation) -> None:
    review_of(chat)
    assert chat.session is not None
    stored = Session.from_document(chat.session.to_document())
    assert stored.intake == chat.session.intake and stored.pending == "intake"


def test_a_description_too_long_is_asked_again_shorter(chat: Conversation) -> None:
    chat.say("describe")
    replies = chat.say("We are a fintech. " * 300)
    assert isinstance(replies[0], IntakePrompt) and replies[0].too_long == 4000
    assert chat.session is not None and chat.session.pending == "describe"
    assert kinds(chat.say(PARAGRAPH)) == ["intake_review"]


def test_describe_again_starts_over_and_a_malformed_review_reads_as_empty(
    chat: Conversation,
) -> None:
    review_of(chat)
    assert kinds(chat.say("describe")) == ["intake_prompt"]
    assert chat.session is not None and chat.session.intake is None
    chat.say(PARAGRAPH)
    doc = chat.session.to_document()
    doc["intake"] = {"proposed": ["not", "a", "map"], "changed": 3}
    chat.session = Session.from_document(doc)
    replies = chat.say("yes")  # nothing valid to use: nothing used, on to the question
    assert kinds(replies) == ["intake_done", "ask"]
    assert chat.session is not None and chat.session.answers == {}


def test_a_stored_review_is_never_trusted_to_hold_valid_answers(chat: Conversation) -> None:
    review_of(chat)
    assert chat.session is not None
    doc = chat.session.to_document()
    doc["intake"] = {
        "proposed": {"stage": "bogus", "nosuch": "x", "team": "ml_eng", "monthly_tokens": "1e9"},
        "evidence": {"team": 5},
    }
    chat.session = Session.from_document(doc)
    chat.say("yes")
    assert chat.session is not None and chat.session.answers == {"team": "ml_eng"}


def test_the_intros_two_ways_in_are_buttons_that_act_once(
    flow: Flow, engine_config: EngineConfig
) -> None:
    chat = Conversation(flow=flow, config=engine_config)
    intro = chat.say(None)[0]
    assert isinstance(intro, Intro) and intro.stamp == chat.last_ask().stamp
    prompt = chat.turn(click=Click(command="describe", stamp=intro.stamp))
    assert kinds(prompt) == ["intake_prompt"]
    # The same button again (a double click) acts on nothing, and posts nothing new.
    again = chat.turn(click=Click(command="describe", stamp=intro.stamp))
    assert codes(again) == ["stale_click"]
    assert chat.session is not None and chat.session.pending == "describe"
    # "Answer step by step" leaves the description and shows the question.
    steps = chat.turn(click=Click(command="steps", stamp=intro.stamp))
    assert kinds(steps) == ["ask"] and chat.session is not None and chat.session.pending is None
    assert chat.say("mvp")[0].kind == "answered"
    # Once a question is answered, the intro's buttons are from an earlier showing.
    late = chat.turn(click=Click(command="describe", stamp=intro.stamp))
    assert codes(late) == ["stale_click", "ask"] and chat.session.pending is None


def test_a_change_control_picks_an_option_and_an_old_one_acts_on_nothing(
    chat: Conversation,
) -> None:
    review = review_of(chat)
    replies = chat.turn(click=Click(question="team", option="mlops", stamp=review.stamp))
    changed = replies[0]
    assert isinstance(changed, IntakeReview) and changed.stamp != review.stamp
    team = next(i for i in changed.items if i.question == "team")
    assert team.changed and team.option == "mlops" and team.evidence == ""
    # The first review's control, clicked late, never overwrites the person's change.
    stale = chat.turn(click=Click(question="team", option="research", stamp=review.stamp))
    assert codes(stale) == ["stale_click", "intake_review"]
    assert chat.session is not None and chat.session.intake["proposed"]["team"] == "mlops"  # type: ignore[index]
    # A figure has no menu: its control asks the question, as in the walk.
    asked = chat.turn(click=Click(question="monthly_tokens", option=ASK_AGAIN, stamp=changed.stamp))
    assert isinstance(asked[0], Ask) and asked[0].question == "monthly_tokens"
    review = chat.say("20M")[0]
    assert isinstance(review, IntakeReview)
    assert next(i for i in review.items if i.question == "monthly_tokens").option == "20000000"
    # A control for a question the review does not hold, or an option it does not have.
    odd = chat.turn(click=Click(question="value", option="core_feature", stamp=review.stamp))
    assert kinds(odd) == ["intake_done", "intake_review"]
    chat.turn(click=Click(command="yes", stamp=odd[-1].stamp))  # type: ignore[attr-defined]
    assert chat.session is not None and chat.session.answers["team"] == "mlops"
    assert "value" not in chat.session.answers
