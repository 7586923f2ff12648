"""A whole assessment through the Messages tab of Slack's agent experience, over signed HTTP,
with the events as Slack sends them to an agent app: the tab opens (prompts pinned), a prompt
is picked (its message arrives as the person's top-level DM), answers by button and by typing
in the thread Slack opened under the person's message, the summary with its status line and
chart, prompts refreshed when the context changes, and the last result asked for again."""

from __future__ import annotations

import json

from bot.slack.agent import PROMPTS, SUMMARY_STATUS
from tests.bot.slack.agent_walk import CHART_SECONDS
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.test_agent_prompts import context_changed
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_signing import app_home_opened_event, message_event, next_ts
from tests.support.slack_standin import Call


async def test_a_whole_assessment_in_the_messages_tab(slack: SlackHarness) -> None:
    standin = slack.standin
    user = new_user()
    dm = f"D{user}"
    # The person opens the app's Messages tab: the prompts are pinned at the top.
    await slack.event(app_home_opened_event(user, tab="messages"))
    await standin.wait_for("assistant.threads.setSuggestedPrompts")
    [prompts] = standin.agent.prompts[dm]
    picked = prompts[0]
    assert picked["title"] == PROMPTS[0].title
    # They pick "Should we build our own LLM?": Slack sends its message as theirs.
    root = next_ts()
    await slack.event(message_event(user, picked["message"], dm, ts=root))
    first = await slack.next_question(dm, 0)
    assert "Question 1 of" in first.payload["text"]
    asked = 0
    while not slack.summaries(dm):
        question = await slack.eventually(
            lambda asked=asked: (slack.questions(dm)[asked:] or slack.summaries(dm) or [None])[0]
        )
        if slack.is_summary(question):
            break
        buttons = slack.question_buttons(question)
        if buttons:
            qid = json.loads(next(iter(buttons.values()))["value"])["q"]
            button = buttons[FULL_ANSWERS[qid]]
            await slack.action(
                user,
                button["action_id"],
                button["value"],
                channel=dm,
                message_ts=question.result["ts"],
            )
        else:  # the volume, typed in the thread Slack opened under their first message
            reply = message_event(user, "2B tokens a month", dm, thread_ts=root)
            await slack.event(reply)
        await slack.eventually(lambda ts=question.result["ts"]: slack.updates(ts))
        asked += 1
    # Every question showed the assessment's progress (tests/bot/slack/test_agent_progress.py).
    assert all(any(b["type"] == "plan" for b in q.payload["blocks"]) for q in slack.questions(dm))
    summary: Call = (await slack.eventually(lambda: slack.summaries(dm)))[0]
    assert summary.payload["text"].startswith("Your summary: ")
    assert "thread_ts" not in summary.payload  # the DM itself, as before
    # The status line hung on the message the last answer was given on, and was cleared.
    last = slack.questions(dm)[-1].result["ts"]
    await slack.eventually(
        lambda: standin.agent.statuses.get((dm, last), [])[1:], within=CHART_SECONDS
    )
    assert standin.agent.statuses[(dm, last)] == [SUMMARY_STATUS, ""]
    [chart] = await slack.eventually(lambda: standin.files.shared, within=CHART_SECONDS)
    assert chart.channel == dm
    # They look elsewhere in Slack and come back: the prompts are set again.
    await slack.post(context_changed(slack, user), content_type="application/json")
    await slack.eventually(lambda: standin.agent.prompts[dm][1:])
    # "Show my last result" shows the summary again.
    await slack.event(message_event(user, PROMPTS[2].message, dm, ts=next_ts()))
    again = await slack.eventually(lambda: slack.summaries(dm)[1:])
    assert again[0].payload["text"] == summary.payload["text"]
    # Asked for in the thread of their first message, it streams there, its chart shown
    # again (not uploaded again).
    await slack.event(message_event(user, PROMPTS[2].message, dm, thread_ts=root, ts=next_ts()))
    [streamed] = await slack.eventually(lambda: list(standin.agent.streams.values()))
    assert streamed.thread_ts == root
    await slack.eventually(
        lambda: [c for c in slack.posts(dm) if c.payload.get("thread_ts") == root],
        within=CHART_SECONDS,
    )
    assert len(standin.files.shared) == 1
    # The Home tab shows it too.
    await slack.event(app_home_opened_event(user, tab="home"))
    [home] = await standin.wait_for("views.publish")
    assert "Your build-vs-buy summary" in json.dumps(home.payload["view"])
    assert standin.card_problems == []
    assert all(c.text_fallback for c in standin.calls if c.text_fallback is not None)
