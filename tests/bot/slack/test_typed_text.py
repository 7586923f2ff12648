"""Typed text as Slack delivers it: mentions of other people in a thread, odd characters."""

from __future__ import annotations

from bot.slack.delivery import Place
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.test_channels import in_thread
from tests.support.slack_signing import app_mention_event, message_event, next_ts

FAILED_WORDS = "Something went wrong"


async def test_a_thread_reply_mentioning_a_colleague_is_an_answer(slack: SlackHarness) -> None:
    """Only a mention of this bot is app_mention's; '<@U0COLLEAGUE> live' answers the question
    (the mention is not part of the answer)."""
    user, channel, root = new_user(), "C" + new_user()[1:], next_ts()
    await slack.event(app_mention_event(user, "start", channel, ts=root))
    await slack.eventually(lambda: in_thread(slack, channel, root, user))
    await slack.thread_message(user, "<@U0COLLEAGUE> live", channel, root)
    following = await slack.eventually(lambda: in_thread(slack, channel, root, user)[1:])
    assert "How much is a better answer worth" in following[0].payload["text"]
    place = Place(team="T1", channel=channel, thread_ts=root, user=user)
    session = await slack.advisor.peek(place.key)
    assert session is not None and session.answers == {"stage": "live"}


async def test_a_lone_surrogate_in_a_dm_gets_a_clear_answer_not_a_failure(
    slack: SlackHarness,
) -> None:
    """JSON can carry "\\ud800", which UTF-8 cannot encode, in the text and in the ids: the
    person hears that their text does not match an option, never that something failed."""
    user = new_user()
    dm = "D" + user
    await slack.dm(user, "hi")
    await slack.next_question(dm, 0)
    before = len(slack.posts(dm))
    await slack.event(message_event(user, "\ud800 live?", dm), event_id="Ev\ud800")
    said = await slack.eventually(lambda: slack.posts(dm)[before:])
    assert all(FAILED_WORDS not in c.payload.get("text", "") for c in said), said
    await slack.dm(user, "live")
    await slack.next_question(dm, 1)
