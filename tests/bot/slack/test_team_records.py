"""Team mode in Slack (issue 14), what is kept of a team: the channel's team history (newest first,
with what changed), and a member's `forget` taking their answers out of the team."""

from __future__ import annotations

import json

import pytest

from bot.slack.team_render import TEAM_JOIN
from dialogs.team_session import TeamBook, TeamRef
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.team_rig import (
    CARD_WAIT,
    answer_all,
    click_card,
    latest_card,
    own_channel_in,
    start_team,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_standin import TEAM_ID

# The test's own channel (see team_rig.py), set by own_channel.
CHANNEL = "CTEAM"


@pytest.fixture(autouse=True)
def own_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    own_channel_in(monkeypatch, globals())


async def test_team_history_lists_the_channels_teams_and_what_changed(
    slack: SlackHarness,
) -> None:
    status, _ = await slack.command(new_user(), "team history", channel=CHANNEL)
    assert status == 200
    await slack.eventually(
        lambda: any("No team assessments" in json.dumps(c.payload) for c in slack.responses())
    )
    pairs = (("First", "regulated"), ("Second", "public"))
    for title, sensitivity in pairs:
        facilitator, ana = new_user(), new_user()
        before = len(slack.posts(CHANNEL))
        status, _ = await slack.command(facilitator, f"team {title}", channel=CHANNEL)
        posted = await slack.eventually(lambda before=before: slack.posts(CHANNEL)[before:])
        card = posted[0]
        for user in (facilitator, ana):
            await click_card(slack, user, card, TEAM_JOIN)
            await slack.eventually(lambda user=user: slack.questions("D" + user))
            await answer_all(slack, user, {**FULL_ANSWERS, "data_sensitivity": sensitivity})
        await slack.eventually(
            lambda card=card: "The team's advice" in latest_card(slack, card), within=CARD_WAIT
        )
    status, _ = await slack.command(new_user(), "team history", channel=CHANNEL)
    listed = await slack.eventually(
        lambda: next(
            (
                c.payload["text"]
                for c in slack.responses()
                if "newest first" in c.payload.get("text", "")
            ),
            None,
        )
    )
    assert listed.index("*Second*") < listed.index("*First*")
    assert "changed from" in listed or "the same advice as the one before" in listed


async def test_a_members_forget_takes_their_answers_out_of_the_team(slack: SlackHarness) -> None:
    facilitator, ana, ben = new_user(), new_user(), new_user()
    card = await start_team(slack, facilitator)
    for user in (facilitator, ana, ben):
        await click_card(slack, user, card, TEAM_JOIN)
        await slack.eventually(lambda user=user: slack.questions("D" + user))
    await answer_all(slack, ana, dict(FULL_ANSWERS))
    await slack.eventually(lambda: "Finished (1)" in latest_card(slack, card), within=CARD_WAIT)

    dm = "D" + ana
    asked = len(slack.posts(dm))
    await slack.command(ana)  # her own assessment too, so `forget` has it to confirm against
    await slack.eventually(lambda: len(slack.posts(dm)) > asked + 1)
    status, _ = await slack.command(ana, "forget")
    assert status == 200
    confirm = await slack.eventually(
        lambda: next(
            (c for c in slack.posts(dm) if "cmd_yes" in json.dumps(c.payload.get("blocks", []))),
            None,
        )
    )
    yes = next(
        e
        for b in confirm.payload["blocks"]
        for e in b.get("elements", [])
        if isinstance(e, dict) and e.get("action_id") == "cmd_yes"
    )
    await slack.action(ana, "cmd_yes", yes["value"], channel=dm, message_ts=confirm.result["ts"])
    after = await slack.eventually(
        lambda: (t := latest_card(slack, card)) and "One member left" in t and t,
        within=CARD_WAIT,
    )
    assert f"<@{ana}>" not in after and "Finished (0)" in after
    ref = TeamRef(
        platform="slack", workspace=TEAM_ID, conversation=CHANNEL, thread=card.result["ts"]
    )
    assert await slack.advisor.peek(ref.member_key(ana)) is None
    team = await TeamBook(store=slack.advisor.store, ttl_seconds=60).load(ref)
    assert team is not None and team.seat(ana) is None and team.left == 1
