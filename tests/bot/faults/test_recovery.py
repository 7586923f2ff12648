"""Coming back after the store fell out of step with what the person saw: Redis restarted
empty (FLUSHALL on the module's private server has the same effect on the advisor: every key
gone, while this process still holds its cached copies), and Redis paused (SIGSTOP) while a
commit was on its way, which it applies once it resumes. The rigs are in
tests/support/fault_rigs.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from bot.slack.app import UNAVAILABLE as SLACK_UNAVAILABLE
from bot.slack.render import HOME_START
from dialogs.errors import StoreUnavailable
from dialogs.recovery import LOST_TEXT, SAVED_ALREADY, SAVED_LATE
from dialogs.session import Session
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import new_user
from tests.bot.teams.conftest import card_text, option_data, submit_data
from tests.support.fault_rigs import (
    FIRST_PROMPT,
    SECOND_PROMPT,
    WAIT_SECONDS,
    SlackRig,
    TeamsRig,
    delivered,
    delivered_questions,
    questions,
    slack_key,
    stored,
    teams_key,
    texts_since,
)
from tests.support.redis_server import RedisServer, command


async def test_slack_a_click_after_redis_lost_its_data_says_so_and_offers_a_fresh_start(
    slack_rig: SlackRig, redis_server: RedisServer
) -> None:
    """After one answer, Redis loses every key. The person clicks an answer on the question
    they were at: they read that their saved progress is gone, with a Start again button, not
    the intro as if nothing had happened; nothing is stored for them. Start again begins a
    new assessment at the first question."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)
    question = delivered_questions(slack, dm)[-1]
    assert SECOND_PROMPT in question.payload["text"]
    button = next(iter(slack.question_buttons(question).values()))

    command(redis_server.port, "FLUSHALL")
    posts = len(slack.posts(dm))
    await slack.action(
        user, button["action_id"], button["value"], channel=dm, message_ts=question.result["ts"]
    )
    told = await slack.eventually(lambda: delivered(slack.posts(dm)[posts:]))
    await slack_rig.settled()

    assert [c.payload["text"] for c in told] == [LOST_TEXT]
    assert await slack_rig.store.load(slack_key(user)) is None, "a session was started silently"
    start = [
        element
        for block in told[0].payload["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
    ]
    assert [e["action_id"] for e in start] == [HOME_START]
    assert json.loads(start[0]["value"]) == {"u": user}

    posts = len(slack.posts(dm))
    await slack.action(
        user, HOME_START, start[0]["value"], channel=dm, message_ts=told[0].result["ts"]
    )
    fresh = await slack.eventually(lambda: delivered_questions(slack, dm)[2:])
    await slack_rig.settled()
    assert len(fresh) == 1 and FIRST_PROMPT in fresh[0].payload["text"]
    session = await stored(slack_rig.store, slack_key(user))
    assert session.answers == {}


async def test_teams_a_click_after_redis_lost_its_data_says_so_and_offers_a_fresh_start(
    teams_rig: TeamsRig, redis_server: RedisServer
) -> None:
    """The same in Teams: a click on a question card whose session Redis lost is answered
    with the loss and a Start again button, which starts a new assessment."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    question = questions(teams, person)[0]

    command(redis_server.port, "FLUSHALL")
    count = len(teams.texts(person.conversation))
    assert await teams.click(person, question, option_data(question)["live"]) in (200, 201)

    said = teams.texts(person.conversation)[count:]
    assert len(said) == 1 and LOST_TEXT in said[0]
    assert await teams_rig.store.load(teams_key(person)) is None
    notice = teams.cards(person.conversation)[-1]
    assert submit_data(notice, "start") == {"cmd": "start", "u": person.aad}

    assert await teams.click(person, notice, submit_data(notice, "start")) in (200, 201)
    fresh = questions(teams, person)[1:]
    assert len(fresh) == 1 and FIRST_PROMPT in card_text(fresh[0])
    assert (await stored(teams_rig.store, teams_key(person))).answers == {}


# ============================================================================== Redis paused


async def until_stored(
    rig: SlackRig | TeamsRig, key: SessionKey, check: Callable[[Session], bool]
) -> Session:
    """Poll the store (bounded) until the person's session passes `check`."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        try:
            session = await stored(rig.store, key)
            if check(session):
                return session
        except StoreUnavailable:
            pass
        assert asyncio.get_running_loop().time() < deadline, "the store never got there"
        await asyncio.sleep(0.05)


async def paused_answer(rig: SlackRig, redis_server: RedisServer, user: str) -> Session:
    """The person answers the first question while Redis is paused (SIGSTOP): the turn gives
    up and they are told to try again; once Redis resumes, the commit it had sent lands."""
    slack = rig.slack
    dm = "D" + user
    before = await stored(rig.store, slack_key(user))
    posts = len(slack.posts(dm))
    redis_server.pause()
    try:
        _, event_id = await rig.say(user, "live")
        assert isinstance(await rig.finished(event_id), StoreUnavailable)
        told = await slack.eventually(lambda: texts_since(slack, dm, user, posts, 0))
        assert told == SLACK_UNAVAILABLE
    finally:
        redis_server.resume()
    landed = await until_stored(rig, slack_key(user), lambda s: s.version > before.version)
    assert landed.answers == {"stage": "live"} and landed.version == before.version + 1
    assert len(delivered_questions(slack, dm)) == 1, "nothing was posted before the next turn"
    return landed


async def test_after_redis_resumes_the_same_answer_again_is_recognised_and_not_applied_twice(
    slack_rig: SlackRig, redis_server: RedisServer
) -> None:
    """Told to try again, the person sends the same answer. Its first sending was applied
    when Redis resumed: the second is recognised as already applied (not read as an answer
    to the next question, nothing stored twice), the answered question is marked answered in
    place, and the next question is shown, once."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    first = delivered_questions(slack, dm)[0]
    landed = await paused_answer(slack_rig, redis_server, user)

    posts = len(slack.posts(dm))
    _, event_id = await slack_rig.say(user, "live")
    await slack_rig.finished(event_id)

    told = texts_since(slack, dm, user, posts, 0)
    assert SAVED_ALREADY in told
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2 and SECOND_PROMPT in shown[1].payload["text"]
    assert len(delivered(slack.updates(first.result["ts"]))) == 1, "Q1 not marked answered"
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"} and after.version == landed.version

    # The next answer goes on from there as usual (its question's message is known).
    button = next(iter(slack.question_buttons(shown[1]).values()))
    await slack.action(
        user, button["action_id"], button["value"], channel=dm, message_ts=shown[1].result["ts"]
    )
    await slack.eventually(lambda: len(delivered_questions(slack, dm)) == 3)
    await slack_rig.settled()
    assert len(delivered(slack.updates(shown[1].result["ts"]))) == 1


async def test_after_redis_resumes_another_message_shows_where_the_session_really_is(
    slack_rig: SlackRig, redis_server: RedisServer
) -> None:
    """Told to try again, the person asks for their status instead. They read that their
    answer was saved after all, their progress, and the question they are really at, once."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    await paused_answer(slack_rig, redis_server, user)

    posts = len(slack.posts(dm))
    _, event_id = await slack_rig.say(user, "status")
    await slack_rig.finished(event_id)

    told = texts_since(slack, dm, user, posts, 0)
    assert SAVED_LATE in told and "1 of" in told
    shown = delivered_questions(slack, dm)
    assert len(shown) == 2 and SECOND_PROMPT in shown[1].payload["text"]


async def test_after_redis_resumes_the_same_answer_sent_twice_at_once_shows_the_question_once(
    slack_rig: SlackRig, redis_server: RedisServer
) -> None:
    """As above, but the person sends the same answer twice at once (or clicks twice). The
    first is recognised as applied and shows the next question; the second, queued behind it
    while that question is being posted, does not post it again."""
    slack = slack_rig.slack
    user = new_user()
    dm = await slack_rig.start(user)
    landed = await paused_answer(slack_rig, redis_server, user)

    sent = await asyncio.gather(slack_rig.say(user, "live"), slack_rig.say(user, "live"))
    for _, event_id in sent:
        await slack_rig.finished(event_id)

    shown = delivered_questions(slack, dm)
    assert len(shown) == 2, "the next question was posted twice (or never)"
    assert SECOND_PROMPT in shown[1].payload["text"]
    after = await stored(slack_rig.store, slack_key(user))
    assert after.answers == {"stage": "live"}
    assert after.history == ("stage",) and after.version >= landed.version


async def test_teams_after_redis_resumes_the_same_answer_sent_twice_shows_the_card_once(
    teams_rig: TeamsRig, redis_server: RedisServer
) -> None:
    """In Teams, which cannot look a card up: the person answers while Redis is paused, is
    told to try again, and once Redis resumed sends the same answer twice at once. The first
    is recognised as applied and sends the next question card; the second, queued behind it
    while the card is being sent, does not send it again."""
    teams = teams_rig.teams
    person = await teams_rig.start()
    key = teams_key(person)
    before = await stored(teams_rig.store, key)
    redis_server.pause()
    try:
        assert await teams_rig.say(person, "live") in (200, 201)
    finally:
        redis_server.resume()
    landed = await until_stored(teams_rig, key, lambda s: s.version > before.version)
    assert landed.answers == {"stage": "live"} and len(questions(teams, person)) == 1

    statuses = await asyncio.gather(teams_rig.say(person, "live"), teams_rig.say(person, "live"))
    assert set(statuses) <= {200, 201}
    shown = questions(teams, person)
    assert len(shown) == 2, "the next question card was sent twice (or never)"
    assert SECOND_PROMPT in card_text(shown[1])
    assert (await stored(teams_rig.store, key)).answers == {"stage": "live"}
