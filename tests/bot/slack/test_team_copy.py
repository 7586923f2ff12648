"""Starting a team assessment from one's own answers in Slack (issue 14), over signed HTTP with
the stand-in Web API and a real Redis: the first team question offers "Start from my own answers
(N answered)" to a member with an assessment of their own in the DM; the click copies them in
and moves on (to the summary when nothing is left, which finishes the member), acts once when
delivered again, and never overwrites an answer given in the team."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from bot.slack.team_member import TEAM_COPY
from bot.slack.team_render import TEAM_JOIN
from dialogs.team_session import TeamBook, TeamRef
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.test_dm import click_through
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_signing import block_actions_payload
from tests.support.slack_standin import TEAM_ID, Call

CARD_WAIT = 20.0


def blocks_text(call: Call) -> str:
    return json.dumps(call.payload.get("blocks", []), ensure_ascii=False)


def copy_button(question: Call) -> dict[str, Any] | None:
    for block in question.payload.get("blocks", []):
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == TEAM_COPY:
                return element
    return None


async def answer_own(slack: SlackHarness, user: str, count: int) -> None:
    """The first `count` questions of the person's own assessment, by button, in their DM."""
    dm = "D" + user
    status, _ = await slack.command(user)
    assert status == 200
    for asked in range(count):
        question = await slack.next_question(dm, asked)
        buttons = slack.question_buttons(question)
        qid = json.loads(next(iter(buttons.values()))["value"])["q"]
        button = buttons[FULL_ANSWERS[qid]]
        ts = question.result["ts"]
        await slack.action(user, button["action_id"], button["value"], channel=dm, message_ts=ts)
        await slack.eventually(lambda ts=ts: slack.updates(ts))


async def start_and_join(slack: SlackHarness, users: list[str]) -> tuple[str, TeamRef, Call]:
    """A team in a channel of this test's own, joined by `users`; its card."""
    channel = "C" + uuid.uuid4().hex[:8].upper()
    facilitator = new_user()
    status, _ = await slack.command(facilitator, "team Copy test", channel=channel)
    assert status == 200
    card = await slack.eventually(lambda: (slack.posts(channel) or [None])[0])
    value = next(
        e["value"]
        for b in card.payload["blocks"]
        for e in b.get("elements", [])
        if isinstance(e, dict) and e.get("action_id") == TEAM_JOIN
    )
    for user in users:
        status, _ = await slack.action(
            user, TEAM_JOIN, value, channel=channel, message_ts=card.result["ts"]
        )
        assert status == 200
    ref = TeamRef(
        platform="slack", workspace=TEAM_ID, conversation=channel, thread=card.result["ts"]
    )
    return channel, ref, card


def team_questions(slack: SlackHarness, user: str) -> list[Call]:
    return [q for q in slack.questions("D" + user) if "Team assessment" in blocks_text(q)]


def click_body(slack: SlackHarness, user: str, element: dict[str, Any], ts: str) -> str:
    payload = block_actions_payload(
        user_id=user,
        action_id=element["action_id"],
        value=element["value"],
        channel_id="D" + user,
        message_ts=ts,
        block_id=TEAM_COPY,
        trigger_id=slack.next_id("trig"),
    )
    return urlencode({"payload": json.dumps(payload)})


async def test_a_member_starts_from_their_own_answers_once(slack: SlackHarness) -> None:
    ana, ben = new_user(), new_user()
    await answer_own(slack, ana, 3)
    _, ref, _ = await start_and_join(slack, [ana, ben])
    first = await slack.eventually(lambda: (team_questions(slack, ana) or [None])[0])
    offer = copy_button(first)
    assert offer is not None and offer["text"]["text"] == "Start from my own answers (3 answered)"
    assert json.loads(offer["value"])["t"] == f"{ref.conversation}/{ref.thread}"
    # Ben has no assessment of his own: nothing is offered.
    bens = await slack.eventually(lambda: (team_questions(slack, ben) or [None])[0])
    assert copy_button(bens) is None

    # The click, delivered three times: copied once, the next open question asked once.
    body = click_body(slack, ana, offer, first.result["ts"])
    for _ in range(3):
        status, _ = await slack.post(body, content_type="application/x-www-form-urlencoded")
        assert status == 200
    fourth = await slack.eventually(lambda: team_questions(slack, ana)[1:2])
    buttons = slack.question_buttons(fourth[0])
    assert json.loads(next(iter(buttons.values()))["value"])["q"] == "knowledge_change"
    said = [c.payload.get("text", "") for c in slack.posts("D" + ana)]
    assert sum("Copied 3 answers from your own assessment" in t for t in said) == 1
    closed = await slack.eventually(lambda: slack.updates(first.result["ts"]))
    assert "Started from your own answers" in blocks_text(closed[-1])
    assert copy_button(closed[-1]) is None
    session = await slack.advisor.peek(ref.member_key(ana))
    expected = {q: FULL_ANSWERS[q] for q in ("stage", "value", "current_gap")}
    assert session is not None and dict(session.answers) == expected
    assert len(team_questions(slack, ana)) == 2
    assert not slack.standin.card_problems


async def test_copying_never_overwrites_a_team_answer_and_can_finish_the_member(
    slack: SlackHarness,
) -> None:
    """Ben finished his own assessment; in the team he answers the first question otherwise,
    then (an old click) copies the rest: his team answer stays, and with nothing left to ask
    he reaches his summary, which hands his answers to the team."""
    ben = new_user()
    status, _ = await slack.command(ben)
    assert status == 200
    await click_through(slack, ben, "D" + ben)
    _, ref, card = await start_and_join(slack, [ben])
    first = await slack.eventually(lambda: (team_questions(slack, ben) or [None])[0])
    offer = copy_button(first)
    assert offer is not None and "(24 answered)" in offer["text"]["text"]

    mvp = slack.question_buttons(first)["mvp"]
    await slack.action(
        ben, mvp["action_id"], mvp["value"], channel="D" + ben, message_ts=first.result["ts"]
    )
    await slack.eventually(lambda: team_questions(slack, ben)[1:])
    body = click_body(slack, ben, offer, first.result["ts"])
    status, _ = await slack.post(body, content_type="application/x-www-form-urlencoded")
    assert status == 200

    summaries = await slack.eventually(lambda: slack.summaries("D" + ben)[1:], within=CARD_WAIT)
    assert "Team assessment: *Copy test*" in blocks_text(summaries[0])
    session = await slack.advisor.peek(ref.member_key(ben))
    assert session is not None and session.answers["stage"] == "mvp"
    assert {k: v for k, v in session.answers.items() if k != "stage"} == {
        k: v for k, v in FULL_ANSWERS.items() if k != "stage"
    }
    await slack.eventually(
        lambda: any(
            "Your answers to *Copy test* are in" in c.payload.get("text", "")
            for c in slack.posts("D" + ben)
        ),
        within=CARD_WAIT,
    )
    team = await TeamBook(store=slack.advisor.store, ttl_seconds=60).load(ref)
    assert team is not None and [s.user for s in team.finished] == [ben]
    seat = team.seat(ben)
    assert seat is not None and dict(seat.answers or {}) == dict(session.answers)
    card_now = await slack.eventually(
        lambda: (u := slack.updates(card.result["ts"])) and "Finished (1)" in blocks_text(u[-1]),
        within=CARD_WAIT,
    )
    assert card_now
