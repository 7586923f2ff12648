"""A whole assessment in Teams personal chat, by cards and by typing, via the real CloudAdapter."""

from __future__ import annotations

from tests.bot.teams.conftest import Person, TeamsHarness, card_text, option_data, submit_data
from tests.support.answers import FULL_ANSWERS, TYPED_ANSWERS
from tests.support.schemas import validate_adaptive_card
from tests.support.teams_activities import conversation_update_members_added


async def click_through(teams: TeamsHarness, person: Person) -> None:
    asked = 0
    while True:
        card = await teams.eventually(
            lambda asked=asked: (
                (teams.questions(person.conversation)[asked:] or [None])[0]
                or (teams.summaries(person.conversation) or [None])[0]
            )
        )
        data = option_data(card)
        if not data:
            return
        qid = next(iter(data.values()))["q"]
        assert await teams.click(person, card, data[FULL_ANSWERS[qid]]) in (200, 201, 202)
        card_id = str(card.answer["id"])
        await teams.eventually(lambda card_id=card_id: teams.connector.updates(card_id))
        asked += 1
        if qid == "volume":
            number = await teams.eventually(
                lambda: [
                    c
                    for c in teams.cards(person.conversation)
                    if "how many tokens a month" in card_text(c)
                ]
            )
            assert await teams.say(person, "2B") in (200, 201, 202)
            await teams.eventually(lambda n=number[0]: teams.connector.updates(str(n.answer["id"])))


async def test_welcome_card_when_installed(teams: TeamsHarness) -> None:
    person = Person()
    activity = conversation_update_members_added(
        user_id=person.user_id,
        aad_object_id=person.aad,
        conversation_id=person.conversation,
        service_url=teams.connector.service_url,
    )
    assert await teams.post(activity) in (200, 201, 202)
    welcome = await teams.eventually(lambda: teams.cards(person.conversation))
    assert "Build your own LLM" in card_text(welcome[0])
    start = submit_data(welcome[0], "start")
    assert await teams.click(person, welcome[0], start) in (200, 201, 202)
    await teams.eventually(lambda: teams.questions(person.conversation))
    assert teams.connector.card_problems == []


async def test_whole_assessment_by_cards(teams: TeamsHarness) -> None:
    person = Person()
    assert await teams.say(person, "hi") in (200, 201, 202)
    await click_through(teams, person)
    summary = teams.summaries(person.conversation)[0]
    text = card_text(summary)
    assert "Fine-tune an open-weight model" in text and "Cost parity only counts" in text
    assert submit_data(summary, "restart")["u"] == person.aad
    for card in teams.cards(person.conversation):
        for content in card.cards:
            assert validate_adaptive_card(content) == []
            assert content["version"] == "1.5"
    questions = teams.questions(person.conversation)
    asked = [next(iter(option_data(q).values()))["q"] for q in questions]
    assert len(asked) == len(set(asked)), "a question was sent twice"
    for q in questions:
        assert len(teams.connector.updates(str(q.answer["id"]))) == 1
    assert teams.connector.card_problems == []


async def test_whole_assessment_by_typing(teams: TeamsHarness) -> None:
    person = Person()
    await teams.say(person, "hello")
    for i, text in enumerate(TYPED_ANSWERS):
        await teams.eventually(
            lambda i=i: (
                len([c for c in teams.cards(person.conversation) if "Question " in card_text(c)])
                > i
            )
        )
        assert await teams.say(person, text) in (200, 201, 202)
    summary = await teams.eventually(lambda: teams.summaries(person.conversation))
    assert "Fine-tune" in card_text(summary[0])
    assert teams.connector.card_problems == []


async def test_typed_commands(teams: TeamsHarness) -> None:
    person = Person()
    await teams.say(person, "hello")
    await teams.eventually(lambda: teams.questions(person.conversation))
    await teams.say(person, "live")
    await teams.eventually(lambda: teams.questions(person.conversation)[1:])
    for command, expected in (
        ("why", "Why we ask"),
        ("help", "Commands you can type"),
        ("status", "Progress: 1 of"),
    ):
        count = len(teams.connector.sent(person.conversation))
        await teams.say(person, command)
        sent = await teams.eventually(
            lambda count=count: teams.connector.sent(person.conversation)[count:]
        )
        assert expected in card_text(sent[0])
    await teams.say(person, "back")
    again = await teams.eventually(lambda: teams.questions(person.conversation)[2:])
    assert "Your current answer: Live with steady usage" in card_text(again[0])
    await teams.say(person, "results")
    await teams.eventually(
        lambda: any("no summary yet" in t for t in teams.texts(person.conversation))
    )


async def test_forget_in_teams(teams: TeamsHarness) -> None:
    person = Person()
    await teams.say(person, "hello")
    await teams.eventually(lambda: teams.questions(person.conversation))
    await teams.say(person, "forget")
    confirm = await teams.eventually(
        lambda: [c for c in teams.cards(person.conversation) if "cannot be undone" in card_text(c)]
    )
    await teams.click(person, confirm[0], submit_data(confirm[0], "yes"))
    await teams.eventually(
        lambda: [
            c
            for c in teams.cards(person.conversation)
            if "Deleted 1 saved assessment" in card_text(c)
        ]
    )
