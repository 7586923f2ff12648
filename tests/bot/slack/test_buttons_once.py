"""Every button acts once, over Bolt's real HTTP path: Skip and Back carry their message's
stamp and a second or stale click acts on nothing (the clicker alone is told); a double click
on the last answer posts one summary card; one /llm-advisor here trigger opens one thread."""

from __future__ import annotations

import asyncio
import json

from bot.slack.delivery import Place
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.answers import TYPED_ANSWERS
from tests.support.slack_signing import TEAM_ID, slash_command_body
from tests.support.slack_standin import Call

STALE = "earlier question"


def nav_button(call: Call, action_id: str) -> str:
    """The value of a question message's Back or Skip button."""
    for block in call.payload.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


async def reach(slack: SlackHarness, user: str, typed: int) -> Call:
    """Open a DM assessment and type the first `typed` answers; the question then on screen."""
    dm = "D" + user
    await slack.dm(user, "hello")
    await slack.next_question(dm, 0)
    for i in range(typed):
        await slack.dm(user, TYPED_ANSWERS[i])
        await slack.next_question(dm, i + 1)
    return slack.questions(dm)[typed]


async def click(slack: SlackHarness, user: str, call: Call, action_id: str, value: str) -> None:
    dm = "D" + user
    status, _ = await slack.action(user, action_id, value, channel=dm, message_ts=call.result["ts"])
    assert status == 200


async def stale_told(slack: SlackHarness, user: str) -> None:
    await slack.eventually(
        lambda: [c for c in slack.ephemerals(user) if STALE in json.dumps(c.payload)]
    )


async def session_of(slack: SlackHarness, user: str):  # type: ignore[no-untyped-def]
    place = Place(team=TEAM_ID, channel="D" + user, thread_ts="", user=user)
    return await slack.advisor.peek(place.key)


async def test_skip_clicked_twice_300_ms_apart_skips_one_question(slack: SlackHarness) -> None:
    user = new_user()
    question = await reach(slack, user, 3)  # knowledge_change, skippable
    skip = nav_button(question, "cmd_skip")
    await click(slack, user, question, "cmd_skip", skip)
    await asyncio.sleep(0.3)
    await click(slack, user, question, "cmd_skip", skip)
    await stale_told(slack, user)
    session = await session_of(slack, user)
    assert session is not None and session.skipped == ("knowledge_change",)
    assert session.current == "data_sensitivity"
    assert len(slack.questions("D" + user)) == 5


async def test_back_clicked_twice_goes_back_one_question(slack: SlackHarness) -> None:
    user = new_user()
    question = await reach(slack, user, 2)  # current_gap
    back = nav_button(question, "cmd_back")
    await click(slack, user, question, "cmd_back", back)
    await click(slack, user, question, "cmd_back", back)
    await stale_told(slack, user)
    session = await session_of(slack, user)
    assert session is not None and session.current == "value"
    assert len(slack.questions("D" + user)) == 4


async def test_a_stale_skip_from_an_older_message_does_not_skip(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    old = await reach(slack, user, 3)  # knowledge_change
    await slack.dm(user, "back")
    await slack.next_question(dm, 4)
    await slack.dm(user, TYPED_ANSWERS[2])
    await slack.next_question(dm, 5)  # knowledge_change again, newly stamped
    await click(slack, user, old, "cmd_skip", nav_button(old, "cmd_skip"))
    await stale_told(slack, user)
    session = await session_of(slack, user)
    assert session is not None and session.skipped == ()
    assert session.current == "knowledge_change"
    assert len(slack.questions(dm)) == 6


async def test_a_double_click_on_the_last_answer_posts_one_summary(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    last = await reach(slack, user, len(TYPED_ANSWERS) - 1)
    button = next(iter(slack.question_buttons(last).values()))
    await click(slack, user, last, button["action_id"], button["value"])
    await click(slack, user, last, button["action_id"], button["value"])
    await slack.eventually(lambda: slack.summaries(dm))
    await slack.eventually(
        lambda: [c for c in slack.ephemerals(user) if "already answered" in json.dumps(c.payload)]
    )
    await asyncio.sleep(0.2)
    assert len(slack.summaries(dm)) == 1


async def test_summary_start_over_and_yes_act_once(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    last = await reach(slack, user, len(TYPED_ANSWERS) - 1)
    await slack.dm(user, TYPED_ANSWERS[-1])
    summary = await slack.eventually(lambda: (slack.summaries(dm) or [None])[0])
    restart = nav_button(summary, "summary_restart")
    assert json.loads(restart)["s"]
    await click(slack, user, summary, "summary_restart", restart)
    await click(slack, user, summary, "summary_restart", restart)
    confirm = await slack.eventually(
        lambda: next((c for c in slack.posts(dm) if "cmd_yes" in json.dumps(c.payload)), None)
    )
    await stale_told(slack, user)
    assert len([c for c in slack.posts(dm) if "cmd_yes" in json.dumps(c.payload)]) == 1
    yes = nav_button(confirm, "cmd_yes")
    await click(slack, user, confirm, "cmd_yes", yes)
    await slack.eventually(lambda: slack.questions(dm)[len(TYPED_ANSWERS) :])
    await click(slack, user, confirm, "cmd_yes", yes)
    await slack.eventually(
        lambda: [c for c in slack.ephemerals(user) if STALE in json.dumps(c.payload)][1:]
    )
    assert len(slack.questions(dm)) == len(TYPED_ANSWERS) + 1
    assert last is not None


async def test_here_replayed_five_times_opens_one_thread(slack: SlackHarness) -> None:
    """The identical signed /llm-advisor here request (same trigger_id) five times: one root
    message, one thread, one session."""
    user = new_user()
    body = slash_command_body(
        text="here",
        user_id=user,
        channel_id="C1",
        trigger_id=slack.next_id("trig"),
        response_url=slack.standin.response_url(slack.next_id("r")),
    )
    for _ in range(5):
        status, _ = await slack.post(body, content_type="application/x-www-form-urlencoded")
        assert status == 200
    await slack.eventually(
        lambda: [c for c in slack.questions("C1") if user in json.dumps(c.payload)]
    )
    await asyncio.sleep(0.3)
    roots = [
        c
        for c in slack.posts("C1")
        if not c.payload.get("thread_ts") and user in json.dumps(c.payload)
    ]
    assert len(roots) == 1
    threads = {
        c.payload.get("thread_ts") for c in slack.questions("C1") if user in json.dumps(c.payload)
    }
    assert threads == {roots[0].result["ts"]}


async def test_a_summary_shared_twice_to_one_channel_is_posted_once(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await reach(slack, user, len(TYPED_ANSWERS) - 1)
    await slack.dm(user, TYPED_ANSWERS[-1])
    summary = await slack.eventually(lambda: (slack.summaries(dm) or [None])[0])
    for _ in range(2):
        await slack.share(user, channel=dm, summary=summary, target="CONCE")
    await slack.eventually(
        lambda: [c for c in slack.ephemerals(user) if "already" in json.dumps(c.payload)]
    )
    assert len([c for c in slack.posts("CONCE") if user in json.dumps(c.payload)]) == 1
