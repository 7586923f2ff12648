"""Team mode in Teams (issue 14), on both adapters: `@bot team history` lists the channel's team
assessments, newest first, with their advice and what changed since the one before; a typed
answer in a personal chat goes to the assessment asked there last, and the bot says which when
more than one is open; closing is the facilitator's."""

from __future__ import annotations

from bot.settings import Settings
from bot.teams.common import Place
from bot.teams.team_desk import team_ref
from dialogs.stores.base import SessionStore
from dialogs.turn import SessionKey
from tests.bot.teams.conftest import Person, TeamsHarness, card_text, start_teams
from tests.bot.teams.test_team import (
    WAIT,
    Member,
    Thread,
    answer_all,
    card_shows,
    chat_of,
    click_card,
    mention,
    person,
    replies,
    start_team,
    steps,
    submits,
    team_cards,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.teams_connector import TeamsConnector


async def revealed_team(
    teams: TeamsHarness, fay: Member, thread: Thread, title: str, answers: dict[str, str]
) -> None:
    card = await start_team(teams, fay, thread, f"team {title}")
    await click_card(teams, fay, thread, card, {"team": "join"})
    await teams.eventually(lambda: chat_of(teams, fay), within=WAIT)
    await answer_all(teams, fay, answers)
    await card_shows(teams, card, "Finished (1)")
    await click_card(teams, fay, thread, card, {"team": "reveal"})
    await card_shows(teams, card, "The team's advice")


async def test_team_history_lists_the_channels_teams_and_what_changed(
    teams: TeamsHarness,
) -> None:
    fay = Member("Fay")
    first, second = Thread(), Thread()
    second.channel = first.channel
    await revealed_team(teams, fay, first, "Regulated", dict(FULL_ANSWERS))
    public = {**FULL_ANSWERS, "data_sensitivity": "public", "budget": "under_10k"}
    await revealed_team(teams, fay, second, "Public data", public)

    asked = Thread()
    asked.channel = first.channel
    await mention(teams, fay, asked, "team history")
    listing = await teams.eventually(
        lambda: [c for c in teams.cards(asked.conversation) if "newest first" in card_text(c)],
        within=WAIT,
    )
    text = card_text(listing[0])
    assert text.index("Public data") < text.index("Regulated")  # newest first
    assert "changed from" in text and "(Fay)" in text
    assert teams.connector.card_problems == []

    # Another channel has none.
    elsewhere = Thread()
    await mention(teams, fay, elsewhere, "team history")
    await teams.eventually(
        lambda: [
            c for c in teams.cards(elsewhere.conversation) if "No team assessments" in card_text(c)
        ],
        within=WAIT,
    )


async def test_a_typed_answer_goes_to_the_latest_question_and_says_which(
    teams: TeamsHarness,
) -> None:
    fay, ana = Member("Fay"), Member("Ana")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Typing")
    await click_card(teams, ana, thread, card, {"team": "join"})
    chat = await teams.eventually(lambda: chat_of(teams, ana), within=WAIT)
    me = person(teams, ana)
    team_q1 = (await teams.eventually(lambda: steps(teams, chat), within=WAIT))[0]

    # Ana opens her own assessment in the same chat: its question is now the latest.
    await teams.click(me, team_q1, {"cmd": "start", "u": ana.aad}, user_name=ana.name)
    await teams.eventually(
        lambda: [c for c in teams.cards(chat) if "Question 1 of" in card_text(c)][1:], within=WAIT
    )
    await teams.say(me, "idea")
    await teams.eventually(lambda: replies(teams, chat, "your own assessment"), within=WAIT)
    own = await teams.advisor.peek(me_key(me))
    assert own is not None and own.answers == {"stage": "idea"}

    # Answering the team's question makes the team's next one the latest.
    value = next(d for d in submits(team_q1) if d.get("o") == "live")
    await teams.click(me, team_q1, value, user_name=ana.name)
    await teams.eventually(lambda: steps(teams, chat)[2:], within=WAIT)
    await teams.say(me, "core")
    await teams.eventually(lambda: replies(teams, chat, "the team assessment “Typing”"))
    own = await teams.advisor.peek(me_key(me))
    assert own is not None and own.answers == {"stage": "idea"}  # unchanged

    # Only the facilitator closes it; then nobody answers any more.
    await click_card(teams, ana, thread, card, {"team": "close"})
    await teams.eventually(lambda: replies(teams, thread.conversation, "Only Fay"), within=WAIT)
    await click_card(teams, fay, thread, card, {"team": "close"})
    await card_shows(teams, card, "This team assessment is closed")
    before = len(teams.texts(chat))
    await teams.say(me, "rarely")
    await teams.eventually(lambda: len(teams.texts(chat)) > before, within=WAIT)
    ref = team_ref("tenant-1", thread.channel, thread.root, str(card.answer["id"]))
    session = await teams.advisor.peek(ref.member_key(ana.aad))
    assert session is not None and session.answers == {"stage": "live", "value": "core_feature"}


def me_key(me: Person) -> SessionKey:
    """The person's own session in their personal chat."""
    return Place(
        tenant="tenant-1", conversation=me.conversation, thread="", user=me.aad, user_name=""
    ).key


async def test_back_skip_and_why_work_in_a_team_session(teams: TeamsHarness) -> None:
    fay, ana = Member("Fay"), Member("Ana")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Steps")
    await click_card(teams, ana, thread, card, {"team": "join"})
    chat = await teams.eventually(lambda: chat_of(teams, ana), within=WAIT)
    me = person(teams, ana)
    first = (await teams.eventually(lambda: steps(teams, chat), within=WAIT))[0]
    await teams.click(me, first, next(d for d in submits(first) if d.get("o") == "live"))
    second = (await teams.eventually(lambda: steps(teams, chat)[1:], within=WAIT))[0]
    assert "Question 2 of" in card_text(second)

    # Back (a button of the team's question, carrying the team) asks question 1 again.
    back = next(d for d in submits(second) if d.get("cmd") == "back")
    assert back["t"]
    await teams.click(me, second, back, user_name=ana.name)
    again = (await teams.eventually(lambda: steps(teams, chat)[2:], within=WAIT))[0]
    assert "Question 1 of" in card_text(again) and "Team assessment:" in card_text(again)

    # "why" typed in the chat is about the team's question, the latest asked there.
    before = len(teams.texts(chat))
    await teams.say(me, "why")
    await teams.eventually(lambda: len(teams.texts(chat)) > before, within=WAIT)
    assert "Team assessment:" in teams.texts(chat)[-1]

    # The same button clicked in the channel thread (not the member's chat) changes nothing.
    ref = team_ref("tenant-1", thread.channel, thread.root, str(card.answer["id"]))
    stored = await teams.advisor.peek(ref.member_key(ana.aad))
    await click_card(teams, ana, thread, card, next(d for d in submits(again) if "o" in d))
    await teams.eventually(
        lambda: replies(teams, thread.conversation, "could not be read"), within=WAIT
    )
    after = await teams.advisor.peek(ref.member_key(ana.aad))
    assert stored is not None and after is not None and after.answers == stored.answers


async def test_a_typed_answer_reaches_the_team_through_another_process(
    teams: TeamsHarness,
    connector: TeamsConnector,
    store: SessionStore,
    redis_url: str,
    sdk: str,
) -> None:
    """Two processes (two bots on one Redis): Ana joins through one, and her typed answer
    reaches the other, which still finds her team's question the latest in her chat."""
    settings = Settings(redis_url=redis_url, teams_dev_mode=True, teams_sdk=sdk)
    other, runner = await start_teams(connector, settings, store, sdk=sdk, dev=True)
    try:
        fay, ana = Member("Fay"), Member("Ana")
        thread = Thread()
        card = await start_team(teams, fay, thread, "team Two processes")
        await click_card(teams, ana, thread, card, {"team": "join"})
        chat = await teams.eventually(lambda: chat_of(teams, ana), within=WAIT)
        await teams.eventually(lambda: steps(teams, chat), within=WAIT)
        await other.say(person(teams, ana), "live")
        await teams.eventually(lambda: steps(teams, chat)[1:], within=WAIT)
        ref = team_ref("tenant-1", thread.channel, thread.root, str(card.answer["id"]))
        session = await teams.advisor.peek(ref.member_key(ana.aad))
        assert session is not None and session.answers == {"stage": "live"}
        assert await teams.advisor.peek(me_key(person(teams, ana))) is None  # not her own
    finally:
        await other.http.close()
        await runner.cleanup()


async def test_forget_in_a_channel_thread_takes_the_member_out_too(teams: TeamsHarness) -> None:
    fay, ana, ben = Member("Fay"), Member("Ana"), Member("Ben")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Leaving")
    for who in (ana, ben):
        await click_card(teams, who, thread, card, {"team": "join"})
        await teams.eventually(lambda who=who: chat_of(teams, who), within=WAIT)
    await card_shows(teams, card, "Still answering (2)", "Ana")

    # Ana types forget in another thread of the channel (her own assessment there).
    elsewhere = Thread()
    elsewhere.channel = thread.channel
    await mention(teams, ana, elsewhere, "forget")
    await teams.eventually(lambda: replies(teams, elsewhere.conversation, "Question 1 of"))
    await mention(teams, ana, elsewhere, "forget")
    confirm = await teams.eventually(
        lambda: [
            c
            for c in teams.cards(elsewhere.conversation)
            if any(d.get("cmd") == "yes" for d in submits(c))
        ],
        within=WAIT,
    )
    yes = next(d for d in submits(confirm[-1]) if d.get("cmd") == "yes")
    await click_card(teams, ana, elsewhere, confirm[-1], yes)
    left = await card_shows(teams, card, "One member left", "Still answering (1)")
    assert "Ana" not in left and "Ben" in left


async def test_a_description_starting_with_team_is_not_a_team_command(
    teams: TeamsHarness,
) -> None:
    ana = Member("Ana")
    thread = Thread()
    await mention(teams, ana, thread, "")
    await teams.eventually(lambda: replies(teams, thread.conversation, "Question 1 of"))
    count = len(teams.texts(thread.conversation))
    await mention(teams, ana, thread, "describe")
    await teams.eventually(lambda: len(teams.texts(thread.conversation)) > count, within=WAIT)
    count = len(teams.texts(thread.conversation))
    await mention(teams, ana, thread, "team of app developers, live product, public data")
    await teams.eventually(lambda: len(teams.texts(thread.conversation)) > count, within=WAIT)
    assert team_cards(teams, thread) == []
