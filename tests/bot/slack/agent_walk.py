"""Walking an assessment to its summary when the summary may be streamed (Slack's agent
experience) rather than posted: for the agent tests of this folder."""

from __future__ import annotations

import json
from collections.abc import Mapping

from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_agent import Streamed
from tests.support.slack_signing import app_mention_event, next_ts
from tests.support.slack_standin import Call

# A wait that includes drawing the cost chart (CPU-bound, slow on a busy machine): the status
# line is cleared after it. A bound, not a timing: passing tests never wait this long.
CHART_SECONDS = 30.0


async def start_in_a_thread(slack: SlackHarness, user: str, channel: str) -> str:
    """An assessment started by an @mention in a new thread of `channel`; the thread's ts."""
    root = next_ts()
    await slack.event(app_mention_event(user, "", channel, ts=root))
    await slack.next_question(channel, 0)
    return root


def streamed(slack: SlackHarness, channel: str) -> list[Streamed]:
    """Finished streams in `channel`, oldest first."""
    return [s for s in slack.standin.agent.streams.values() if s.channel == channel and s.stopped]


def shown_questions(slack: SlackHarness, channel: str) -> list[Call]:
    """The questions Slack took (a workspace without the agent features refuses the first
    one's plan, and the question is posted again without it)."""
    return [q for q in slack.questions(channel) if q.result.get("ok", True)]


def is_summary_blocks(blocks: list[dict[str, object]]) -> bool:
    return any(str(b.get("block_id", "")).startswith("summary_actions") for b in blocks)


async def walk(
    slack: SlackHarness,
    user: str,
    channel: str,
    thread_ts: str | None = None,
    *,
    answers: Mapping[str, str] = FULL_ANSWERS,
) -> Call | Streamed:
    """Answer every question (buttons, and typing the volume) until the summary lands: the
    posted summary's call, or the finished stream."""
    asked = 0
    while True:

        def next_step(asked: int = asked) -> Call | Streamed | None:
            questions = shown_questions(slack, channel)[asked:]
            if questions:
                return questions[0]
            posted = slack.summaries(channel)
            if posted:
                return posted[0]
            done = [s for s in streamed(slack, channel) if is_summary_blocks(s.blocks)]
            return done[0] if done else None

        step: Call | Streamed = await slack.eventually(next_step)
        if isinstance(step, Streamed) or slack.is_summary(step):
            return step
        buttons = slack.question_buttons(step)
        qid = json.loads(next(iter(buttons.values()))["value"])["q"] if buttons else ""
        ts = step.result["ts"]
        if not buttons:  # the monthly volume, typed
            if thread_ts:
                await slack.thread_message(user, "2B", channel, thread_ts)
            else:
                await slack.dm(user, "2B")
        else:
            button = buttons[answers[qid]]
            status, _ = await slack.action(
                user,
                button["action_id"],
                button["value"],
                channel=channel,
                message_ts=ts,
                thread_ts=thread_ts,
            )
            assert status == 200
        await slack.eventually(lambda ts=ts: slack.updates(ts))  # type: ignore[misc]
        asked += 1


async def walk_without_agent_features(slack: SlackHarness, channel: str) -> Call:
    """In a workspace without the agent features: an assessment started in a thread of
    `channel` and walked to its summary, which is posted (not streamed)."""
    slack.standin.agent.enabled = False
    user = new_user()
    root = await start_in_a_thread(slack, user, channel)
    summary = await walk(slack, user, channel, thread_ts=root)
    assert isinstance(summary, Call)
    return summary
