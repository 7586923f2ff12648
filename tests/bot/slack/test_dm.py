"""A whole assessment in a Slack DM, by buttons and by typing, through Bolt's real HTTP path."""

from __future__ import annotations

import json

from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.answers import FULL_ANSWERS, TYPED_ANSWERS


async def click_through(
    slack: SlackHarness, user: str, channel: str, thread_ts: str | None = None
) -> None:
    """Answer every question with its button (typing the one number question)."""
    asked = 0
    while True:
        question = await slack.eventually(
            lambda asked=asked: (
                (slack.questions(channel)[asked:] or [None])[0]
                or (slack.summaries(channel) or [None])[0]
            )
        )
        if slack.is_summary(question):
            return
        buttons = slack.question_buttons(question)
        qid = (
            json.loads(next(iter(buttons.values()))["value"])["q"] if buttons else "monthly_tokens"
        )
        ts = question.result["ts"]
        if qid == "monthly_tokens":
            if thread_ts:
                await slack.thread_message(user, FULL_ANSWERS[qid], channel, thread_ts)
            else:
                await slack.dm(user, "2B")
        else:
            button = buttons[FULL_ANSWERS[qid]]
            status, _ = await slack.action(
                user,
                button["action_id"],
                button["value"],
                channel=channel,
                message_ts=ts,
                thread_ts=thread_ts,
            )
            assert status == 200
        await slack.eventually(lambda ts=ts: slack.updates(ts))
        asked += 1


async def test_whole_assessment_by_buttons_in_a_dm(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    status, body = await slack.command(user)
    assert status == 200 and "direct messages" in body
    await click_through(slack, user, dm)
    summary = slack.summaries(dm)[0]
    text = json.dumps(summary.payload["blocks"])
    assert "Fine-tune an open-weight model" in text and "Cost parity only counts" in text
    questions = slack.questions(dm)
    asked = [
        json.loads(next(iter(slack.question_buttons(q).values()))["value"])["q"]
        for q in questions
        if slack.question_buttons(q)
    ]
    assert len(asked) == len(set(asked)), "a question was posted twice"
    for q in questions:
        assert len(slack.updates(q.result["ts"])) == 1, "each question message is updated once"
    assert slack.standin.card_problems == []
    assert all(c.text_fallback for c in slack.standin.calls if c.text_fallback is not None)


async def test_whole_assessment_by_typing_in_a_dm(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    status, _ = await slack.dm(user, "hello")
    assert status == 200
    first = await slack.next_question(dm, 0)
    assert "Where is the product" in first.payload["text"]
    assert any(b.get("type") == "header" for b in slack.posts(dm)[0].payload["blocks"])  # the intro
    for i, text in enumerate(TYPED_ANSWERS):
        await slack.next_question(dm, i)
        await slack.dm(user, text)
    summary = await slack.eventually(lambda: slack.summaries(dm))
    assert "Fine-tune" in summary[0].payload["text"]
    for q in slack.questions(dm):
        assert len(slack.updates(q.result["ts"])) == 1  # typed answers update the question in place
    assert slack.standin.card_problems == []


async def test_typed_commands_in_a_dm(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await slack.dm(user, "hi")
    first = await slack.next_question(dm, 0)
    await slack.dm(user, "live")
    second = await slack.next_question(dm, 1)
    for command, expected in (
        ("why", "Why we ask"),
        ("help", "Commands you can type"),
        ("status", "Progress"),
    ):
        count = len(slack.posts(dm))
        await slack.dm(user, command)
        posted = await slack.eventually(lambda count=count: slack.posts(dm)[count:])
        assert expected in posted[0].payload["text"]
    assert len(slack.questions(dm)) == 2  # the question on screen is not posted again
    await slack.dm(user, "back")
    again = await slack.next_question(dm, 2)
    assert "Where is the product" in again.payload["text"]
    assert "Your current answer: Live with steady usage" in json.dumps(again.payload["blocks"])
    # The question the person moved away from loses its buttons.
    closed = await slack.eventually(lambda: slack.updates(second.result["ts"]))
    assert "answers" not in json.dumps(closed[0].payload["blocks"])
    assert len(slack.updates(first.result["ts"])) == 1
    count = len(slack.posts(dm))
    await slack.dm(user, "cancel")
    stopped = await slack.eventually(lambda: slack.posts(dm)[count:])
    assert "Stopped" in stopped[0].payload["text"]
