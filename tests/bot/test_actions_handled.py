"""Every button a template emits has a handler (Slack action ids, Teams Action.Submit data)."""

from __future__ import annotations

from typing import Any

from bot.check import sample_replies
from bot.feedback import Vote
from bot.render import create_environment
from bot.slack.listeners.actions import ACTION_PATTERN
from bot.slack.render import SlackRenderer
from bot.teams.bot import COMMANDS
from bot.teams.render import TeamsRenderer
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow
from dialogs.presenter import intro
from dialogs.replies import Notice, Summary
from tests.support.payloads import walk


def everything(flow: Flow, costs: CostAssumptions) -> list[Any]:
    replies: list[Any] = list(sample_replies(flow, costs))
    for code in ("confirm_restart", "confirm_forget"):
        replies.append(Notice(code=code, text=flow.message(code, count=3)))
    return replies


def test_every_slack_action_id_has_a_listener(flow: Flow, costs: CostAssumptions) -> None:
    renderer = SlackRenderer(env=create_environment(), flow=flow)
    payloads = [renderer.reply(r, owner="U1", in_thread=False) for r in everything(flow, costs)]
    summary = next(r for r in everything(flow, costs) if isinstance(r, Summary))
    payloads += [renderer.home(None), renderer.home(summary), renderer.shared(summary, sharer="U1")]
    action_ids = {n["action_id"] for p in payloads for n in walk(p) if "action_id" in n}
    assert {
        "answer_1",
        "cmd_yes",
        "cmd_no",
        "cmd_back",
        "cmd_skip",
        "summary_edit",
        "home_start",
        "feedback_useful",
        "feedback_not_useful",
    } <= action_ids
    for action_id in action_ids:
        assert ACTION_PATTERN.match(action_id), action_id


def test_every_teams_submit_is_understood(flow: Flow, costs: CostAssumptions) -> None:
    renderer = TeamsRenderer(env=create_environment(), flow=flow)
    cards = [
        renderer.card(r, owner="a", owner_name="A", in_thread=False)
        for r in everything(flow, costs)
    ]
    cards.append(renderer.welcome(intro(flow), owner="a"))
    submits = [n["data"] for c in cards for n in walk(c) if n.get("type") == "Action.Submit"]
    inputs = {n["id"] for c in cards for n in walk(c) if str(n.get("type")).startswith("Input.")}
    assert submits
    assert {d.get("vote") for d in submits} >= {"useful", "not_useful"}
    for data in submits:
        assert data.get("u") == "a"
        if "cmd" in data:
            assert data["cmd"] in COMMANDS, data
        elif "vote" in data:
            assert data["vote"] in tuple(Vote) and data["s"], data
        else:  # an answer (an intake review's change control names its option in an input)
            assert {"q", "s"} <= set(data) and ("o" in data or f"o.{data['q']}" in inputs), data
