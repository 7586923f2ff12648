""" "Decide as a team" on the App Home (issue 14), over signed HTTP with the stand-in Web API and a
real Redis: the Home tab's button opens a modal (views.open with the click's trigger) asking for
a channel, a title and anonymity; submitting it starts the team in that channel as the slash
command does; a channel the app is not in is refused in the modal, saying to invite it."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any
from urllib.parse import urlencode

from bot.slack.team_home import (
    ANONYMOUS,
    CHANNEL_ACTION,
    CHANNEL_BLOCK,
    HOME_TEAM,
    NAMED,
    NAMES_ACTION,
    NAMES_BLOCK,
    TEAM_VIEW,
    TITLE_ACTION,
    TITLE_BLOCK,
)
from bot.slack.team_render import TEAM_JOIN
from dialogs.team_index import Joined, TeamIndex
from dialogs.team_session import Team, TeamBook, TeamRef
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.slack_signing import app_home_opened_event, next_ts
from tests.support.slack_standin import APP_ID, BOT_ID, TEAM_ID, Call

FORM = "application/x-www-form-urlencoded"
STORE_READS = 500  # of the team, 20 ms apart: ten seconds at most


def channel_id() -> str:
    return "C" + uuid.uuid4().hex[:8].upper()


async def home_click(slack: SlackHarness, user: str, action_id: str) -> tuple[int, str]:
    """A button on the Home tab, as Slack sends it: in a view, with no channel or message."""
    view_id = "VHOME" + uuid.uuid4().hex[:6].upper()
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "container": {"type": "view", "view_id": view_id},
        "trigger_id": slack.next_id("trig"),
        "team": {"id": TEAM_ID, "domain": "standin"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {"id": view_id, "type": "home", "team_id": TEAM_ID, "blocks": [], "state": {}},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "home",
                "value": "team" if action_id == HOME_TEAM else "start",
                "text": {"type": "plain_text", "text": "x"},
                "action_ts": next_ts(),
            }
        ],
    }
    return await slack.post(urlencode({"payload": json.dumps(payload)}), content_type=FORM)


async def open_modal(slack: SlackHarness, user: str) -> Call:
    status, _ = await home_click(slack, user, HOME_TEAM)
    assert status == 200
    return (await slack.standin.wait_for("views.open"))[-1]


async def submit(
    slack: SlackHarness,
    user: str,
    opened: Call,
    *,
    channel: str | None,
    title: str = "",
    names: str = NAMED,
) -> tuple[int, dict[str, Any]]:
    """The modal submitted, as Slack sends it: what was picked is in the view's state."""
    values: dict[str, Any] = {
        CHANNEL_BLOCK: {
            CHANNEL_ACTION: {"type": "conversations_select", "selected_conversation": channel}
        },
        TITLE_BLOCK: {TITLE_ACTION: {"type": "plain_text_input", "value": title or None}},
        NAMES_BLOCK: {
            NAMES_ACTION: {
                "type": "radio_buttons",
                "selected_option": {"text": {"type": "plain_text", "text": names}, "value": names},
            }
        },
    }
    view = {
        **opened.payload["view"],
        "id": opened.result["view"]["id"],
        "hash": opened.result["view"]["hash"],
        "team_id": TEAM_ID,
        "app_id": APP_ID,
        "bot_id": BOT_ID,
        "private_metadata": "",
        "state": {"values": values},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "standin"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": slack.next_id("trig"),
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    status, text = await slack.post(urlencode({"payload": json.dumps(payload)}), content_type=FORM)
    return status, json.loads(text) if text.strip() else {}


async def stored(slack: SlackHarness, ref: TeamRef) -> Team | None:
    """The team, once stored (the card is posted first, the team after the modal closed)."""
    book = TeamBook(store=slack.advisor.store, ttl_seconds=60)
    for _ in range(STORE_READS):
        team = await book.load(ref)
        if team is not None:
            return team
        await asyncio.sleep(0.02)
    return None


async def test_the_home_tab_starts_a_team_in_the_channel_picked(slack: SlackHarness) -> None:
    facilitator, ana = new_user(), new_user()
    await slack.event(app_home_opened_event(facilitator))
    home = (await slack.standin.wait_for("views.publish"))[-1].payload["view"]
    buttons = [e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["home_start", HOME_TEAM]
    assert buttons[1]["text"]["text"] == "Decide as a team"

    opened = await open_modal(slack, facilitator)
    modal = opened.payload["view"]
    assert opened.payload["trigger_id"] and modal["type"] == "modal"
    assert modal["callback_id"] == TEAM_VIEW
    picker = next(b for b in modal["blocks"] if b.get("block_id") == CHANNEL_BLOCK)["element"]
    assert picker["type"] == "conversations_select"
    assert sorted(picker["filter"]["include"]) == ["private", "public"]
    assert not slack.standin.card_problems  # the modal is valid Block Kit

    channel = channel_id()
    status, answer = await submit(
        slack, facilitator, opened, channel=channel, title="Pricing assistant", names=ANONYMOUS
    )
    assert status == 200 and "errors" not in answer  # the modal closes
    card = await slack.eventually(lambda: (slack.posts(channel) or [None])[0])
    text = json.dumps(card.payload["blocks"])
    assert "Pricing assistant" in text and f"<@{facilitator}>" in text and "anonymous" in text

    # The team is the same as one started with the command: stored, listed, and joinable.
    ref = TeamRef(
        platform="slack", workspace=TEAM_ID, conversation=channel, thread=card.result["ts"]
    )
    team = await stored(slack, ref)
    assert team is not None and team.facilitator == facilitator and team.anonymous
    assert team.title == "Pricing assistant"
    history = TeamIndex(store=slack.advisor.store, ttl_seconds=60, name="history")
    where = SessionKey(platform="slack", workspace=TEAM_ID, conversation=channel, user="")
    assert await history.teams(where) == [Joined(ref=ref, title="Pricing assistant")]
    join = next(
        e
        for b in card.payload["blocks"]
        for e in b.get("elements", [])
        if isinstance(e, dict) and e.get("action_id") == TEAM_JOIN
    )
    await slack.action(ana, TEAM_JOIN, join["value"], channel=channel, message_ts=card.result["ts"])
    question = await slack.next_question("D" + ana, 0)
    assert "Pricing assistant" in json.dumps(question.payload["blocks"])


async def test_a_channel_the_app_is_not_in_is_refused_in_the_modal(slack: SlackHarness) -> None:
    facilitator = new_user()
    opened = await open_modal(slack, facilitator)
    channel = channel_id()
    slack.standin.fail("chat.postMessage", error="not_in_channel")
    status, answer = await submit(slack, facilitator, opened, channel=channel, title="Nowhere")
    assert status == 200
    assert answer["response_action"] == "errors"
    assert "Invite me" in answer["errors"][CHANNEL_BLOCK]
    assert not [c for c in slack.posts(channel) if c.result.get("ts")]  # refused, not posted

    # Invited, the same modal submitted again starts it.
    status, answer = await submit(slack, facilitator, opened, channel=channel, title="Nowhere")
    assert status == 200 and "errors" not in answer
    card = await slack.eventually(lambda: (slack.posts(channel) or [None])[0])
    assert "Nowhere" in json.dumps(card.payload["blocks"])


async def test_no_channel_or_a_direct_message_is_refused(slack: SlackHarness) -> None:
    user = new_user()
    opened = await open_modal(slack, user)
    for picked in (None, "D" + user, "not a channel"):
        status, answer = await submit(slack, user, opened, channel=picked)
        assert status == 200 and answer["response_action"] == "errors"
        assert "Pick a public or private channel" in answer["errors"][CHANNEL_BLOCK]
    assert not [c for c in slack.posts() if c.payload.get("channel", "").startswith("C")]


async def test_the_start_button_of_the_home_tab_opens_the_assessment_in_the_dm(
    slack: SlackHarness,
) -> None:
    """A Home-tab click carries no channel: the start button still works from there."""
    user = new_user()
    status, _ = await home_click(slack, user, "home_start")
    assert status == 200
    question = await slack.next_question("D" + user, 0)
    assert "Where is the product" in question.payload["text"]
