"""Starting a team assessment from one's own answers in Teams (issue 14), on both adapters: a
member with their own assessment in their personal chat is offered "Start from my own
answers" on their first team question; the click copies them in once and asks the first
question still open."""

from __future__ import annotations

from bot.teams.team_desk import team_ref
from tests.bot.teams.conftest import Person, TeamsHarness, card_text, option_data
from tests.bot.teams.test_team import (
    WAIT,
    Member,
    Thread,
    click_card,
    start_team,
    submits,
)
from tests.support.teams_activities import new_activity_id, new_personal_conversation_id
from tests.support.teams_connector import ConnectorCall


def team_questions(teams: TeamsHarness, chat: str) -> list[ConnectorCall]:
    return [c for c in teams.questions(chat) if "Team assessment:" in card_text(c)]


async def test_a_member_starts_from_their_own_answers(teams: TeamsHarness) -> None:
    fay, ana = Member("Fay"), Member("Ana")
    me = Person(
        user_id=ana.user_id,
        aad=ana.aad,
        conversation=new_personal_conversation_id(),
        name=ana.name,
    )
    teams.connector.personal_chat(ana.user_id, me.conversation)

    # Ana's own assessment in her chat: two answers.
    await teams.say(me, "hi")
    first = (await teams.eventually(lambda: teams.questions(me.conversation), within=WAIT))[0]
    await teams.click(me, first, option_data(first)["live"], user_name=ana.name)
    second = (await teams.eventually(lambda: teams.questions(me.conversation)[1:]))[0]
    await teams.click(me, second, option_data(second)["core_feature"], user_name=ana.name)
    await teams.eventually(lambda: teams.questions(me.conversation)[2:], within=WAIT)

    thread = Thread()
    card = await start_team(teams, fay, thread, "team Copy")
    await click_card(teams, ana, thread, card, {"team": "join"})
    offered = (await teams.eventually(lambda: team_questions(teams, me.conversation)))[0]
    copy = next(d for d in submits(offered) if "copy" in d)
    assert "Start from my own answers (2 answered)" in card_text(offered)
    assert copy["t"] and copy["u"] == ana.aad

    click_id = new_activity_id()
    for _ in range(2):  # delivered twice: copied once
        await teams.click(me, offered, copy, user_name=ana.name, activity_id=click_id)
    nxt = (await teams.eventually(lambda: team_questions(teams, me.conversation)[1:]))[0]
    assert "Question 3 of" in card_text(nxt)
    assert "Start from my own answers" not in card_text(nxt)  # offered once, on the first
    assert len(team_questions(teams, me.conversation)) == 2
    closed = teams.connector.updates(str(offered.answer["id"]))
    assert closed and "from your own assessment" in card_text(closed[-1])

    ref = team_ref("tenant-1", thread.channel, thread.root, str(card.answer["id"]))
    session = await teams.advisor.peek(ref.member_key(ana.aad))
    assert session is not None
    assert session.answers == {"stage": "live", "value": "core_feature"}
    assert teams.connector.card_problems == []
