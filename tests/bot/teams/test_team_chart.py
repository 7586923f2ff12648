"""A member's own team summary in their Teams personal chat is followed by its cost chart, a
card of its own, as a personal summary is (bot.teams.chart), on both Teams adapters."""

from __future__ import annotations

from bot.chart import CAPTION
from tests.bot.teams.conftest import TeamsHarness, card_text
from tests.bot.teams.test_team import (
    WAIT,
    Member,
    Thread,
    answer_all,
    chats_of,
    click_card,
    person,
    start_team,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.payloads import walk


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
