"""Channel threads: an @mention starts an assessment under that message; one session per person."""

from __future__ import annotations

import json

from bot.slack.delivery import Place
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_signing import app_mention_event, next_ts
from tests.support.slack_standin import Call


def in_thread(slack: SlackHarness, channel: str, thread: str, user: str) -> list[Call]:
    return [
        c
        for c in slack.questions(channel)
        if c.payload.get("thread_ts") == thread and f"<@{user}>" in json.dumps(c.payload["blocks"])
    ]


async def answer(
    slack: SlackHarness, user: str, channel: str, thread: str, *, question: Call, option: str
) -> None:
    button = slack.question_buttons(question)[option]
    ts = question.result["ts"]
    status, _ = await slack.action(
        user, button["action_id"], button["value"], channel=channel, message_ts=ts, thread_ts=thread
    )
    assert status == 200
    await slack.eventually(lambda: slack.updates(ts))


async def test_two_people_in_one_thread_each_have_their_own_session(slack: SlackHarness) -> None:
    alice, bob, channel = new_user(), new_user(), "C" + new_user()[1:]
    root = next_ts()
    await slack.event(app_mention_event(alice, "should we build?", channel, ts=root))
    alice_q = await slack.eventually(lambda: in_thread(slack, channel, root, alice))
    await slack.event(app_mention_event(bob, "me too", channel, ts=next_ts(), thread_ts=root))
    bob_q = await slack.eventually(lambda: in_thread(slack, channel, root, bob))
    assert alice_q[0].payload["thread_ts"] == root == bob_q[0].payload["thread_ts"]

    await answer(slack, alice, channel, root, question=alice_q[0], option="live")
    await answer(slack, bob, channel, root, question=bob_q[0], option="idea")
    alice_next = await slack.eventually(lambda: in_thread(slack, channel, root, alice)[1:])
    assert "How much is a better answer worth" in alice_next[0].payload["text"]

    # Typed answers in the thread go to the typist's own session.
    await slack.thread_message(bob, "nice to have", channel, root)
    bob_next = await slack.eventually(lambda: in_thread(slack, channel, root, bob)[2:])
    assert "With a good prompt" in bob_next[0].payload["text"]

    alice_session = await slack.advisor.peek(_key(channel, root, alice))
    bob_session = await slack.advisor.peek(_key(channel, root, bob))
    assert alice_session is not None and bob_session is not None
    assert alice_session.answers == {"stage": "live"}
    assert bob_session.answers == {"stage": "idea", "value": "nice_to_have"}
    assert slack.standin.card_problems == []


async def test_a_click_on_someone_elses_button_changes_nothing(slack: SlackHarness) -> None:
    alice, mallory, channel = new_user(), new_user(), "C" + new_user()[1:]
    root = next_ts()
    await slack.event(app_mention_event(alice, "", channel, ts=root))
    question = (await slack.eventually(lambda: in_thread(slack, channel, root, alice)))[0]
    button = slack.question_buttons(question)["scale"]
    await slack.action(
        mallory,
        button["action_id"],
        button["value"],
        channel=channel,
        message_ts=question.result["ts"],
        thread_ts=root,
    )
    notes = await slack.eventually(lambda: slack.ephemerals(mallory))
    assert f"belongs to <@{alice}>" in notes[0].payload["text"]
    assert "/llm-advisor" in notes[0].payload["text"]
    assert slack.updates(question.result["ts"]) == []
    session = await slack.advisor.peek(_key(channel, root, alice))
    assert session is not None and session.answers == {}
    assert await slack.advisor.peek(_key(channel, root, mallory)) is None


async def test_thread_chatter_from_people_without_a_session_is_ignored(slack: SlackHarness) -> None:
    alice, bystander, channel = new_user(), new_user(), "C" + new_user()[1:]
    root = next_ts()
    await slack.event(app_mention_event(alice, "", channel, ts=root))
    await slack.eventually(lambda: in_thread(slack, channel, root, alice))
    before = len(slack.standin.calls)
    status, _ = await slack.thread_message(bystander, "nice thread!", channel, root)
    assert status == 200
    await slack.thread_message(alice, "live", channel, root)
    await slack.eventually(lambda: in_thread(slack, channel, root, alice)[1:])
    assert await slack.advisor.peek(_key(channel, root, bystander)) is None
    assert all(c.payload.get("user") != bystander for c in slack.standin.calls[before:])


async def test_slash_here_runs_in_a_thread_visible_to_the_channel(slack: SlackHarness) -> None:
    user, channel = new_user(), "C" + new_user()[1:]
    status, _ = await slack.command(user, "here", channel=channel)
    assert status == 200
    root = await slack.eventually(
        lambda: [c for c in slack.posts(channel) if "thread_ts" not in c.payload]
    )
    assert f"<@{user}>" in root[0].payload["text"]
    thread = root[0].result["ts"]
    question = await slack.eventually(lambda: in_thread(slack, channel, thread, user))
    await answer(slack, user, channel, thread, question=question[0], option=FULL_ANSWERS["stage"])


async def test_slash_here_where_the_bot_is_not_in_the_channel(slack: SlackHarness) -> None:
    user, channel = new_user(), "C" + new_user()[1:]
    slack.standin.fail("chat.postMessage", error="not_in_channel")
    await slack.command(user, "here", channel=channel)
    reply = await slack.eventually(slack.responses)
    assert (
        "Invite me" in reply[0].payload["text"] and reply[0].payload["response_type"] == "ephemeral"
    )


def _key(channel: str, thread: str, user: str) -> SessionKey:
    return Place(team="T1", channel=channel, thread_ts=thread, user=user).key
