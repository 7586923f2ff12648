"""Redeliveries, double clicks, stale buttons, forged requests, hostile text, outages."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from bot.slack.delivery import Place
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, new_user, slack_settings, start_harness
from tests.support.redis_server import RedisServer
from tests.support.slack_signing import event_body, message_event, sign, slash_command_body
from tests.support.slack_standin import SlackStandIn


async def started(slack: SlackHarness, user: str) -> str:
    """Open the DM assessment and return the DM channel once the first question is up."""
    await slack.dm(user, "hi")
    await slack.next_question("D" + user, 0)
    return "D" + user


async def test_a_retried_event_advances_once_and_posts_once(slack: SlackHarness) -> None:
    user = new_user()
    dm = await started(slack, user)
    event = message_event(user, "live", dm)
    await slack.event(event, event_id="EvSAME1")
    await slack.event(
        event,
        event_id="EvSAME1",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    await slack.event(event, event_id="EvSAME1", headers={"X-Slack-Retry-Num": "2"})
    await slack.next_question(dm, 1)
    await asyncio.sleep(0.2)  # let any (wrong) second processing reach the stand-in
    assert len(slack.questions(dm)) == 2
    session = await slack.advisor.peek(_dm(user))
    assert session is not None and session.answers == {"stage": "live"} and session.version == 2


async def test_concurrent_duplicate_events_apply_once(slack: SlackHarness) -> None:
    user = new_user()
    dm = await started(slack, user)
    body = event_body(message_event(user, "live", dm), "EvRACE1")
    await asyncio.gather(*(slack.post(body, content_type="application/json") for _ in range(6)))
    await slack.next_question(dm, 1)
    await asyncio.sleep(0.2)
    assert len(slack.questions(dm)) == 2
    assert len(slack.updates(slack.questions(dm)[0].result["ts"])) == 1


async def test_a_double_click_answers_once(slack: SlackHarness) -> None:
    user = new_user()
    dm = await started(slack, user)
    question = slack.questions(dm)[0]
    button = slack.question_buttons(question)["scale"]
    ts = question.result["ts"]
    await asyncio.gather(
        *(
            slack.action(user, button["action_id"], button["value"], channel=dm, message_ts=ts)
            for _ in range(4)
        )
    )
    await slack.next_question(dm, 1)
    await asyncio.sleep(0.2)
    assert len(slack.questions(dm)) == 2
    assert len(slack.updates(ts)) == 1
    session = await slack.advisor.peek(_dm(user))
    assert session is not None and session.answers == {"stage": "scale"}
    # The extra clicks were told, privately, that the question is answered.
    assert all("already answered" in c.payload["text"] for c in slack.ephemerals(user))


async def test_a_click_on_an_old_question_changes_nothing(slack: SlackHarness) -> None:
    user = new_user()
    dm = await started(slack, user)
    first = slack.questions(dm)[0]
    await slack.dm(user, "live")
    await slack.next_question(dm, 1)
    button = slack.question_buttons(first)["idea"]
    await slack.action(
        user, button["action_id"], button["value"], channel=dm, message_ts=first.result["ts"]
    )
    note = await slack.eventually(lambda: slack.ephemerals(user))
    assert "already answered" in note[0].payload["text"]
    assert len(slack.questions(dm)) == 2
    session = await slack.advisor.peek(_dm(user))
    assert session is not None and session.answers == {"stage": "live"}


@pytest.mark.parametrize(
    "value", ["not json", '{"q": "stage"}', "[1, 2]", '{"q": 1, "o": 2}', "x" * 3000]
)
async def test_forged_or_truncated_button_values(slack: SlackHarness, value: str) -> None:
    user = new_user()
    dm = await started(slack, user)
    status, _ = await slack.action(
        user, "answer_1", value, channel=dm, message_ts=slack.questions(dm)[0].result["ts"]
    )
    assert status == 200
    note = await slack.eventually(lambda: slack.ephemerals(user))
    assert "could not be read" in note[0].payload["text"] or "belongs to" in note[0].payload["text"]
    session = await slack.advisor.peek(_dm(user))
    assert session is not None and session.answers == {}


async def test_bad_signatures_and_timestamps_get_401_and_run_nothing(slack: SlackHarness) -> None:
    user = new_user()
    body = slash_command_body(
        user_id=user, channel_id="C1", response_url=slack.standin.response_url()
    )
    form = "application/x-www-form-urlencoded"
    cases = [
        sign(body, "wrong-secret"),
        sign(body, slack.secret, timestamp=int(time.time()) - 3600),
        {**sign(body, slack.secret), "X-Slack-Request-Timestamp": "soon"},
        {"X-Slack-Request-Timestamp": str(int(time.time()))},
        {},
    ]
    for headers in cases:
        async with slack.http.post(
            slack.url, data=body, headers={**headers, "Content-Type": form}
        ) as response:
            assert response.status == 401, headers
    await asyncio.sleep(0.2)
    assert [c.method for c in slack.standin.calls if c.method != "auth.test"] == []


HOSTILE = [
    "<!channel> <!here> <@U0ADMIN> <https://evil.example|click me> &amp;",
    'quote " and \\ backslash and \u202e right-to-left \u05e9\u05dc\u05d5\u05dd and emoji 🙂🔥',
    "x" * 10_000,
    "```\n*bold* _it_ ~strike~ `code`\n```",
]


@pytest.mark.parametrize("text", HOSTILE, ids=["mentions", "odd", "long", "markup"])
async def test_hostile_text_gets_a_clear_reply_and_never_goes_live(
    slack: SlackHarness, text: str
) -> None:
    user = new_user()
    dm = await started(slack, user)
    posted = len(slack.posts(dm))
    await slack.dm(user, text)
    replies = await slack.eventually(lambda: slack.posts(dm)[posted:])
    reply = replies[0]
    assert "does not match" in reply.payload["text"] or "too long" in reply.payload["text"]
    for call in slack.standin.calls:
        for fragment in ("<!channel>", "<!here>", "<@U0ADMIN>", "<https://evil"):
            assert fragment not in json.dumps(call.payload).replace("\\u003c", "<") or _only_plain(
                call, fragment
            )
    assert slack.standin.card_problems == []
    assert "link_names" not in json.dumps([c.payload for c in slack.standin.calls])


def _only_plain(call: object, fragment: str) -> bool:
    """User text may appear verbatim only inside plain_text elements, which Slack never parses."""
    payload = getattr(call, "payload", {})
    text = str(payload.get("text", ""))
    if fragment in text:
        return False
    for block in payload.get("blocks", []):
        for element in [block.get("text") or {}, *(block.get("elements") or [])]:
            if (
                isinstance(element, dict)
                and element.get("type") == "mrkdwn"
                and fragment in element.get("text", "")
            ):
                return False
    return True


async def test_slack_rate_limit_is_retried_after_the_ack(slack: SlackHarness) -> None:
    user = new_user()
    dm = await started(slack, user)
    slack.standin.fail("chat.postMessage", status=429, retry_after=0)
    await slack.dm(user, "live")
    question = await slack.eventually(
        lambda: [q for q in slack.questions(dm) if q.result.get("ok")][1:], within=10
    )
    assert "How much is a better answer worth" in question[0].payload["text"]
    session = await slack.advisor.peek(_dm(user))
    assert session is not None and session.answers == {"stage": "live"}


async def test_the_ack_does_not_wait_for_the_web_api(slack: SlackHarness) -> None:
    """The slash command is answered while the Web API call it triggers is still hanging."""
    user = new_user()
    slack.standin.delay("conversations.open", 3.0)
    status, body = await slack.command(user)
    assert status == 200 and "direct messages" in body
    assert slack.standin.calls_to("chat.postMessage") == []  # the slow work has not finished
    await slack.next_question("D" + user, 0)


@pytest.fixture
async def outage(
    standin: SlackStandIn, private_redis: RedisServer
) -> AsyncIterator[tuple[SlackHarness, RedisServer]]:
    store = RedisStore(client=create_redis_client(private_redis.url, timeout_seconds=0.3))
    harness, runner, session = await start_harness(
        standin, slack_settings(standin, private_redis.url), store
    )
    try:
        yield harness, private_redis
    finally:
        await runner.cleanup()
        await session.close()
        await store.close()


async def test_redis_down_mid_assessment_then_back(
    outage: tuple[SlackHarness, RedisServer],
) -> None:
    slack, redis = outage
    user = new_user()
    dm = await started(slack, user)
    await slack.dm(user, "live")
    await slack.next_question(dm, 1)
    redis.stop()
    started_at = len(slack.posts(dm))
    status, _ = await slack.dm(user, "core")
    assert status == 200  # acknowledged even though the store is down
    down = await slack.eventually(lambda: slack.posts(dm)[started_at:])
    assert (
        "briefly unavailable" in down[0].payload["text"]
        and "progress is kept" in down[0].payload["text"]
    )
    redis.start()
    await slack.dm(user, "core")
    question = await slack.next_question(dm, 2)
    assert "With a good prompt" in question.payload["text"]
    session = await slack.advisor.peek(_dm(user))
    assert session is not None and session.answers == {"stage": "live", "value": "core_feature"}


def _dm(user: str) -> SessionKey:
    return Place(team="T1", channel="D" + user, thread_ts="", user=user).key


async def test_a_hung_redis_does_not_delay_the_ack(
    outage: tuple[SlackHarness, RedisServer],
) -> None:
    slack, redis = outage
    user = new_user()
    dm = await started(slack, user)
    before = len(slack.posts(dm))
    redis.pause()
    try:
        status, _ = await slack.command(user, "status")
        assert status == 200
        # The acknowledgement came back before the turn gave up on the store.
        assert slack.responses() == [] and slack.posts(dm)[before:] == []
        told = await slack.eventually(lambda: slack.ephemerals(user))
        assert "briefly unavailable" in told[0].payload["text"]
    finally:
        redis.resume()
