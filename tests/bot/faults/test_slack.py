"""Faults injected on the wire (tests/support/fault_proxy.py) between the real advisor and
the Slack Web API stand-in, and answers the stand-in is told to give: errors, resets,
timeouts, and turns that failed. The rigs are in tests/support/fault_rigs.py.

Everything runs the wiring of `llm-advisor serve` (`bot.server.create_service`): the store
from `create_store` (0.5 s timeouts, one bounded retry), the Bolt app behind aiohttp with the
Web API client of `create_web_client` (its retry handlers), pointed through a proxy by
SLACK_API_URL. Only bytes on the wire, and the answers the stand-ins are told to give, are
tampered with.

Each test once marked a production bug (strict xfail) until it was fixed; none is open now.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.slack.app import FAILED as SLACK_FAILED
from bot.slack.app import UNAVAILABLE as SLACK_UNAVAILABLE
from bot.slack.texts import SLOW as SLACK_SLOW
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.fault_rigs import (
    SECOND_PROMPT,
    SLACK_API_TIMEOUT_SECONDS,
    WAIT_SECONDS,
    SlackRig,
    delivered,
    delivered_questions,
    slack_key,
    stored,
    texts_since,
)

# The rigs' bound on a Slack Web API call, plus room to post the failure message.
SLACK_TIMEOUT_WAIT_SECONDS = SLACK_API_TIMEOUT_SECONDS + 1.0


# ============================================================================== Slack Web API


def assert_posted_at_most_once_or_told(
    slack: SlackHarness, dm: str, user: str, posts: int, message: str = SLACK_FAILED
) -> None:
    """The outcome an ambiguous failure allows: the next question once, or a clear message."""
    shown = delivered_questions(slack, dm)[1:]
    assert len(shown) <= 1, "the next question was posted twice"
    told = texts_since(slack, dm, user, posts, 0)
    assert shown or message in told, f"no question and no clear message: {told!r}"
    if shown:
        assert SECOND_PROMPT in shown[0].payload["text"]


SlackFault = Callable[[SlackRig], None]

SLACK_ERRORS: dict[str, SlackFault] = {
    "429-retry-after": lambda rig: rig.standin.fail("chat.postMessage", status=429, retry_after=1),
    "500": lambda rig: rig.standin.fail("chat.postMessage", status=500),
}


@pytest.mark.parametrize("fault", list(SLACK_ERRORS))
async def test_slack_api_error_is_retried_and_the_next_question_posted_once(
    slack_rig: SlackRig, fault: str
) -> None:
    """chat.postMessage of the next question is refused once (429 with Retry-After, or 500);
    the client's retry handlers try again once Slack takes calls, the question is posted
    once, and the session holds the answer once."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))

    SLACK_ERRORS[fault](slack_rig)
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)

    assert [c for c in slack.posts(dm) if not c.result.get("ok")], "the fault never fired"
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2, "the next question was not posted exactly once"
    assert SECOND_PROMPT in shown[1].payload["text"]
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1
    assert slack.standin.card_problems == []


@pytest.mark.parametrize(
    "after_forwarding",
    [
        pytest.param(False, id="before-reaching-slack"),
        pytest.param(True, id="after-reaching-slack"),
    ],
)
async def test_slack_connection_reset_never_posts_a_question_twice(
    slack_rig: SlackRig, after_forwarding: bool
) -> None:
    """The connection carrying chat.postMessage of the next question is reset, before the
    request reached Slack or after Slack posted the message. The client cannot tell the two
    apart, so either outcome is right: the question once, or a clear "progress is kept"
    message; never the question twice. The session holds the answer once either way."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    posts = len(slack.posts(dm))

    slack_rig.api.reset(times=1, matching=b"chat.postMessage", after_forwarding=after_forwarding)
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)
    await slack.eventually(lambda: texts_since(slack, dm, user, posts, 0), within=WAIT_SECONDS)
    await slack_rig.settled()

    assert slack_rig.api.counters.resets == 1, "the fault never fired"
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1
    assert_posted_at_most_once_or_told(slack, dm, user, posts)


async def test_slack_api_timeout_keeps_the_session_and_the_person_hears_back(
    slack_rig: SlackRig,
) -> None:
    """chat.postMessage of the next question is never answered (its connection black-holed;
    new connections work). Within the advisor's own Web API timeout (the rigs' short
    ADVISOR_SLACK_API_TIMEOUT_SECONDS) the person should get the question once or hear that
    Slack is slow, with the answer stored once."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    posts = len(slack.posts(dm))

    slack_rig.api.black_hole(times=1, matching=b"chat.postMessage")
    await slack_rig.say(user, "live")
    await slack_rig.api.wait_for(lambda counters: counters.black_holed)
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1

    await slack.eventually(
        lambda: texts_since(slack, dm, user, posts, 0), within=SLACK_TIMEOUT_WAIT_SECONDS
    )
    await slack_rig.settled()
    assert_posted_at_most_once_or_told(slack, dm, user, posts, SLACK_SLOW)


# ============================================================================== coming back

Breakdown = Callable[[SlackRig], None]

SLACK_BREAKDOWNS: dict[str, tuple[Breakdown, str]] = {
    # chat.postMessage of the next question is refused on every attempt the client makes.
    "slack-500-beyond-retries": (
        lambda rig: rig.standin.fail("chat.postMessage", status=500, times=3),
        SLACK_FAILED,
    ),
    # The answered question's message cannot be updated (deleted meanwhile): the next question,
    # claimed by the commit, is never posted in this turn.
    "slack-update-refused": (
        lambda rig: rig.standin.fail("chat.update", error="message_not_found"),
        SLACK_FAILED,
    ),
    # The commit was applied, but its reply was lost on every attempt.
    "redis-reply-lost-every-time": (
        lambda rig: rig.redis.drop_replies(matching=b"EVALSHA"),
        SLACK_UNAVAILABLE,
    ),
}


@pytest.mark.parametrize("breakdown", list(SLACK_BREAKDOWNS))
async def test_slack_a_failed_turn_keeps_the_answer_and_says_so(
    slack_rig: SlackRig, breakdown: str
) -> None:
    """The answer is stored once but the next question never reaches Slack: the person is
    told, once Slack takes messages again, that their progress is kept; nothing is posted
    twice."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    posts = len(slack.posts(dm))

    fault, message = SLACK_BREAKDOWNS[breakdown]
    fault(slack_rig)
    await slack_rig.say(user, "live")
    told = await slack.eventually(
        lambda: texts_since(slack, dm, user, posts, 0), within=WAIT_SECONDS
    )
    await slack_rig.settled()
    slack_rig.redis.pass_through()

    assert told == message and "progress is kept" in told
    assert len(delivered_questions(slack, dm)) == 1
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1


@pytest.mark.parametrize("breakdown", list(SLACK_BREAKDOWNS))
async def test_slack_after_a_failed_turn_the_person_gets_the_next_question_when_back(
    slack_rig: SlackRig, breakdown: str
) -> None:
    """As above; then, everything working again, the person types `/llm-advisor` to carry on,
    as the usage text says. The question they are at, which never reached them, should be
    posted, once."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    posts = len(slack.posts(dm))
    fault, _ = SLACK_BREAKDOWNS[breakdown]
    fault(slack_rig)
    await slack_rig.say(user, "live")
    await slack.eventually(lambda: texts_since(slack, dm, user, posts, 0), within=WAIT_SECONDS)
    await slack_rig.settled()
    slack_rig.redis.pass_through()

    posts = len(slack.posts(dm))
    status, _ = await slack.command(user)
    assert status == 200
    await slack.eventually(lambda: delivered(slack.posts(dm)[posts:]), within=WAIT_SECONDS)
    await slack_rig.settled()
    shown = delivered_questions(slack, dm)[1:]
    back = texts_since(slack, dm, user, posts, 0)
    assert len(shown) == 1, f"coming back, the person saw {back!r} and no question"
    assert SECOND_PROMPT in shown[0].payload["text"]


# ============================================================================== Slack slow


@pytest.mark.parametrize(
    "posted",
    [
        pytest.param(True, id="posted-late"),
        pytest.param(False, id="never-posted"),
    ],
)
async def test_a_question_whose_post_times_out_is_never_posted_twice_nor_called_an_error(
    slack_rig: SlackRig, posted: bool
) -> None:
    """Slack answers chat.postMessage of the next question after the client's timeout (the
    rigs' short ADVISOR_SLACK_API_TIMEOUT_SECONDS; Slack has taken 12 s), having posted the
    message, or not. The person reads that Slack is slow and their answer is saved, not that
    something went wrong. Their next turn looks for the question before posting it again: it
    is shown once either way, and its message is the one an answer updates in place."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    before = await stored(slack_rig.store, slack_key(user))
    posts = len(slack.posts(dm))

    if posted:  # Slack posts it, and answers after the client gave up
        slack.standin.delay("chat.postMessage", SLACK_API_TIMEOUT_SECONDS + 1.0)
    else:  # the call never reaches Slack, and nothing answers
        slack_rig.api.black_hole(times=1, matching=b"chat.postMessage")
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)
    await slack.eventually(
        lambda: SLACK_SLOW in texts_since(slack, dm, user, posts, 0), within=WAIT_SECONDS
    )
    assert SLACK_FAILED not in texts_since(slack, dm, user, posts, 0)
    late = None
    if posted:  # Slack answers (too late) once it has posted the question
        late = slack.posts(dm)[posts]
        assert SECOND_PROMPT in late.payload["text"]
        await slack.eventually(lambda: late.result.get("ok"), within=WAIT_SECONDS)
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == before.version + 1

    _, status_id = await slack_rig.say(user, "status")
    await slack_rig.finished(status_id)
    shown = delivered_questions(slack, dm)[1:]
    assert len(shown) == 1, "the question was posted twice (or never)"
    assert SECOND_PROMPT in shown[0].payload["text"]
    assert (shown[0] is late) is posted
    if not posted:
        assert slack_rig.api.counters.black_holed == 1, "the fault never fired"
    assert slack.standin.calls_to("conversations.history"), "the question was not looked for"

    # Answering it updates that message in place, and the next question follows once.
    question = shown[0]
    button = next(iter(slack.question_buttons(question).values()))
    await slack.action(
        user, button["action_id"], button["value"], channel=dm, message_ts=question.result["ts"]
    )
    await slack.eventually(lambda: len(delivered_questions(slack, dm)) == 3, within=WAIT_SECONDS)
    await slack_rig.settled()
    assert len(delivered(slack.updates(question.result["ts"]))) == 1
    assert SLACK_FAILED not in texts_since(slack, dm, user, posts, 0)
