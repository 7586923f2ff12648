"""Team mode in Teams under retries and throttling (issue 14), on both adapters: a redelivered
join, answer, reveal or settle (the same activity id) acts once, and a card update the connector
throttles (429) is sent again after its Retry-After with the newest state."""

from __future__ import annotations

import asyncio
import re

from bot.settings import Settings
from dialogs.stores.base import SessionStore
from tests.bot.teams.conftest import TeamsHarness, card_text, start_teams
from tests.bot.teams.test_team import (
    WAIT,
    Member,
    Thread,
    answer_all,
    card_shows,
    chats_of,
    click_card,
    person,
    replies,
    start_team,
    steps,
    submits,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.teams_activities import new_activity_id
from tests.support.teams_connector import TeamsConnector


async def test_a_redelivered_join_answer_reveal_and_settle_act_once(teams: TeamsHarness) -> None:
    fay, ana = Member("Fay"), Member("Ana")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Twice")

    join_id = new_activity_id()
    for _ in range(2):
        await click_card(teams, fay, thread, card, {"team": "join"}, activity_id=join_id)
    await click_card(teams, ana, thread, card, {"team": "join"})
    await teams.eventually(lambda: chats_of(teams, ana), within=WAIT)
    fay_chat = person(teams, fay)
    assert len(chats_of(teams, fay)) == 1  # one personal chat, one first question
    assert len(steps(teams, fay_chat.conversation)) == 1

    # The first answer delivered twice: answered once, the next question asked once.
    first = steps(teams, fay_chat.conversation)[0]
    value = next(d for d in submits(first) if d.get("o") == FULL_ANSWERS["stage"])
    answer_id = new_activity_id()
    for _ in range(2):
        await teams.click(fay_chat, first, value, user_name=fay.name, activity_id=answer_id)
    await teams.eventually(lambda: steps(teams, fay_chat.conversation)[1:], within=WAIT)
    assert len(steps(teams, fay_chat.conversation)) == 2
    summary = await answer_all(teams, fay, {**FULL_ANSWERS})

    # "Was this useful" on a team summary is counted on the member's team session.
    vote = next(d for d in submits(summary) if "vote" in d)
    assert vote["t"]
    await teams.click(fay_chat, summary, vote, user_name=fay.name)
    await teams.eventually(
        lambda: replies(teams, fay_chat.conversation, "Thanks for telling us"), within=WAIT
    )

    # Fay finished, Ana has not: the facilitator reveals, and the retried reveal says nothing.
    await card_shows(teams, card, "Finished (1)")
    reveal_id = new_activity_id()
    for _ in range(2):
        await click_card(teams, fay, thread, card, {"team": "reveal"}, activity_id=reveal_id)
    await card_shows(teams, card, "Revealed with 1 of 2 members done")
    assert not replies(teams, thread.conversation, "revealed already")

    settle = {"team": "settle", "q": "budget", "o.budget": "under_10k"}
    settle_id = new_activity_id()
    for _ in range(2):
        await click_card(teams, fay, thread, card, settle, activity_id=settle_id)
    await card_shows(teams, card, "Settled: Under $10k")
    assert len(replies(teams, thread.conversation, "The team goes with that answer")) == 1
    assert teams.connector.card_problems == []


async def test_a_throttled_card_update_ends_on_the_newest_state(teams: TeamsHarness) -> None:
    fay, ben, cal = Member("Fay"), Member("Ben"), Member("Cal")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Busy")
    card_id = str(card.answer["id"])
    teams.connector.fail("update", 429, retry_after=1)
    await asyncio.gather(
        click_card(teams, ben, thread, card, {"team": "join"}),
        click_card(teams, cal, thread, card, {"team": "join"}),
    )
    final = await card_shows(teams, card, "Still answering (2)", "Ben", "Cal")
    assert "Finished (0)" in final
    throttled = [c for c in teams.connector.attempts("update") if c.activity_id == card_id]
    assert throttled[0].status == 429
    assert throttled[-1].accepted


async def test_members_finishing_at_once_reveal_once(teams: TeamsHarness) -> None:
    """Four members send their last answer at the same moment: every answer is kept, the
    team is revealed once, and the card ends on the results of all four."""
    fay = Member("Fay")
    members = [Member(f"Member-{i}") for i in range(4)]
    thread = Thread()
    card = await start_team(teams, fay, thread, "team At once")
    for who in members:
        await click_card(teams, who, thread, card, {"team": "join"})
        await teams.eventually(lambda who=who: chats_of(teams, who), within=WAIT)
    answers = [
        {**FULL_ANSWERS, "budget": budget}
        for budget in ("under_10k", "10k_100k", "10k_100k", "under_10k")
    ]
    last = []
    for who, theirs in zip(members, answers, strict=True):
        card_before = await answer_all(teams, who, theirs, stop=len(FULL_ANSWERS) - 1)
        assert not any(d.get("cmd") == "edit" for d in submits(card_before))
        value = next(d for d in submits(card_before) if d.get("o") == theirs["inputs"])
        last.append((person(teams, who), card_before, value))
    await asyncio.gather(*(teams.click(p, c, v) for p, c, v in last))
    final = await card_shows(teams, card, "Where you disagree (1)", "Budget")
    assert "(2): Member-0, Member-3" in final or "(2): Member-3, Member-0" in final
    assert "Revealed with" not in final  # everyone had finished
    for who in members:
        finished = replies(teams, person(teams, who).conversation, "Your answers to")
        assert len(finished) == 1
    assert teams.connector.card_problems == []


def waiting(text: str) -> int:
    """How many members the card lists as still answering."""
    found = re.search(r"Still answering \((\d+)\)", text)
    return int(found.group(1)) if found else 0


async def test_a_change_during_a_card_update_ends_on_the_newest_card(teams: TeamsHarness) -> None:
    fay, ben, cal = Member("Fay"), Member("Ben"), Member("Cal")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Slow")
    card_id = str(card.answer["id"])
    teams.connector.delay("update", 1.0)  # Ben's update is on its way when Cal joins
    await click_card(teams, ben, thread, card, {"team": "join"})
    await teams.eventually(lambda: teams.connector.attempts("update"), within=WAIT)
    await click_card(teams, cal, thread, card, {"team": "join"})
    await card_shows(teams, card, "Still answering (2)", "Ben", "Cal")
    assert waiting(card_text(teams.connector.updates(card_id)[-1])) == 2


async def test_two_app_instances_updating_one_card_never_show_an_older_state(
    teams: TeamsHarness, connector: TeamsConnector, store: SessionStore, redis_url: str, sdk: str
) -> None:
    """Two processes' worth of apps on one Redis: members join through either, the card's
    updates take turns (a claim in the store), so no update shows fewer members than one
    before it, and the card ends on all of them."""
    settings = Settings(redis_url=redis_url, teams_dev_mode=True, teams_sdk=sdk)
    other, runner = await start_teams(connector, settings, store, sdk=sdk, dev=True)
    try:
        fay = Member("Fay")
        members = [Member(f"Member-{i}") for i in range(6)]
        thread = Thread()
        card = await start_team(teams, fay, thread, "team Two apps")
        card_id = str(card.answer["id"])
        teams.connector.delay("update", 0.3, times=20)  # each update takes a while
        await asyncio.gather(
            *(
                click_card(other if i % 2 else teams, who, thread, card, {"team": "join"})
                for i, who in enumerate(members)
            )
        )
        await card_shows(teams, card, "Still answering (6)", *(m.name for m in members))
        shown = [waiting(card_text(c)) for c in teams.connector.updates(card_id)]
        assert shown == sorted(shown)
    finally:
        await other.http.close()
        await runner.cleanup()
