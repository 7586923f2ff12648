"""Team channels: an @mention starts an assessment in that message's thread, one per person."""

from __future__ import annotations

from typing import Any

from bot.teams.delivery import Place
from dialogs.turn import SessionKey
from tests.bot.teams.conftest import TeamsHarness, card_text, option_data
from tests.support.teams_activities import (
    card_submit,
    channel_conversation_id,
    channel_message,
    new_aad_object_id,
    new_activity_id,
    new_channel_id,
    new_user_id,
)
from tests.support.teams_connector import ConnectorCall

TEAM = "19:team-general@thread.tacv2"


class Member:
    def __init__(self, name: str) -> None:
        self.user_id = new_user_id()
        self.aad = new_aad_object_id()
        self.name = name


async def mention(teams: TeamsHarness, who: Member, channel: str, root: str, text: str = "") -> int:
    activity = channel_message(
        text,
        user_id=who.user_id,
        aad_object_id=who.aad,
        user_name=who.name,
        team_id=TEAM,
        channel_id=channel,
        thread_root_id=root,
        service_url=teams.connector.service_url,
    )
    return await teams.post(activity)


async def click(
    teams: TeamsHarness,
    who: Member,
    channel: str,
    root: str,
    *,
    card: ConnectorCall,
    value: dict[str, Any],
) -> int:
    activity = card_submit(
        value,
        reply_to_id=str(card.answer["id"]),
        user_id=who.user_id,
        aad_object_id=who.aad,
        conversation_id=channel_conversation_id(channel, root),
        service_url=teams.connector.service_url,
        scope="channel",
        team_id=TEAM,
        channel_id=channel,
    )
    return await teams.post(activity)


def cards_for(teams: TeamsHarness, channel: str, root: str, who: Member) -> list[ConnectorCall]:
    conversation = channel_conversation_id(channel, root)
    return [
        c
        for c in teams.questions(conversation)
        if next(iter(option_data(c).values()))["u"] == who.aad
    ]


async def test_two_people_in_one_thread(teams: TeamsHarness) -> None:
    ann, bob = Member("Ann"), Member("Bob")
    channel, root = new_channel_id(), new_activity_id()
    assert await mention(teams, ann, channel, root, "should we build?") in (200, 201, 202)
    ann_q = await teams.eventually(lambda: cards_for(teams, channel, root, ann))
    assert await mention(teams, bob, channel, root, "me too") in (200, 201, 202)
    bob_q = await teams.eventually(lambda: cards_for(teams, channel, root, bob))
    assert "Ann: Question 1 of" in card_text(ann_q[0]) and "Bob: Question 1 of" in card_text(
        bob_q[0]
    )

    await click(teams, ann, channel, root, card=ann_q[0], value=option_data(ann_q[0])["live"])
    await click(teams, bob, channel, root, card=bob_q[0], value=option_data(bob_q[0])["idea"])
    await teams.eventually(lambda: cards_for(teams, channel, root, ann)[1:])
    await teams.eventually(lambda: cards_for(teams, channel, root, bob)[1:])
    # A typed answer in the thread (with the mention Teams requires) goes to the typist's session.
    await mention(teams, bob, channel, root, "nice to have")
    await teams.eventually(lambda: cards_for(teams, channel, root, bob)[2:])
    ann_session = await teams.advisor.peek(_key(channel, root, ann))
    bob_session = await teams.advisor.peek(_key(channel, root, bob))
    assert ann_session is not None and ann_session.answers == {"stage": "live"}
    assert bob_session is not None and bob_session.answers == {
        "stage": "idea",
        "value": "nice_to_have",
    }
    assert teams.connector.card_problems == []


async def test_a_click_on_someone_elses_card_changes_nothing(teams: TeamsHarness) -> None:
    ann, eve = Member("Ann"), Member("Eve")
    channel, root = new_channel_id(), new_activity_id()
    await mention(teams, ann, channel, root)
    card = (await teams.eventually(lambda: cards_for(teams, channel, root, ann)))[0]
    await click(teams, eve, channel, root, card=card, value=option_data(card)["scale"])
    conversation = channel_conversation_id(channel, root)
    await teams.eventually(
        lambda: [t for t in teams.texts(conversation) if "belongs to someone else" in t]
    )
    assert teams.connector.updates(str(card.answer["id"])) == []
    session = await teams.advisor.peek(_key(channel, root, ann))
    assert session is not None and session.answers == {}
    assert await teams.advisor.peek(_key(channel, root, eve)) is None


def _key(channel: str, root: str, who: Member) -> SessionKey:
    return Place(
        tenant="tenant-1", conversation=channel, thread=root, user=who.aad, user_name=who.name
    ).key
