"""Starting a team in Slack and clicking through it, for the team-mode tests (test_team.py,
test_team_records.py): the card, its buttons, a member's questions in the DM."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from bot.slack.team_render import TEAM_JOIN
from tests.bot.slack.conftest import SlackHarness
from tests.support.slack_standin import Call

# Each test's own channel: the stand-in's timestamps start again in every test, and a team is
# its channel and card ts, kept in the one Redis all tests share.
CHANNEL = "CTEAM"
# How long to wait for the card to show a change: a member's summary (and its chart) comes
# first, and the whole suite may be running beside this test.
CARD_WAIT = 20.0


def own_channel_in(monkeypatch: pytest.MonkeyPatch, namespace: dict[str, Any]) -> None:
    """Give a test its own channel, in these helpers and in the test module's CHANNEL."""
    channel = "C" + uuid.uuid4().hex[:8].upper()
    monkeypatch.setitem(globals(), "CHANNEL", channel)
    monkeypatch.setitem(namespace, "CHANNEL", channel)


def card_text(call: Call) -> str:
    return json.dumps(call.payload.get("blocks", []), ensure_ascii=False)


def card_value(card: Call, action_id: str) -> str:
    for block in card.payload["blocks"]:
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} on the card")


async def start_team(slack: SlackHarness, facilitator: str, text: str = "team Support bot") -> Call:
    status, _ = await slack.command(facilitator, text, channel=CHANNEL)
    assert status == 200
    return await slack.eventually(lambda: (slack.posts(CHANNEL) or [None])[0])


async def click_card(
    slack: SlackHarness, user: str, card: Call, action_id: str = TEAM_JOIN
) -> None:
    status, _ = await slack.action(
        user,
        action_id,
        card_value(card, TEAM_JOIN),
        channel=CHANNEL,
        message_ts=card.result["ts"],
    )
    assert status == 200


def latest_card(slack: SlackHarness, card: Call) -> str:
    updates = slack.updates(card.result["ts"])
    return card_text(updates[-1]) if updates else card_text(card)


def skip_button(question: Call) -> dict[str, Any]:
    for block in question.payload["blocks"]:
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == "cmd_skip":
                return element
    raise AssertionError("no skip button")


async def answer_all(
    apps: SlackHarness | list[SlackHarness],
    user: str,
    answers: dict[str, str],
    within: float = CARD_WAIT,
) -> None:
    """Click through the member's team questions in their DM (skipping the typed figure);
    given several apps, each click goes to the next one."""
    apps = apps if isinstance(apps, list) else [apps]
    slack = apps[0]
    dm = "D" + user
    asked = 0
    while True:
        question = await slack.eventually(
            lambda asked=asked: (
                (slack.questions(dm)[asked:] or [None])[0] or (slack.summaries(dm) or [None])[0]
            ),
            within=within,
        )
        if slack.is_summary(question):
            return
        assert "Team assessment" in card_text(question)  # says which team it belongs to
        buttons = slack.question_buttons(question)
        ts = question.result["ts"]
        if buttons:
            qid = json.loads(next(iter(buttons.values()))["value"])["q"]
            button = buttons[answers[qid]]
            action_id, value = button["action_id"], button["value"]
        else:
            skip = skip_button(question)
            action_id, value = skip["action_id"], skip["value"]
        assert json.loads(value)["t"].startswith(CHANNEL + "/")
        app = apps[asked % len(apps)]
        status, _ = await app.action(user, action_id, value, channel=dm, message_ts=ts)
        assert status == 200
        await slack.eventually(lambda ts=ts: slack.updates(ts), within=within)
        asked += 1
