"""Coming back after the store fell out of step with what the person saw: Redis restarted
empty (FLUSHALL on the module's private server has the same effect on the advisor: every key
gone, while this process still holds its cached copies). The rigs are in
tests/support/fault_rigs.py."""

from __future__ import annotations

import json

from bot.slack.render import HOME_START
from dialogs.recovery import LOST_TEXT
from tests.bot.slack.conftest import new_user
from tests.bot.teams.conftest import card_text, option_data, submit_data
from tests.support.fault_rigs import (
    FIRST_PROMPT,
    SECOND_PROMPT,
    SlackRig,
    TeamsRig,
    delivered,
    delivered_questions,
    questions,
    slack_key,
    stored,
    teams_key,
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
