"""Team mode in Slack (issue 14), end to end over signed HTTP with the stand-in Web API and a real
Redis: the card, joining (as a member or an observer), answering privately in the DM, progress
without answers, the reveal once everyone is done (disagreements first), settling, the
facilitator-only controls, redelivered clicks acting once, and a typed answer going to the team
question asked last. The team history and a member's forget are in test_team_records.py."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.slack.team_render import (
    TEAM_CLOSE,
    TEAM_JOIN,
    TEAM_OBSERVE,
    TEAM_REMIND,
    TEAM_REVEAL,
    TEAM_SETTLE,
)
from dialogs.team_session import TeamRef
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.team_rig import (
    CARD_WAIT,
    answer_all,
    card_text,
    card_value,
    click_card,
    latest_card,
    own_channel_in,
    start_team,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_signing import block_actions_payload
from tests.support.slack_standin import TEAM_ID

# The test's own channel (see team_rig.py), set by own_channel.
CHANNEL = "CTEAM"


@pytest.fixture(autouse=True)
def own_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    own_channel_in(monkeypatch, globals())


async def test_three_members_and_an_observer_from_start_to_settle(slack: SlackHarness) -> None:
    facilitator, ana, ben, olga = new_user(), new_user(), new_user(), new_user()
    card = await start_team(slack, facilitator)
    text = card_text(card)
    assert "Support bot" in text and f"<@{facilitator}>" in text
    for action in (TEAM_JOIN, TEAM_OBSERVE, TEAM_REVEAL, TEAM_REMIND, TEAM_CLOSE):
        assert action in text

    # Three members join (the facilitator too), one observer watches.
    for user in (facilitator, ana, ben):
        await click_card(slack, user, card, TEAM_JOIN)
        await slack.eventually(lambda user=user: slack.questions("D" + user))
    await click_card(slack, olga, card, TEAM_OBSERVE)
    await slack.eventually(
        lambda: any("watching" in c.payload["text"] for c in slack.ephemerals(olga))
    )
    assert not slack.questions("D" + olga)  # observers never answer
    await slack.eventually(lambda: "Watching (1)" in latest_card(slack, card), within=CARD_WAIT)

    # Only the facilitator may reveal: anyone else is told so, privately.
    await click_card(slack, ana, card, TEAM_REVEAL)
    await slack.eventually(lambda: any("Only" in c.payload["text"] for c in slack.ephemerals(ana)))

    # They answer privately, differing on data sensitivity and budget.
    mine = dict(FULL_ANSWERS)
    anas = {**FULL_ANSWERS, "data_sensitivity": "public", "budget": "under_10k"}
    bens = {**FULL_ANSWERS, "data_sensitivity": "public"}
    await answer_all(slack, facilitator, mine)
    await answer_all(slack, ana, anas)
    progress = await slack.eventually(
        lambda: (t := latest_card(slack, card)) and "Finished (2)" in t and t,
        within=CARD_WAIT,
    )
    assert "Still answering (1)" in progress
    assert f"<@{ben}>" in progress and "Where you disagree" not in progress
    assert "Public or non-sensitive" not in progress  # answers stay hidden

    await answer_all(slack, ben, bens)
    revealed = await slack.eventually(
        lambda: (t := latest_card(slack, card)) and "Where you disagree" in t and t,
        within=CARD_WAIT,
    )
    assert revealed.index("Where you disagree") < revealed.index("The team's advice")
    assert "Public or non-sensitive" in revealed and f"<@{ana}>" in revealed
    assert "Each member's own advice" in revealed
    assert not slack.standin.card_problems

    # Settling: only the facilitator; the card says which answer the team goes with.
    settle_value = json.dumps({"q": "budget", "o": "under_10k"}, separators=(",", ":"))
    for user in (ana, facilitator):
        payload = block_actions_payload(
            user_id=user,
            action_id=TEAM_SETTLE,
            value=None,
            channel_id=CHANNEL,
            message_ts=card.result["ts"],
            action_type="static_select",
            selected_option={"value": settle_value, "text": {"type": "plain_text", "text": "x"}},
            trigger_id=slack.next_id("trig"),
        )
        body = urlencode({"payload": json.dumps(payload)})
        status, _ = await slack.post(body, content_type="application/x-www-form-urlencoded")
        assert status == 200
    await slack.eventually(
        lambda: "Settled: _Under $10k" in latest_card(slack, card), within=CARD_WAIT
    )
    assert any("Only" in c.payload["text"] for c in slack.ephemerals(ana))
    # One card: posted once in the channel, updated in place since.
    assert len(slack.posts(CHANNEL)) == 1


async def test_a_redelivered_join_acts_once(slack: SlackHarness) -> None:
    facilitator, ana = new_user(), new_user()
    card = await start_team(slack, facilitator)
    payload = block_actions_payload(
        user_id=ana,
        action_id=TEAM_JOIN,
        value=card_value(card, TEAM_JOIN),
        channel_id=CHANNEL,
        message_ts=card.result["ts"],
        trigger_id=slack.next_id("trig"),
    )
    body = urlencode({"payload": json.dumps(payload)})
    for _ in range(3):
        status, _ = await slack.post(body, content_type="application/x-www-form-urlencoded")
        assert status == 200
    await slack.eventually(lambda: slack.questions("D" + ana))
    await slack.eventually(
        lambda: "Still answering (1)" in latest_card(slack, card), within=CARD_WAIT
    )
    joined = [c for c in slack.posts("D" + ana) if "You joined" in c.payload.get("text", "")]
    assert len(joined) == 1 and len(slack.questions("D" + ana)) == 1

    # Her first answer, delivered three times: answered once, the next question asked once.
    first = slack.questions("D" + ana)[0]
    button = next(iter(slack.question_buttons(first).values()))
    payload = block_actions_payload(
        user_id=ana,
        action_id=button["action_id"],
        value=button["value"],
        channel_id="D" + ana,
        message_ts=first.result["ts"],
        trigger_id=slack.next_id("trig"),
    )
    body = urlencode({"payload": json.dumps(payload)})
    for _ in range(3):
        status, _ = await slack.post(body, content_type="application/x-www-form-urlencoded")
        assert status == 200
    await slack.next_question("D" + ana, 1)
    await slack.eventually(lambda: slack.updates(first.result["ts"]))
    assert len(slack.questions("D" + ana)) == 2
    ref = TeamRef(
        platform="slack", workspace=TEAM_ID, conversation=CHANNEL, thread=card.result["ts"]
    )
    session = await slack.advisor.peek(ref.member_key(ana))
    assert session is not None and len(session.answers) == 1


async def test_the_command_replayed_posts_one_card_and_a_dm_is_refused(
    slack: SlackHarness,
) -> None:
    facilitator = new_user()
    status, _ = await slack.command(facilitator, "team", channel="D" + facilitator)
    assert status == 200
    await slack.eventually(
        lambda: any("in a channel" in json.dumps(c.payload) for c in slack.responses())
    )
    assert not slack.posts("D" + facilitator)


async def test_facilitator_controls_remind_reveal_early_and_close(slack: SlackHarness) -> None:
    facilitator, ana, ben = new_user(), new_user(), new_user()
    card = await start_team(slack, facilitator, "team anonymous Pricing assistant")
    assert "anonymous" in card_text(card)
    for user in (facilitator, ana, ben):
        await click_card(slack, user, card, TEAM_JOIN)
        await slack.eventually(lambda user=user: slack.questions("D" + user))

    # Nobody finished: nothing to reveal yet.
    await click_card(slack, facilitator, card, TEAM_REVEAL)
    await slack.eventually(
        lambda: any("nothing to reveal" in c.payload["text"] for c in slack.ephemerals(facilitator))
    )

    # Back works in a team question: the first answer is asked again.
    dm = "D" + ana
    first = slack.questions(dm)[0]
    button = next(iter(slack.question_buttons(first).values()))
    await slack.action(
        ana, button["action_id"], button["value"], channel=dm, message_ts=first.result["ts"]
    )
    second = await slack.next_question(dm, 1)
    back = next(
        e
        for b in second.payload["blocks"]
        for e in b.get("elements", [])
        if isinstance(e, dict) and e.get("action_id") == "cmd_back"
    )
    await slack.action(ana, "cmd_back", back["value"], channel=dm, message_ts=second.result["ts"])
    again = await slack.next_question(dm, 2)
    assert slack.question_buttons(again).keys() == slack.question_buttons(first).keys()

    # A click on someone else's team question acts on nothing of theirs.
    status, _ = await slack.action(
        ben, button["action_id"], button["value"], channel="D" + ben, message_ts=first.result["ts"]
    )
    assert status == 200
    await slack.eventually(
        lambda: any("could not be read" in c.payload["text"] for c in slack.ephemerals(ben))
    )

    # Remind: everyone else still answering gets one DM; a second click within the hour sends none.
    await click_card(slack, facilitator, card, TEAM_REMIND)
    await slack.eventually(
        lambda: any("Reminded 2" in c.payload["text"] for c in slack.ephemerals(facilitator))
    )
    await click_card(slack, facilitator, card, TEAM_REMIND)
    await slack.eventually(
        lambda: any(
            "within the last hour" in c.payload["text"] for c in slack.ephemerals(facilitator)
        )
    )
    for user in (ana, ben):
        reminders = [c for c in slack.posts("D" + user) if "reminder" in c.payload.get("text", "")]
        assert len(reminders) == 1
    await click_card(slack, ben, card, TEAM_REMIND)
    await slack.eventually(lambda: any("Only" in c.payload["text"] for c in slack.ephemerals(ben)))

    # The facilitator finishes and reveals early, twice (a double click): one reveal.
    await answer_all(slack, facilitator, dict(FULL_ANSWERS))
    await slack.eventually(lambda: "Finished (1)" in latest_card(slack, card), within=CARD_WAIT)
    await click_card(slack, facilitator, card, TEAM_REVEAL)
    await click_card(slack, facilitator, card, TEAM_REVEAL)
    shown = await slack.eventually(
        lambda: (t := latest_card(slack, card)) and "The team's advice" in t and t,
        within=CARD_WAIT,
    )
    assert "Revealed with 1 of 3" in shown and "Member 1" in shown
    assert f"<@{ana}>" not in shown  # anonymous: no member is named beside the results
    await slack.eventually(
        lambda: any("revealed already" in c.payload["text"] for c in slack.ephemerals(facilitator))
    )

    # Closing: the card says so, and a member's next click is refused.
    await click_card(slack, facilitator, card, TEAM_CLOSE)
    await slack.eventually(lambda: "is closed" in latest_card(slack, card), within=CARD_WAIT)
    latest = slack.questions("D" + ben)[-1]
    button = next(iter(slack.question_buttons(latest).values()))
    await slack.action(
        ben, button["action_id"], button["value"], channel="D" + ben, message_ts=latest.result["ts"]
    )
    await slack.eventually(
        lambda: any("closed" in c.payload["text"] for c in slack.ephemerals(ben))
    )
    assert len(slack.posts(CHANNEL)) == 1
    assert not slack.standin.card_problems


async def test_a_typed_answer_goes_to_the_question_asked_last_and_says_which(
    slack: SlackHarness,
) -> None:
    ana, facilitator = new_user(), new_user()
    dm = "D" + ana
    status, _ = await slack.command(ana)  # her own assessment, first question in the DM
    assert status == 200
    await slack.eventually(lambda: slack.questions(dm))
    card = await start_team(slack, facilitator)
    await click_card(slack, ana, card, TEAM_JOIN)
    await slack.eventually(lambda: len(slack.questions(dm)) == 2)

    await slack.dm(ana, "3")  # the team's first question was asked last: it takes the answer
    await slack.eventually(lambda: len(slack.questions(dm)) == 3)
    said = [c.payload.get("text", "") for c in slack.posts(dm)]
    assert any("Taken as your answer to the team assessment *Support bot*" in t for t in said)
    ref = TeamRef(
        platform="slack", workspace=TEAM_ID, conversation=CHANNEL, thread=card.result["ts"]
    )
    team_session = await slack.advisor.peek(ref.member_key(ana))
    own = await slack.advisor.peek(
        SessionKey(platform="slack", workspace=TEAM_ID, conversation=dm, user=ana)
    )
    assert team_session is not None and team_session.answers == {"stage": "live"}
    assert own is not None and own.answers == {}
    assert "Team assessment" in card_text(slack.questions(dm)[-1])
