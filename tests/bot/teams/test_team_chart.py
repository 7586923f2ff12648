"""The cost chart in Teams, on both Teams adapters: a member's own team summary in their personal
chat is followed by its chart, a card of its own, as a personal summary is (bot.teams.chart);
and the team's chart on the consensus is sent once into the team card's thread when the team is
revealed (the last member finishing, or the facilitator's Reveal however often it is delivered),
once more when a settle moves the consensus figures, and not for a settle that leaves them."""

from __future__ import annotations

import asyncio

from bot.chart import CAPTION
from dialogs.team_actions import TEAM_CHART_CAPTION, TEAM_CHART_UPDATED
from tests.bot.teams.conftest import TeamsHarness, card_text
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
    team_cards,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.payloads import walk
from tests.support.teams_activities import new_activity_id
from tests.support.teams_connector import ConnectorCall

# Two members who differ on data sensitivity and budget: the consensus takes the strictest
# data rule (regulated) and the lower budget (under $10k).
ANAS = {**FULL_ANSWERS, "data_sensitivity": "public", "budget": "under_10k"}


async def test_a_members_team_summary_is_followed_by_its_chart(teams: TeamsHarness) -> None:
    fay, ana = Member("Fay"), Member("Ana")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Charted")
    await click_card(teams, ana, thread, card, {"team": "join"})
    await teams.eventually(lambda: chats_of(teams, ana), within=WAIT)
    summary = await answer_all(teams, ana, {**FULL_ANSWERS})
    chat = person(teams, ana).conversation
    charts = await teams.eventually(
        lambda: [c for c in teams.cards(chat) if CAPTION in card_text(c)], within=WAIT
    )
    sent = teams.connector.sent(chat)
    assert sent.index(charts[0]) == sent.index(summary) + 1
    images = [n for n in walk(charts[0].cards[0]) if n.get("type") == "Image"]
    assert images[0]["url"].startswith("data:image/png;base64,")
    assert "tokens a month" in images[0]["altText"]
    assert teams.connector.card_problems == []


def team_charts(teams: TeamsHarness, thread: Thread) -> list[ConnectorCall]:
    """The team's chart cards sent into its card's thread, oldest first."""
    return [
        c
        for c in teams.cards(thread.conversation)
        if TEAM_CHART_CAPTION in card_text(c) or TEAM_CHART_UPDATED in card_text(c)
    ]


def image(call: ConnectorCall) -> dict[str, str]:
    [found] = [n for n in walk(call.cards[0]) if n.get("type") == "Image"]
    assert found["url"].startswith("data:image/png;base64,")
    assert "tokens a month" in found["altText"]
    return found


async def join_all(teams: TeamsHarness, thread: Thread, card: ConnectorCall, *who: Member) -> None:
    for one in who:
        await click_card(teams, one, thread, card, {"team": "join"})
        await teams.eventually(lambda one=one: chats_of(teams, one), within=WAIT)


async def test_the_last_member_finishing_reveals_and_sends_the_teams_chart_once(
    teams: TeamsHarness,
) -> None:
    fay, ana = Member("Fay"), Member("Ana")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Charted together")
    await join_all(teams, thread, card, fay, ana)
    await answer_all(teams, fay, dict(FULL_ANSWERS))
    await answer_all(teams, ana, ANAS)
    await card_shows(teams, card, "Where you disagree")
    [chart] = await teams.eventually(lambda: team_charts(teams, thread), within=WAIT)
    assert TEAM_CHART_CAPTION in card_text(chart) and CAPTION not in card_text(chart)
    image(chart)
    assert len(team_cards(teams, thread)) == 1
    assert teams.connector.card_problems == []


async def test_a_redelivered_reveal_sends_one_chart_and_a_settle_that_moves_the_cost_one_more(
    teams: TeamsHarness,
) -> None:
    fay, ana, ben = Member("Fay"), Member("Ana"), Member("Ben")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Charted early")
    await join_all(teams, thread, card, fay, ana, ben)
    await answer_all(teams, fay, dict(FULL_ANSWERS))
    await answer_all(teams, ana, ANAS)
    await card_shows(teams, card, "Finished (2)", "Still answering (1)")
    assert not team_charts(teams, thread)  # nothing before the reveal

    # Ben is still answering: Fay reveals, the click delivered twice at once, then again
    # (Teams retries a slow turn). Each delivery's turn has ended when its request returns.
    reveal = {"team": "reveal"}
    again = new_activity_id()
    await asyncio.gather(
        *(click_card(teams, fay, thread, card, reveal, activity_id=again) for _ in range(2))
    )
    await click_card(teams, fay, thread, card, reveal, activity_id=again)
    await card_shows(teams, card, "Where you disagree")
    [first] = await teams.eventually(lambda: team_charts(teams, thread), within=WAIT)
    assert TEAM_CHART_CAPTION in card_text(first)
    figures = image(first)["altText"]

    # A settle on the answer the consensus had already (the lower budget): same figures, no
    # chart. Settling data sensitivity on "public" allows hosted tiers: a new chart, once.
    await click_card(
        teams, fay, thread, card, {"team": "settle", "q": "budget", "o.budget": "under_10k"}
    )
    await card_shows(teams, card, "Settled: Under $10k")
    assert len(team_charts(teams, thread)) == 1
    settle = {"team": "settle", "q": "data_sensitivity", "o.data_sensitivity": "public"}
    await click_card(teams, fay, thread, card, settle)
    charts = await teams.eventually(
        lambda: (found := team_charts(teams, thread)) and len(found) >= 2 and found, within=WAIT
    )
    assert len(charts) == 2 and TEAM_CHART_UPDATED in card_text(charts[1])
    assert image(charts[1])["altText"] != figures  # other figures
    assert len(replies(teams, thread.conversation, "The team goes with that answer")) == 2
    assert len(team_cards(teams, thread)) == 1
    assert teams.connector.card_problems == []
