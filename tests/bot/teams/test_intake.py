"""A described assessment in Teams personal chat (issue 16), via the real adapter: the review
card with the words each answer came from, one correction, then only the open questions."""

from __future__ import annotations

import json
from typing import Any

from bot.render import create_environment
from bot.teams.render import TeamsRenderer
from dialogs.flow import Flow
from dialogs.turn import SessionKey
from tests.bot.teams.conftest import (
    Person,
    TeamsHarness,
    card_text,
    option_data,
    submit_data,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.intake_reviews import largest_review
from tests.support.payloads import walk
from tests.support.schemas import validate_adaptive_card
from tests.support.teams_activities import TENANT_ID
from tests.support.teams_connector import ConnectorCall

PARAGRAPH = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k [click](https://example.com) {{DATE()}}"
)


def key_of(person: Person) -> SessionKey:
    return SessionKey(
        platform="teams",
        workspace=TENANT_ID,
        conversation=person.conversation,
        thread="",
        user=person.aad,
    )


def newer(teams: TeamsHarness, person: Person, seen: int) -> list[ConnectorCall]:
    return teams.cards(person.conversation)[seen:]


async def answer_the_rest(
    teams: TeamsHarness, person: Person, asked_before: int, *, buttons: bool
) -> list[str]:
    """Answer each question after the first `asked_before` until the summary comes: typed, or
    with the question's button where it has one for the answer (`buttons`). The ids asked."""
    asked: list[str] = []
    for i in range(asked_before, asked_before + 30):
        card = await teams.eventually(
            lambda i=i: (
                (teams.questions(person.conversation)[i:] or [None])[0]
                or (teams.summaries(person.conversation) or [None])[0]
            )
        )
        options = option_data(card)
        if not options:
            break
        qid = next(iter(options.values()))["q"]
        asked.append(qid)
        answer = FULL_ANSWERS[qid]
        if buttons and answer in options:  # a button where the question has one for this answer
            await teams.click(person, card, options[answer])
        else:
            await teams.say(person, answer)
    return asked


async def test_a_described_assessment_in_personal_chat(teams: TeamsHarness) -> None:
    person = Person()
    await teams.say(person, "hello")
    await teams.eventually(lambda: teams.questions(person.conversation))
    seen = len(teams.cards(person.conversation))
    await teams.say(person, "describe")
    prompt = await teams.eventually(lambda: newer(teams, person, seen))
    assert "Describe your situation" in card_text(prompt[0])
    seen = len(teams.cards(person.conversation))
    await teams.say(person, PARAGRAPH)
    review = (await teams.eventually(lambda: newer(teams, person, seen)))[0]
    text = card_text(review)
    assert "Data sensitivity: Regulated (health, finance, personal data)" in text
    assert "← “personal data under GDPR”" in text and "Still to ask (17)" in text
    for content in review.cards:
        assert validate_adaptive_card(content) == []
    seen = len(teams.cards(person.conversation))
    await teams.say(person, "change team mlops")
    corrected = (await teams.eventually(lambda: newer(teams, person, seen)))[0]
    assert "Team skills: ML engineers with MLOps  (your change)" in card_text(corrected)
    asked_before = len(teams.questions(person.conversation))
    # The first review's button is from an earlier showing: it acts on nothing.
    await teams.click(person, review, submit_data(review, "yes"))
    await teams.eventually(lambda: newer(teams, person, seen + 1))
    assert len(teams.questions(person.conversation)) >= asked_before
    assert await teams.click(person, corrected, submit_data(corrected, "yes")) in (200, 201, 202)
    asked = await answer_the_rest(teams, person, asked_before, buttons=False)
    assert asked[0] == "value"
    assert not {"stage", "data_sensitivity", "volume", "team", "gpus", "budget"} & set(asked)
    summaries = teams.summaries(person.conversation)
    assert summaries
    said = card_text(summaries[0])
    assert (
        "From your description:" in said
        and "Team skills" in said.split("From your description:")[1]
    )
    assert teams.connector.card_problems == []


def show_card(call: ConnectorCall, title: str) -> dict[str, Any]:
    """The card an Action.ShowCard titled `title` opens."""
    for card in call.cards:
        for node in walk(card):
            if node.get("type") == "Action.ShowCard" and node.get("title") == title:
                return dict(node["card"])
    raise AssertionError(f"no {title!r}")


async def test_a_described_assessment_with_the_buttons(teams: TeamsHarness) -> None:
    person = Person()
    await teams.say(person, "hello")
    await teams.eventually(lambda: teams.questions(person.conversation))
    intro = next(c for c in teams.cards(person.conversation) if "Two ways in" in card_text(c))
    titles = [
        n["title"] for card in intro.cards for n in walk(card) if n.get("type") == "Action.Submit"
    ]
    assert titles == ["Describe your situation", "Answer step by step"]
    seen = len(teams.cards(person.conversation))
    await teams.click(person, intro, submit_data(intro, "describe"))
    prompt = (await teams.eventually(lambda: newer(teams, person, seen)))[0]
    assert "Describe your situation" in card_text(prompt)
    assert "Your description stays on this service" in card_text(prompt)
    seen = len(teams.cards(person.conversation))
    await teams.say(person, PARAGRAPH)
    review = (await teams.eventually(lambda: newer(teams, person, seen)))[0]
    for content in review.cards:
        assert validate_adaptive_card(content) == []
    assert "Still to ask (" in card_text(review)
    # One correction through the change control: the question's options, then a submit.
    change = show_card(review, "Change team skills")
    field = change["body"][0]
    assert field["type"] == "Input.ChoiceSet" and field["id"] == "o.team"
    assert "mlops" in [c["value"] for c in field["choices"]]
    data = next(n["data"] for n in walk(change) if n.get("type") == "Action.Submit")
    seen = len(teams.cards(person.conversation))
    await teams.click(person, review, {**data, "o.team": "mlops"})
    corrected = (await teams.eventually(lambda: newer(teams, person, seen)))[0]
    assert "Team skills: ML engineers with MLOps  (your change)" in card_text(corrected)
    # The first card's control, submitted late, never overwrites the change.
    sent = len(teams.connector.sent(person.conversation))
    await teams.click(person, review, {**data, "o.team": "research"})
    await teams.eventually(lambda: len(teams.connector.sent(person.conversation)) > sent)
    session = await teams.advisor.peek(key_of(person))
    assert session is not None and session.answers == {}
    assert session.intake is not None and session.intake["proposed"]["team"] == "mlops"
    asked_before = len(teams.questions(person.conversation))
    await teams.click(person, corrected, submit_data(corrected, "yes"))
    asked = await answer_the_rest(teams, person, asked_before, buttons=True)
    assert asked[0] == "value"
    assert not {"stage", "data_sensitivity", "volume", "team", "gpus", "budget"} & set(asked)
    said = card_text(teams.summaries(person.conversation)[0])
    assert "Data sensitivity" in said.split("From your description:")[1]
    session = await teams.advisor.peek(key_of(person))
    assert session is not None and session.answers["team"] == "mlops"
    assert teams.connector.card_problems == []


def test_the_largest_review_is_a_valid_card_within_teams_size(flow: Flow) -> None:
    """Every question settled, each quoting long words: a valid Adaptive Card under the size
    the renderer allows (it raises past it), change controls while they fit."""
    review = largest_review(flow, "[click](https://example.com) {{DATE()}} " * 100)
    card = TeamsRenderer(env=create_environment(), flow=flow).card(
        review, owner="a", owner_name="A", in_thread=False
    )
    assert validate_adaptive_card(card) == []
    shows = [n for n in walk(card) if n.get("type") == "Action.ShowCard"]
    assert 0 < len(shows) < len(flow.questions)
    assert len(json.dumps(card).encode()) < 25_000
