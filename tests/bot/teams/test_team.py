"""Team mode in Teams (issue 14), end to end over HTTP on both Teams adapters, with the stand-in
Bot Connector and a real Redis: the team card in a channel thread, joining (a member's questions
in a personal chat the bot opens), answering privately, progress without answers, the reveal
with the disagreements first, settling, reminders, the facilitator-only controls, a member who
forgets and comes back, and redelivered activities acting once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.teams.team_desk import team_ref
from dialogs.turn import SessionKey
from tests.bot.teams.conftest import Person, TeamsHarness, card_text
from tests.support.answers import FULL_ANSWERS
from tests.support.payloads import walk
from tests.support.teams_activities import (
    card_submit,
    channel_conversation_id,
    channel_message,
    new_aad_object_id,
    new_activity_id,
    new_channel_id,
    new_user_id,
)
from tests.support.teams_connector import ConnectorCall, Operation

TEAM = "19:team-general@thread.tacv2"
# How long to wait for a card to show a change: a member's summary comes first, and the whole
# suite may be running beside the test.
WAIT = 20.0


@dataclass
class Member:
    name: str
    user_id: str = field(default_factory=new_user_id)
    aad: str = field(default_factory=new_aad_object_id)


@dataclass
class Thread:
    """A channel thread where a team card was posted."""

    channel: str = field(default_factory=new_channel_id)
    root: str = field(default_factory=new_activity_id)

    @property
    def conversation(self) -> str:
        return channel_conversation_id(self.channel, self.root)


async def mention(
    teams: TeamsHarness, who: Member, thread: Thread, text: str, **extra: Any
) -> None:
    activity = channel_message(
        text,
        user_id=who.user_id,
        aad_object_id=who.aad,
        user_name=who.name,
        team_id=TEAM,
        channel_id=thread.channel,
        thread_root_id=thread.root,
        service_url=teams.connector.service_url,
        **extra,
    )
    assert await teams.post(activity) in (200, 201, 202)


async def click_card(
    teams: TeamsHarness,
    who: Member,
    thread: Thread,
    card: ConnectorCall,
    value: dict[str, str],
    **extra: Any,
) -> None:
    activity = card_submit(
        value,
        reply_to_id=str(card.answer["id"]),
        user_id=who.user_id,
        aad_object_id=who.aad,
        user_name=who.name,
        conversation_id=thread.conversation,
        service_url=teams.connector.service_url,
        scope="channel",
        team_id=TEAM,
        channel_id=thread.channel,
        **extra,
    )
    assert await teams.post(activity) in (200, 201, 202)


def submits(call: ConnectorCall) -> list[dict[str, Any]]:
    return [
        node["data"]
        for card in call.cards
        for node in walk(card)
        if node.get("type") == "Action.Submit" and isinstance(node.get("data"), dict)
    ]


def team_cards(teams: TeamsHarness, thread: Thread) -> list[ConnectorCall]:
    return [
        c
        for c in teams.connector.sent(thread.conversation)
        if any(d.get("team") == "join" for d in submits(c))
    ]


async def start_team(teams: TeamsHarness, who: Member, thread: Thread, text: str) -> ConnectorCall:
    await mention(teams, who, thread, text)
    return (await teams.eventually(lambda: team_cards(teams, thread), within=WAIT))[0]


def latest(teams: TeamsHarness, card: ConnectorCall) -> str:
    updates = teams.connector.updates(str(card.answer["id"]))
    return card_text(updates[-1]) if updates else card_text(card)


async def card_shows(teams: TeamsHarness, card: ConnectorCall, *words: str) -> str:
    return await teams.eventually(
        lambda: (t := latest(teams, card)) and all(w in t for w in words) and t, within=WAIT
    )


def chats_of(teams: TeamsHarness, who: Member) -> list[str]:
    """The personal chats the bot opened with `who` (POST /v3/conversations), oldest first."""
    found = []
    for call in teams.connector.calls:
        members = call.body.get("members") if call.operation == Operation.CREATE else None
        if call.accepted and members and members[0].get("id") == who.user_id:
            found.append(str(call.answer["id"]))
    return found


def chat_of(teams: TeamsHarness, who: Member) -> str | None:
    """The newest personal chat the bot opened with `who`."""
    return (chats_of(teams, who) or [None])[-1]


def person(teams: TeamsHarness, who: Member) -> Person:
    chat = chat_of(teams, who)
    assert chat is not None
    return Person(user_id=who.user_id, aad=who.aad, conversation=chat, name=who.name)


def steps(teams: TeamsHarness, chat: str) -> list[ConnectorCall]:
    """The team question cards (and the summary) posted in a member's chat, oldest first."""
    return [
        c
        for c in teams.cards(chat)
        if any("s" in d and ("o" in d or d.get("cmd") in ("skip", "edit")) for d in submits(c))
    ]


def is_summary(call: ConnectorCall) -> bool:
    return any(d.get("cmd") == "edit" for d in submits(call))


async def answer_all(
    teams: TeamsHarness, who: Member, answers: dict[str, str], *, stop: int = 0
) -> ConnectorCall:
    """Answer `who`'s team questions in their chat (clicking, the figure typed); the summary
    (or, given `stop`, the question card after that many answers)."""
    me = person(teams, who)
    asked = 0
    while True:
        card = await teams.eventually(
            lambda asked=asked: (steps(teams, me.conversation)[asked:] or [None])[0], within=WAIT
        )
        if is_summary(card) or (stop and asked == stop):
            return card
        assert "Team assessment:" in card_text(card)  # says which team it is for
        options = {d["o"]: d for d in submits(card) if "o" in d}
        if options:
            qid = next(iter(options.values()))["q"]
            value = options[answers[qid]]
            assert value["t"] and value["u"] == who.aad
            await teams.click(me, card, value, user_name=who.name)
        else:  # the monthly figure: typed, it goes to the team's question (the latest asked)
            await teams.say(me, answers["monthly_tokens"])
        asked += 1


def replies(teams: TeamsHarness, conversation: str, words: str) -> list[str]:
    return [t for t in teams.texts(conversation) if words in t]


async def test_three_members_and_an_observer_from_start_to_settle(teams: TeamsHarness) -> None:
    fay, ana, ben, olga = Member("Fay"), Member("Ana"), Member("Ben"), Member("Olga")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team Support bot")
    text = card_text(card)
    assert "Support bot" in text and "Fay" in text and "Join as observer" in text
    assert {d["team"] for d in submits(card)} >= {"join", "observe", "reveal", "remind", "close"}

    # Three members join (the facilitator too), one observer watches.
    for who in (fay, ana, ben):
        await click_card(teams, who, thread, card, {"team": "join"})
        await teams.eventually(lambda who=who: chat_of(teams, who), within=WAIT)
    await click_card(teams, olga, thread, card, {"team": "observe"})
    await card_shows(teams, card, "Watching (1)", "Olga")
    assert chat_of(teams, olga) is None  # observers get no questions

    # An observer's click on a team question (a forged one: they have none) is refused.
    first = (await teams.eventually(lambda: steps(teams, person(teams, ana).conversation)))[0]
    forged = {**next(d for d in submits(first) if "o" in d), "u": olga.aad}
    olga_chat = Person(user_id=olga.user_id, aad=olga.aad, name=olga.name)
    await teams.click(olga_chat, first, forged, user_name=olga.name)
    await teams.eventually(
        lambda: replies(teams, olga_chat.conversation, "observers do not answer"), within=WAIT
    )

    # Only the facilitator may reveal or remind: anyone else is told so.
    await click_card(teams, ana, thread, card, {"team": "reveal"})
    await click_card(teams, ben, thread, card, {"team": "remind"})
    await teams.eventually(
        lambda: len(replies(teams, thread.conversation, "Only Fay")) == 2, within=WAIT
    )

    mine = dict(FULL_ANSWERS)
    anas = {**FULL_ANSWERS, "data_sensitivity": "public", "budget": "under_10k"}
    bens = {**FULL_ANSWERS, "data_sensitivity": "public"}
    await answer_all(teams, fay, mine)
    await answer_all(teams, ben, bens, stop=2)

    # The facilitator reminds those still answering (not herself), once an hour at most.
    await click_card(teams, fay, thread, card, {"team": "remind"})
    await teams.eventually(lambda: replies(teams, thread.conversation, "Reminded 2"), within=WAIT)
    for who in (ana, ben):
        assert len(replies(teams, person(teams, who).conversation, "A reminder from Fay")) == 1
    assert not replies(teams, person(teams, fay).conversation, "A reminder")
    await click_card(teams, fay, thread, card, {"team": "remind"})
    await teams.eventually(
        lambda: replies(teams, thread.conversation, "reminded within the last hour"), within=WAIT
    )
    assert len(replies(teams, person(teams, ana).conversation, "A reminder from Fay")) == 1

    await answer_all(teams, ana, anas)
    progress = await card_shows(teams, card, "Finished (2)", "Still answering (1)")
    assert "Ben" in progress and "Where you disagree" not in progress
    assert "Public or non-sensitive" not in progress  # answers stay hidden

    # Ben leaves (forget deletes his data, team answers included), then comes back.
    ben_chat = person(teams, ben)
    # (A first message in a chat opens the person's own assessment; the second asks to confirm.)
    await teams.say(ben_chat, "forget")
    await teams.eventually(lambda: replies(teams, ben_chat.conversation, "Question 1 of"))
    await teams.say(ben_chat, "forget")
    confirm = await teams.eventually(
        lambda: [
            c
            for c in teams.cards(ben_chat.conversation)
            if any(d.get("cmd") == "yes" for d in submits(c))
        ],
        within=WAIT,
    )
    yes = next(d for d in submits(confirm[-1]) if d.get("cmd") == "yes")
    await teams.click(ben_chat, confirm[-1], yes, user_name=ben.name)
    left = await card_shows(teams, card, "One member left", "Still answering (0)")
    assert "Ben" not in left
    assert await teams.advisor.peek(team_member_key(teams, thread, card, ben)) is None

    await click_card(teams, ben, thread, card, {"team": "join"})
    await teams.eventually(lambda: len(chats_of(teams, ben)) == 2, within=WAIT)
    await answer_all(teams, ben, bens)
    revealed = await card_shows(teams, card, "Where you disagree")
    assert revealed.index("Where you disagree") < revealed.index("The team's advice")
    assert "Public or non-sensitive" in revealed and "Ana" in revealed and "Ben" in revealed
    assert "Each member's own advice" in revealed and "Next steps" in revealed
    assert "Cost on the team's answers" in revealed

    # Settling: only the facilitator; the card says which answer the team goes with.
    settle = {"team": "settle", "q": "budget", "o.budget": "under_10k"}
    await click_card(teams, ana, thread, card, settle)
    await teams.eventually(
        lambda: len(replies(teams, thread.conversation, "Only Fay")) == 3, within=WAIT
    )
    await click_card(teams, fay, thread, card, settle)
    await card_shows(teams, card, "Settled: Under $10k")
    assert len(replies(teams, thread.conversation, "The team goes with that answer")) == 1

    assert teams.connector.card_problems == []
    # One card: posted once in the thread, updated in place since.
    assert len(team_cards(teams, thread)) == 1


def team_member_key(
    teams: TeamsHarness, thread: Thread, card: ConnectorCall, who: Member
) -> SessionKey:
    ref = team_ref("tenant-1", thread.channel, thread.root, str(card.answer["id"]))
    return ref.member_key(who.aad)


async def test_an_anonymous_team_shows_members_by_number(teams: TeamsHarness) -> None:
    fay, ana, ben = Member("Fay"), Member("Ana"), Member("Ben")
    thread = Thread()
    card = await start_team(teams, fay, thread, "team anonymous Quiet one")
    assert "Answers are anonymous" in card_text(card) and "Quiet one" in card_text(card)
    for who in (ana, ben):
        await click_card(teams, who, thread, card, {"team": "join"})
        await teams.eventually(lambda who=who: chat_of(teams, who), within=WAIT)
    joined = replies(teams, person(teams, ana).conversation, "without your name")
    assert joined  # members are told their name stays off the results
    progress = await card_shows(teams, card, "Still answering (2)")
    assert "Member 1, Member 2" in progress and "Ana" not in progress
    await answer_all(teams, ana, dict(FULL_ANSWERS))
    await answer_all(teams, ben, {**FULL_ANSWERS, "data_sensitivity": "public"})
    revealed = await card_shows(teams, card, "Where you disagree")
    assert "Member 1" in revealed and "Member 2" in revealed
    assert "Ana" not in revealed and "Ben" not in revealed
