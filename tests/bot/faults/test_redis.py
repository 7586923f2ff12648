"""Faults injected on the wire (tests/support/fault_proxy.py) between the real advisor and
Redis: replies lost, Redis hung or slow. The rigs are in tests/support/fault_rigs.py.

Everything runs the wiring of `llm-advisor serve` (`bot.server.create_service`): the store
from `create_store` (0.5 s timeouts, one bounded retry), the Bolt app behind aiohttp with the
Web API client of `create_web_client` (its retry handlers), pointed through a proxy by
SLACK_API_URL. Only bytes on the wire, and the answers the stand-ins are told to give, are
tampered with.

Each test once marked a production bug (strict xfail) until it was fixed; none is open now.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.slack.app import UNAVAILABLE as SLACK_UNAVAILABLE
from dialogs.errors import StoreUnavailable
from dialogs.replies import TurnResult
from tests.bot.slack.conftest import new_user
from tests.support.fault_rigs import (
    SECOND_PROMPT,
    WAIT_SECONDS,
    SlackRig,
    delivered,
    delivered_questions,
    slack_key,
    stored,
    texts_since,
)

# Functional deadline, not a performance figure: issue 6 requires a turn against a hung Redis
# to fail within 2 s with the "progress is kept" message, so the person hears back well inside
# Slack's 3-second window. With the production settings the store gives up after two 0.5 s
# socket timeouts and the turn after at most 1.5 s.
HUNG_REDIS_DEADLINE_SECONDS = 2.0


# ============================================================================== Redis faults


async def test_a_lost_commit_reply_is_resent_and_applies_once(slack_rig: SlackRig) -> None:
    """The commit script runs in Redis but its reply is lost on the way back. redis-py times
    out and sends the very same EVALSHA again on a new connection; the script recognises its
    own write (the per-attempt nonce makes the document byte-for-byte equal) and answers
    "applied" without applying it twice. The person sees the next question once."""
    slack, redis = slack_rig.slack, slack_rig.redis
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    connections = redis.counters.connections

    redis.drop_replies(times=1, matching=b"EVALSHA")
    status, event_id = await slack_rig.say(user, "live")
    assert status == 200
    result = await slack_rig.finished(event_id)

    assert redis.counters.replies_dropped >= 1, "the fault never fired"
    assert redis.counters.connections > connections, "the script was not re-sent"
    assert isinstance(result, TurnResult) and not result.duplicate
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2, "the next question was not posted exactly once"
    assert SECOND_PROMPT in shown[1].payload["text"]
    assert len(delivered(slack.updates(shown[0].result["ts"]))) == 1
    assert "unavailable" not in texts_since(slack, dm, user, 0, 0)
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.history == ("stage",)
    assert after.version == before.version + 1, "the answer was applied more than once"


async def test_a_commit_whose_replies_are_all_lost_is_applied_once_and_not_replayed(
    slack_rig: SlackRig,
) -> None:
    """Every attempt's reply is lost: the write happened (once), the turn reports the store
    unavailable, and the person reads "progress is kept". When Slack delivers the same event
    again, it is found already applied: nothing is applied twice, and the next question, which
    never reached the person, is posted now, once."""
    slack, redis = slack_rig.slack, slack_rig.redis
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    posts = len(slack.posts(dm))

    redis.drop_replies(matching=b"EVALSHA")  # until switched back: every attempt's reply
    _, event_id = await slack_rig.say(user, "live")
    told = await slack.eventually(lambda: delivered(slack.posts(dm)[posts:]), within=WAIT_SECONDS)
    assert isinstance(await slack_rig.finished(event_id), StoreUnavailable)
    redis.pass_through()
    assert redis.counters.replies_dropped >= 2, "redis-py did not re-send the script"
    assert [c.payload["text"] for c in told] == [SLACK_UNAVAILABLE]
    applied = await stored(slack_rig.store, slack_key(user))
    assert applied.answers == {"stage": "live"} and applied.history == ("stage",)
    assert applied.version == before.version + 1

    posts = len(slack.posts(dm))
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, _ = await slack_rig.say(user, "live", event_id=event_id, **retry)
    assert status == 200
    result = await slack_rig.finished(event_id, times=2)
    assert isinstance(result, TurnResult) and result.duplicate
    assert await stored(slack_rig.store, slack_key(user)) == applied
    questions = delivered_questions(slack, dm)
    assert len(questions) == 2 and SECOND_PROMPT in questions[1].payload["text"]
    assert delivered(slack.posts(dm)[posts:]) == questions[1:]


@pytest.mark.parametrize("how", ["typed", "click"])
async def test_a_hung_redis_fails_the_turn_within_2_s_after_slack_is_acknowledged(
    slack_rig: SlackRig, how: str
) -> None:
    """Redis black-holed (connections accepted, nothing ever answered): Slack gets its HTTP 200
    first, then, within the 2-second functional deadline, the person reads that the advisor
    is briefly unavailable and their progress is kept. Nothing changed; once Redis answers
    again the same answer goes through and the next question is posted once."""
    slack, redis = slack_rig.slack, slack_rig.redis
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    question = delivered_questions(slack, dm)[0]
    button = slack.question_buttons(question)["live"]
    posts, ephemerals = len(slack.posts(dm)), len(slack.ephemerals(user))

    def shown() -> str:
        return texts_since(slack, dm, user, posts, ephemerals)

    async def answer() -> tuple[int, str, str]:
        if how == "typed":
            status, _ = await slack_rig.say(user, "live")
        else:
            status, _ = await slack.action(
                user,
                button["action_id"],
                button["value"],
                channel=dm,
                message_ts=question.result["ts"],
            )
        at_ack = shown()
        return status, at_ack, await slack.eventually(shown, within=WAIT_SECONDS)

    redis.black_hole()
    # The functional deadline of issue 6 (see HUNG_REDIS_DEADLINE_SECONDS): from sending the
    # answer to the person reading "progress is kept", with Redis hung throughout.
    status, at_ack, told = await asyncio.wait_for(answer(), HUNG_REDIS_DEADLINE_SECONDS)
    assert status == 200
    assert at_ack == "", "the unavailable message went out before Slack's acknowledgement"
    assert told == SLACK_UNAVAILABLE and "progress is kept" in told
    assert redis.counters.black_holed >= 1, "the fault never fired"

    redis.pass_through()
    assert await stored(slack_rig.store, slack_key(user)) == before
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)
    assert len(delivered_questions(slack, dm)) == 2
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1


async def test_slow_redis_and_slow_slack_api_still_answer_once(slack_rig: SlackRig) -> None:
    """Redis and the Slack Web API both slow (every chunk held 0.1 s, under the client
    timeouts): the turn neither fails nor is retried into a double write or double post."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))

    slack_rig.redis.delay(0.1)
    slack_rig.api.delay(0.1)
    _, event_id = await slack_rig.say(user, "live")
    result = await slack_rig.finished(event_id)
    slack_rig.redis.pass_through()
    slack_rig.api.pass_through()

    assert isinstance(result, TurnResult) and not result.duplicate
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2 and SECOND_PROMPT in shown[1].payload["text"]
    assert len(delivered(slack.updates(shown[0].result["ts"]))) == 1
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1


# ============================================================================== coming back


@pytest.mark.parametrize("between", ["redelivery", "restart"])
async def test_a_lost_commit_does_not_strand_the_next_question(
    slack_rig: SlackRig, between: str
) -> None:
    """The commit applies (claiming the next question) but every reply is lost. Then either
    Slack redelivers the same event (a duplicate: it shows nothing) or the person asks to
    restart (a confirmation: no question either). Their next message still gets the question:
    the lost commit's claim is taken over, not left to expire."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    slack_rig.redis.drop_replies(matching=b"EVALSHA")
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)
    slack_rig.redis.pass_through()

    if between == "redelivery":
        await slack_rig.say(user, "live", event_id=event_id, **{"X-Slack-Retry-Num": "1"})
        redelivered = await slack_rig.finished(event_id, times=2)
        assert isinstance(redelivered, TurnResult) and redelivered.duplicate
    else:
        _, restart_id = await slack_rig.say(user, "restart")
        await slack_rig.finished(restart_id)

    _, status_id = await slack_rig.say(user, "status")
    await slack_rig.finished(status_id)
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2 and SECOND_PROMPT in shown[1].payload["text"]
