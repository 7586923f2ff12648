"""The summary in Slack's agent experience, over signed HTTP: a status line while it is put
together (cleared when it has landed), streamed into a thread where the workspace can, posted
whole where it cannot (or the stream breaks off), and the edit and share flows unchanged."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from bot.slack.agent import SUMMARY_STATUS, UNSUPPORTED
from bot.slack.texts import FAILED, SLOW, UNAVAILABLE
from tests.bot.slack.agent_walk import (
    CHART_SECONDS,
    is_summary_blocks,
    start_in_a_thread,
    streamed,
    walk,
    walk_without_agent_features,
)
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.slack_agent import Streamed
from tests.support.slack_standin import Call


async def test_the_summary_streams_into_the_thread(slack: SlackHarness) -> None:
    user, channel = new_user(), "C1"
    root = await start_in_a_thread(slack, user, channel)
    summary = await walk(slack, user, channel, thread_ts=root)
    assert isinstance(summary, Streamed)
    assert summary.thread_ts == root and is_summary_blocks(summary.blocks)
    assert slack.summaries(channel) == []  # not posted as well
    # Streamed a few blocks at a time, to the person, in their thread.
    [start] = slack.standin.calls_to("chat.startStream")
    assert start.payload["recipient_user_id"] == user and start.payload["thread_ts"] == root
    assert len(slack.standin.calls_to("chat.appendStream")) >= 3
    # The status line showed while the summary was put together, and was cleared after.
    await slack.eventually(
        lambda: slack.standin.agent.statuses.get((channel, root), [])[1:], within=CHART_SECONDS
    )
    assert slack.standin.agent.statuses[(channel, root)] == [SUMMARY_STATUS, ""]
    [chart] = await slack.eventually(lambda: slack.standin.files.shared, within=CHART_SECONDS)
    assert chart.thread_ts == root
    assert slack.standin.card_problems == []


async def test_a_streamed_summary_can_be_shared_and_edited(slack: SlackHarness) -> None:
    user, channel = new_user(), "C1"
    root = await start_in_a_thread(slack, user, channel)
    summary = await walk(slack, user, channel, thread_ts=root)
    assert isinstance(summary, Streamed)
    actions = next(b for b in summary.blocks if str(b.get("block_id", "")).startswith("summary_"))
    await slack.action(
        user,
        "summary_share",
        None,
        channel=channel,
        message_ts=summary.ts,
        thread_ts=root,
        block_id=actions["block_id"],
        action_type="conversations_select",
        selected_conversation="C900",
    )
    shared = await slack.eventually(lambda: slack.posts("C900"))
    assert "Shared by" in json.dumps(shared[0].payload["blocks"])
    edit = next(e for e in actions["elements"] if e["action_id"] == "summary_edit")
    option = edit["options"][0]
    before = len(slack.questions(channel))
    await slack.action(
        user,
        "summary_edit",
        None,
        channel=channel,
        message_ts=summary.ts,
        thread_ts=root,
        block_id=actions["block_id"],
        action_type="static_select",
        selected_option=option,
    )
    await slack.next_question(channel, before)  # the question asked again, to change it
    assert slack.standin.card_problems == []


@pytest.mark.parametrize("refusal", sorted(UNSUPPORTED)[:3])
async def test_where_streams_are_refused_the_summary_is_posted_whole(
    slack: SlackHarness, refusal: str
) -> None:
    slack.standin.fail("chat.startStream", error=refusal)
    user, channel = new_user(), "C1"
    root = await start_in_a_thread(slack, user, channel)
    summary = await walk(slack, user, channel, thread_ts=root)
    assert isinstance(summary, Call) and summary.payload["thread_ts"] == root
    assert summary.text_fallback and "Your summary" in summary.payload["text"]
    assert streamed(slack, channel) == []
    # Nobody is told anything went wrong; the status line is cleared all the same.
    texts = [c.payload.get("text", "") for c in slack.posts(channel)]
    assert not [t for t in texts if t in (FAILED, SLOW, UNAVAILABLE)]
    await slack.eventually(
        lambda: slack.standin.agent.statuses.get((channel, root), [])[1:], within=CHART_SECONDS
    )
    assert slack.standin.card_problems == []


async def test_a_workspace_without_the_agent_features_gets_the_summary_as_before(
    slack: SlackHarness,
) -> None:
    channel = "C1"
    await walk_without_agent_features(slack, channel)
    # The first question's plan was refused (tests/bot/slack/test_agent_progress.py): neither
    # the status line nor the stream was even tried after that.
    assert slack.standin.calls_to("assistant.threads.setStatus") == []
    assert slack.standin.calls_to("chat.startStream") == []
    assert slack.standin.card_problems == []


async def test_a_stream_that_breaks_off_is_finished_whole(slack: SlackHarness) -> None:
    slack.standin.fail("chat.appendStream", error="internal_error")
    user, channel = new_user(), "C1"
    root = await start_in_a_thread(slack, user, channel)
    await walk_until_update(slack, user, channel, root)
    [start] = slack.standin.calls_to("chat.startStream")
    ts = start.result["ts"]
    [finished] = slack.updates(ts)
    assert is_summary_blocks(finished.payload["blocks"]) and finished.text_fallback
    assert slack.standin.card_problems == []


async def walk_until_update(slack: SlackHarness, user: str, channel: str, root: str) -> None:
    """Walk until the stream was started and then finished with chat.update (the stream never
    stops, its append having failed, so `walk` alone would wait for a summary in vain)."""

    def finished() -> list[Call]:
        started = {c.result.get("ts") for c in slack.standin.calls_to("chat.startStream")}
        return [c for c in slack.standin.calls_to("chat.update") if c.payload.get("ts") in started]

    walker = asyncio.ensure_future(walk(slack, user, channel, thread_ts=root))
    try:
        await slack.eventually(finished, within=30)
    finally:
        walker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await walker


async def test_in_a_dm_the_status_hangs_on_the_last_answer_and_the_summary_is_posted(
    slack: SlackHarness,
) -> None:
    user = new_user()
    channel = f"D{user}"
    await slack.dm(user, "Should we build our own LLM?")
    summary = await walk(slack, user, channel)
    assert isinstance(summary, Call) and "thread_ts" not in summary.payload
    last_question = slack.questions(channel)[-1].result["ts"]
    await slack.eventually(
        lambda: slack.standin.agent.statuses.get((channel, last_question), [])[1:]
    )
    assert slack.standin.agent.statuses[(channel, last_question)] == [SUMMARY_STATUS, ""]
    assert slack.standin.calls_to("chat.startStream") == []  # streams need a thread
    assert slack.standin.card_problems == []


async def test_a_passing_fault_on_the_status_line_changes_nothing_else(
    slack: SlackHarness,
) -> None:
    slack.standin.fail("assistant.threads.setStatus", error="internal_error")
    user, channel = new_user(), "C1"
    root = await start_in_a_thread(slack, user, channel)
    summary = await walk(slack, user, channel, thread_ts=root)
    # Not a refusal of the feature: the summary still streams, and no clear follows a status
    # that never showed.
    assert isinstance(summary, Streamed)
    await slack.eventually(
        lambda: slack.standin.files.shared, within=CHART_SECONDS
    )  # the last step of the turn
    assert (channel, root) not in slack.standin.agent.statuses
    assert len(slack.standin.calls_to("assistant.threads.setStatus")) == 1
    assert slack.standin.card_problems == []
