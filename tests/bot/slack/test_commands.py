"""Every /llm-advisor subcommand, the App Home tab, and sharing a summary into a channel."""

from __future__ import annotations

import json

import pytest

from bot.slack.delivery import Place
from bot.slack.texts import USAGE
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.test_dm import click_through
from tests.support.slack_signing import app_home_opened_event


@pytest.mark.parametrize("text", ["help", "frobnicate", "status please now"])
async def test_help_and_unknown_subcommands_answer_with_the_usage(
    slack: SlackHarness, text: str
) -> None:
    status, body = await slack.command(new_user(), text)
    assert status == 200
    reply = json.loads(body)
    assert reply["response_type"] == "ephemeral" and reply["text"] == USAGE


async def test_start_opens_a_dm_and_resumes_it(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await slack.command(user)
    first = await slack.next_question(dm, 0)
    await slack.dm(user, "live")
    await slack.next_question(dm, 1)
    posts_before = len(slack.posts(dm))
    status, body = await slack.command(user, "resume")
    assert status == 200 and "direct messages" in body
    welcome = await slack.eventually(lambda: slack.posts(dm)[posts_before:])
    assert "Welcome back" in welcome[0].payload["text"]
    assert slack.standin.calls_to("conversations.open")[0].payload["users"] == user
    assert first.payload["channel"] == dm


async def test_status_and_results(slack: SlackHarness) -> None:
    user = new_user()
    await slack.command(user)
    await slack.next_question("D" + user, 0)
    await slack.dm(user, "live")
    await slack.next_question("D" + user, 1)  # the answer's turn runs after its ack
    await slack.command(user, "status")
    status = await slack.eventually(slack.responses)
    assert (
        "1 of 24" in status[0].payload["text"] and status[0].payload["response_type"] == "ephemeral"
    )
    await slack.command(user, "results")
    results = await slack.eventually(lambda: slack.responses()[1:])
    assert "No summary yet" in results[0].payload["text"]


async def test_results_after_finishing(slack: SlackHarness) -> None:
    user = new_user()
    await slack.command(user)
    await click_through(slack, user, "D" + user)
    await slack.command(user, "results")
    results = await slack.eventually(slack.responses)
    assert "Fine-tune" in results[0].payload["text"]
    assert slack.standin.card_problems == []


async def test_restart_asks_to_confirm_with_buttons(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await slack.next_question(dm, 0)
    await slack.dm(user, "live")
    await slack.next_question(dm, 1)
    status, body = await slack.command(user, "restart")
    assert status == 200 and "confirm" in body
    confirm = await slack.eventually(
        lambda: [c for c in slack.posts(dm) if "Start over?" in c.payload["text"]]
    )
    yes = next(
        e
        for b in confirm[0].payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "cmd_yes"
    )
    await slack.action(
        user, "cmd_yes", yes["value"], channel=dm, message_ts=confirm[0].result["ts"]
    )
    restarted = await slack.eventually(
        lambda: [c for c in slack.posts(dm) if "Starting over" in c.payload["text"]]
    )
    assert restarted
    session = await slack.advisor.peek(_dm_key(user))
    assert session is not None and session.answers == {}


async def test_app_home_shows_a_start_button_then_the_latest_result(slack: SlackHarness) -> None:
    user = new_user()
    await slack.event(app_home_opened_event(user))
    view = (await slack.standin.wait_for("views.publish"))[0].payload["view"]
    assert view["type"] == "home"
    assert "home_start" in json.dumps(view) and "Start my assessment" in json.dumps(view)
    start = next(e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"])
    await slack.action(user, "home_start", start["value"], channel="D" + user, message_ts="0")
    await click_through(slack, user, "D" + user)
    await slack.event(app_home_opened_event(user))
    views = await slack.standin.wait_for("views.publish", count=2)
    latest = json.dumps(views[-1].payload["view"])
    assert "Fine-tune an open-weight model" in latest and "Continue in a direct message" in latest
    assert slack.standin.card_problems == []


async def test_share_the_summary_into_a_channel(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await click_through(slack, user, dm)
    summary = slack.summaries(dm)[0]
    await slack.share(user, channel=dm, summary=summary, target="CSHARE")
    shared = await slack.eventually(lambda: slack.posts("CSHARE"))
    assert f"Shared by <@{user}>" in json.dumps(shared[0].payload["blocks"])
    assert "summary_actions" not in json.dumps(shared[0].payload["blocks"])  # no buttons for others
    note = await slack.eventually(lambda: slack.ephemerals(user))
    assert "Shared your summary in <#CSHARE>" in note[0].payload["text"]


async def test_share_into_a_channel_the_bot_is_not_in(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await click_through(slack, user, dm)
    summary = slack.summaries(dm)[0]
    slack.standin.fail("chat.postMessage", error="not_in_channel")
    await slack.share(user, channel=dm, summary=summary, target="CSECRET")
    note = await slack.eventually(lambda: slack.ephemerals(user))
    assert (
        "I can't post in <#CSECRET>" in note[0].payload["text"]
        and "/invite" in note[0].payload["text"]
    )


async def test_edit_an_answer_from_the_summary(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await click_through(slack, user, dm)
    summary = slack.summaries(dm)[0]
    block, select = next(
        (b, e)
        for b in summary.payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "summary_edit"
    )
    team = next(o for o in select["options"] if json.loads(o["value"])["q"] == "team")
    # The owner and stamp ride once on the block, not on each of the two dozen options.
    assert json.loads(team["value"]) == {"q": "team"} and user in block["block_id"]
    await slack.action(
        user,
        "summary_edit",
        None,
        channel=dm,
        message_ts=summary.result["ts"],
        action_type="static_select",
        selected_option=team,
        block_id=block["block_id"],
    )
    asked = await slack.eventually(
        lambda: [q for q in slack.questions(dm) if "strongest skills" in q.payload["text"]][1:]
    )
    button = slack.question_buttons(asked[0])["app_devs"]
    await slack.action(
        user, button["action_id"], button["value"], channel=dm, message_ts=asked[0].result["ts"]
    )
    updated = await slack.eventually(lambda: slack.summaries(dm)[1:])
    assert "Updated summary" in json.dumps(updated[0].payload["blocks"])
    assert "Retrieval" in updated[0].payload["text"] or "retrieval" in updated[0].payload["text"]


def _dm_key(user: str) -> SessionKey:
    return Place(team="T1", channel="D" + user, thread_ts="", user=user).key


async def test_forget_from_slack_after_confirmation(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await slack.next_question(dm, 0)
    await slack.dm(user, "live")
    await slack.next_question(dm, 1)  # the answer's turn is done before the command's
    status, body = await slack.command(user, "forget")
    assert status == 200 and "confirm deleting" in body
    confirm = await slack.eventually(
        lambda: [c for c in slack.posts(dm) if "cannot be undone" in c.payload["text"]]
    )
    yes = next(
        e
        for b in confirm[0].payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "cmd_yes"
    )
    assert yes["text"]["text"] == "Yes, delete them"
    await slack.action(
        user, "cmd_yes", yes["value"], channel=dm, message_ts=confirm[0].result["ts"]
    )
    done = await slack.eventually(
        lambda: [c for c in slack.posts(dm) if "Deleted 1 saved assessment" in c.payload["text"]]
    )
    assert done
    assert await slack.advisor.peek(_dm_key(user)) is None
