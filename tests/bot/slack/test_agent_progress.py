"""Progress through the assessment as a `plan` of `task_card`s on every question, over signed
HTTP: where the workspace has Slack's agent features (the Messages tab, a channel thread), and
today's question alone where it does not (the first question's plan refused, then never tried
again). The question's own blocks and its `text` stay as they were, for older clients."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from slack_sdk.models.blocks import Block

from bot.slack.blocks import MAX_TASKS, progress
from dialogs.replies import Ask
from tests.bot.slack.agent_walk import (
    shown_questions,
    start_in_a_thread,
    walk,
    walk_without_agent_features,
)
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.slack_signing import app_home_opened_event, message_event, next_ts
from tests.support.slack_standin import Call

TODAYS = ["section", "context", "actions"]  # a question's blocks before the plan came


def plan_of(call: Call) -> dict[str, Any] | None:
    plans = [b for b in call.payload["blocks"] if b.get("type") == "plan"]
    assert len(plans) <= 1
    return plans[0] if plans else None


def span(title: str) -> tuple[int, int]:
    """The questions a task covers, from its title: "Questions 4 to 6" (an en dash), or
    "Question 22"."""
    numbers = [int(n) for n in re.findall(r"\d+", title)]
    return numbers[0], numbers[-1]


def check_progress(call: Call, shorts: dict[str, str]) -> None:
    """The question's plan says where it stands: groups before it done, its own under way
    (named by the question's short name), the rest to do; its own blocks as before."""
    text = call.payload["text"]
    position, total = (int(n) for n in re.match(r"Question (\d+) of (\d+): ", text).groups())  # type: ignore[union-attr]
    blocks = call.payload["blocks"]
    plan = plan_of(call)
    assert plan is not None and blocks[-1] is plan  # at the foot, under the buttons
    kinds = [b["type"] for b in blocks[:-1]]
    assert [k for k in TODAYS if k in kinds] == TODAYS and "plan" not in kinds
    assert f"*{position}/{total}*" in blocks[0]["text"]["text"]  # today's counter stays
    assert plan["title"].endswith(f"question {position} of {total}")
    tasks = plan["tasks"]
    assert 1 <= len(tasks) <= MAX_TASKS
    spans = [span(t["title"]) for t in tasks]
    assert spans[0][0] == 1 and spans[-1][1] == total  # every question, in order, once
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(spans))
    qid = json.loads(next(iter(SlackHarness.question_buttons(call).values()))["value"])["q"]
    for task, (first, last) in zip(tasks, spans, strict=True):
        if last < position:
            assert task["status"] == "complete"
        elif first <= position:
            assert task["status"] == "in_progress"
            assert shorts[qid] in json.dumps(task["output"])
        else:
            assert task["status"] == "pending"
    parsed = Block.parse(plan)
    assert parsed is not None and parsed.to_dict() == plan


def shorts_of(slack: SlackHarness) -> dict[str, str]:
    return {q.id: q.short for q in slack.advisor.flow.questions}


def typed_question(call: Call) -> bool:
    return not SlackHarness.question_buttons(call)


async def test_in_the_messages_tab_every_question_shows_the_plan(slack: SlackHarness) -> None:
    user = new_user()
    dm = f"D{user}"
    await slack.event(app_home_opened_event(user, tab="messages"))  # prompts: the features
    await slack.standin.wait_for("assistant.threads.setSuggestedPrompts")
    await slack.event(message_event(user, "Should we build our own LLM?", dm, ts=next_ts()))
    await walk(slack, user, dm)
    questions = shown_questions(slack, dm)
    assert len(questions) > MAX_TASKS  # more questions than tasks: they were grouped
    shorts = shorts_of(slack)
    for question in questions:
        if not typed_question(question):
            check_progress(question, shorts)
    # The first question's plan: its own group under way, all the others to do.
    first = plan_of(questions[0])
    assert first is not None
    assert [t["status"] for t in first["tasks"]][:2] == ["in_progress", "pending"]
    # The older clients' fallback still reads as the question.
    assert all(q.payload["text"].startswith("Question ") for q in questions)
    assert slack.standin.card_problems == []


async def test_in_a_channel_thread_questions_show_the_plan(slack: SlackHarness) -> None:
    user, channel = new_user(), "C1"
    root = await start_in_a_thread(slack, user, channel)
    first = await slack.next_question(channel, 0)
    check_progress(first, shorts_of(slack))
    assert first.payload["thread_ts"] == root
    assert slack.standin.card_problems == []


async def test_going_back_says_an_answer_is_being_changed(slack: SlackHarness) -> None:
    user, channel = new_user(), "C1"
    root = await start_in_a_thread(slack, user, channel)
    first = await slack.next_question(channel, 0)
    button = next(iter(slack.question_buttons(first).values()))
    await slack.action(
        user,
        button["action_id"],
        button["value"],
        channel=channel,
        message_ts=first.result["ts"],
        thread_ts=root,
    )
    second = await slack.next_question(channel, 1)
    back = next(
        e
        for b in second.payload["blocks"]
        if b.get("block_id") == "answers"
        for e in b["elements"]
        if e["action_id"] == "cmd_back"
    )
    await slack.action(
        user,
        "cmd_back",
        back["value"],
        channel=channel,
        message_ts=second.result["ts"],
        thread_ts=root,
    )
    again = await slack.next_question(channel, 2)
    plan = plan_of(again)
    assert plan is not None and plan["title"].startswith("Changing an answer: question 1 of")
    check_progress(again, shorts_of(slack))
    assert slack.standin.card_problems == []


async def test_a_workspace_without_the_features_gets_todays_questions(
    slack: SlackHarness,
) -> None:
    channel = "C1"
    await walk_without_agent_features(slack, channel)
    posted = slack.questions(channel)
    # The first question's plan was refused once; it went again without it, and no question
    # after it tried the plan again.
    refused = [q for q in posted if not q.result.get("ok", True)]
    assert len(refused) == 1 and refused[0] is posted[0]
    assert refused[0].result["error"] == "invalid_blocks"
    shown = shown_questions(slack, channel)
    assert all(plan_of(q) is None for q in shown)
    assert shown[0].payload["text"] == refused[0].payload["text"]
    assert [b["type"] for b in shown[0].payload["blocks"]] == [
        b["type"] for b in refused[0].payload["blocks"][:-1]
    ]
    # Each question was shown once.
    stamps = [
        json.loads(next(iter(slack.question_buttons(q).values()))["value"])["s"]
        for q in shown
        if not typed_question(q)
    ]
    assert len(stamps) == len(set(stamps))
    assert slack.standin.card_problems == []


def test_the_plan_stays_short_whatever_the_length() -> None:
    for total in (1, 5, 8, 9, 22, 24, 25, 60):
        for position in {1, total // 2 or 1, total}:
            ask = Ask(
                question="q",
                prompt="p",
                why="w",
                position=position,
                total=total,
                options=(),
                stamp="s",
            )
            plan = progress(ask, short="Budget")
            tasks = plan["tasks"]
            assert 1 <= len(tasks) <= MAX_TASKS
            assert [t["status"] for t in tasks].count("in_progress") == 1
            assert len({t["task_id"] for t in tasks}) == len(tasks)
            assert Block.parse(plan) is not None
