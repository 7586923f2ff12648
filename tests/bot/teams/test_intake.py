"""A described assessment in Teams personal chat (issue 16), via the real adapter: the review
card with the words each answer came from, one correction, then only the open questions."""

from __future__ import annotations

from tests.bot.teams.conftest import (
    Person,
    TeamsHarness,
    card_text,
    option_data,
    submit_data,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.schemas import validate_adaptive_card
from tests.support.teams_connector import ConnectorCall

PARAGRAPH = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k [click](https://example.com) {{DATE()}}"
)


def newer(teams: TeamsHarness, person: Person, seen: int) -> list[ConnectorCall]:
    return teams.cards(person.conversation)[seen:]


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
    asked: list[str] = []
    for i in range(asked_before, asked_before + 30):
        card = await teams.eventually(
            lambda i=i: (
                (teams.questions(person.conversation)[i:] or [None])[0]
                or (teams.summaries(person.conversation) or [None])[0]
            )
        )
        data = option_data(card)
        if not data:
            break
        qid = next(iter(data.values()))["q"]
        asked.append(qid)
        await teams.say(person, FULL_ANSWERS[qid])
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
