"""The summary streamed in the DM (the Messages tab), over signed HTTP: where the person types
in a thread of the DM (each message they send there starts one), a summary the turn brings is
streamed into that thread; typed at the top of the DM or clicked, it is posted whole beside the
questions, as before. A refused or broken stream still leaves exactly one whole summary."""

from __future__ import annotations

from bot.slack.agent import PROMPTS, SUMMARY_STATUS
from tests.bot.slack.agent_walk import CHART_SECONDS, is_summary_blocks, streamed, walk
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.slack_agent import Streamed
from tests.support.slack_signing import message_event, next_ts
from tests.support.slack_standin import Call

SHOW_LAST = PROMPTS[2].message  # "Show my last result": the summary again


async def finished_in_a_dm(slack: SlackHarness) -> tuple[str, str, str, Call]:
    """A person who walked a whole assessment in their DM (by buttons, the volume typed):
    their id, the DM, their first message's ts and the posted summary."""
    user = new_user()
    dm, root = f"D{user}", next_ts()
    await slack.event(message_event(user, PROMPTS[0].message, dm, ts=root))
    summary = await walk(slack, user, dm)
    assert isinstance(summary, Call) and "thread_ts" not in summary.payload  # clicked: whole
    await slack.eventually(lambda: slack.standin.files.shared, within=CHART_SECONDS)
    return user, dm, root, summary


async def test_typed_in_a_dm_thread_the_summary_streams_there(slack: SlackHarness) -> None:
    user, dm, root, summary = await finished_in_a_dm(slack)
    posted = len(slack.summaries(dm))
    await slack.event(message_event(user, SHOW_LAST, dm, thread_ts=root, ts=next_ts()))
    [again] = await slack.eventually(
        lambda: [s for s in streamed(slack, dm) if is_summary_blocks(s.blocks)]
    )
    assert isinstance(again, Streamed) and again.thread_ts == root
    assert "plan" in {b["type"] for b in again.blocks}  # the newer blocks, as in a channel
    [start] = slack.standin.calls_to("chat.startStream")
    assert start.payload["channel"] == dm and start.payload["thread_ts"] == root
    # The status line hung on the thread and was cleared once the summary and chart landed.
    await slack.eventually(
        lambda: slack.standin.agent.statuses.get((dm, root), [])[1:], within=CHART_SECONDS
    )
    assert slack.standin.agent.statuses[(dm, root)] == [SUMMARY_STATUS, ""]
    # Streamed, not posted as well; the chart (the one uploaded with the first summary, the
    # figures being the same) followed it into the thread.
    assert len(slack.summaries(dm)) == posted
    [chart] = slack.standin.files.shared
    [again] = [c for c in slack.posts(dm) if c.payload.get("thread_ts") == root]
    assert again.payload["blocks"][0]["slack_file"] == {"id": chart.file_id}
    assert summary.payload["text"].startswith("Your summary: ")
    assert slack.standin.card_problems == []


async def test_typed_at_the_top_of_the_dm_the_summary_is_posted_whole(
    slack: SlackHarness,
) -> None:
    user, dm, _, summary = await finished_in_a_dm(slack)
    await slack.event(message_event(user, SHOW_LAST, dm, ts=next_ts()))
    again = await slack.eventually(lambda: slack.summaries(dm)[1:])
    assert again[0].payload["text"] == summary.payload["text"]
    assert "thread_ts" not in again[0].payload
    assert slack.standin.calls_to("chat.startStream") == []
    assert slack.standin.card_problems == []


async def test_a_refused_stream_in_the_dm_posts_the_summary_whole_once(
    slack: SlackHarness,
) -> None:
    user, dm, root, summary = await finished_in_a_dm(slack)
    slack.standin.fail("chat.startStream", error="not_allowed")
    await slack.event(message_event(user, SHOW_LAST, dm, thread_ts=root, ts=next_ts()))
    again = await slack.eventually(lambda: slack.summaries(dm)[1:])
    assert [c.payload["text"] for c in again] == [summary.payload["text"]]  # once, whole
    assert "thread_ts" not in again[0].payload  # at the top of the DM, beside the questions
    assert streamed(slack, dm) == []
    # The status line is cleared last, once the chart has landed: the turn is over, and the
    # summary was posted once.
    await slack.eventually(
        lambda: slack.standin.agent.statuses.get((dm, root), [])[1:], within=CHART_SECONDS
    )
    assert len(slack.summaries(dm)) == 2
    assert slack.standin.card_problems == []


async def test_a_stream_broken_off_in_the_dm_is_finished_whole(slack: SlackHarness) -> None:
    user, dm, root, _ = await finished_in_a_dm(slack)
    slack.standin.fail("chat.appendStream", error="internal_error")
    await slack.event(message_event(user, SHOW_LAST, dm, thread_ts=root, ts=next_ts()))
    [start] = await slack.standin.wait_for("chat.startStream")
    ts = start.result.get("ts") or ""

    def finished() -> list[Call]:
        return slack.updates(start.result.get("ts") or "-")

    [update] = await slack.eventually(finished)
    assert ts and is_summary_blocks(update.payload["blocks"]) and update.text_fallback
    await slack.eventually(
        lambda: slack.standin.agent.statuses.get((dm, root), [])[1:], within=CHART_SECONDS
    )
    assert len(slack.summaries(dm)) == 1  # the first one only: not posted a second time
    assert slack.standin.card_problems == []
