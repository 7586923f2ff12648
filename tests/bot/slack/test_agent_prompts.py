"""The Messages tab's suggested prompts (Slack's agent experience), over signed HTTP: set when
the tab opens and when the person's context changes, each one doing something when sent, and
a workspace without the feature carrying on as before."""

from __future__ import annotations

import json

from bot.slack.agent import PROMPTS
from bot.slack.team_home import HOME_TEAM, TEAM_VIEW
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.slack_signing import app_home_opened_event, event_payload
from tests.support.slack_standin import TEAM_ID


def context_changed(harness: SlackHarness, user: str) -> str:
    """app_context_changed as Slack's reference shows it: the person only in authorizations."""
    event = {
        "type": "app_context_changed",
        "context": {
            "entities": [{"type": "slack#/types/channel_id", "value": "C77", "team_id": TEAM_ID}]
        },
    }
    body = event_payload(event, harness.next_id("Ev"))
    body["authorizations"] = [
        {"team_id": TEAM_ID, "user_id": user, "is_bot": False, "is_enterprise_install": False}
    ]
    return json.dumps(body)


async def test_the_messages_tab_opens_with_the_four_prompts(slack: SlackHarness) -> None:
    user = new_user()
    status, _ = await slack.event(app_home_opened_event(user, tab="messages"))
    assert status == 200
    await slack.standin.wait_for("assistant.threads.setSuggestedPrompts")
    [prompts] = slack.standin.agent.prompts[f"D{user}"]
    assert [p["title"] for p in prompts] == [
        "Should we build our own LLM?",
        "Start a team assessment",
        "Show my last result",
        "What does it cost at 2B tokens a month?",
    ]
    assert slack.standin.calls_to("views.publish") == []  # that is the Home tab's
    assert slack.standin.card_problems == []


async def test_prompts_are_set_again_when_the_context_changes(slack: SlackHarness) -> None:
    user = new_user()
    status, _ = await slack.post(context_changed(slack, user), content_type="application/json")
    assert status == 200
    await slack.standin.wait_for("assistant.threads.setSuggestedPrompts")
    assert len(slack.standin.agent.prompts[f"D{user}"]) == 1


async def test_without_the_feature_the_tab_still_works_and_is_not_asked_again(
    slack: SlackHarness,
) -> None:
    slack.standin.agent.enabled = False
    user = new_user()
    await slack.event(app_home_opened_event(user, tab="messages"))
    await slack.standin.wait_for("assistant.threads.setSuggestedPrompts")
    await slack.event(app_home_opened_event(user, tab="messages"))
    await slack.event(app_home_opened_event(user, tab="home"))
    await slack.standin.wait_for("views.publish")
    # The workspace is remembered as without the feature: one refused call, nobody told.
    assert len(slack.standin.calls_to("assistant.threads.setSuggestedPrompts")) == 1
    assert slack.posts() == [] and slack.standin.card_problems == []


async def test_each_prompt_opens_the_assessment_for_someone_new(slack: SlackHarness) -> None:
    """Before any result, every prompt leads to the first question ("Show my last result"
    after a summary shows it again: tests/bot/slack/test_agent_walkthrough.py)."""
    for prompt in PROMPTS:
        user = new_user()
        await slack.dm(user, prompt.message)
        await slack.next_question(f"D{user}", 0)
        said = [c.payload["text"] for c in slack.posts(f"D{user}")]
        # The team and cost prompts first say how to get what they ask for, then start.
        assert (said[0] == prompt.note) is bool(prompt.note)
    team, cost = PROMPTS[1], PROMPTS[3]
    assert "`/llm-advisor team`" in team.note and "`2B`" in cost.note
    assert slack.standin.card_problems == []


async def test_the_team_prompt_offers_the_button_that_picks_a_channel(slack: SlackHarness) -> None:
    """The "Start a team assessment" prompt says how, with the App Home's "Decide as a team"
    button: its click in the DM opens the modal that asks for the channel
    (tests/bot/slack/test_team_home.py walks the modal itself)."""
    user = new_user()
    dm = f"D{user}"
    await slack.dm(user, "Start a team assessment")
    await slack.next_question(dm, 0)
    note = slack.posts(dm)[0]
    buttons = [e for b in note.payload["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [HOME_TEAM]
    status, _ = await slack.action(
        user, HOME_TEAM, "team", channel=dm, message_ts=note.result["ts"], block_id="team_offer"
    )
    assert status == 200
    [opened] = await slack.standin.wait_for("views.open")
    assert opened.payload["view"]["callback_id"] == TEAM_VIEW
    assert slack.standin.card_problems == []
