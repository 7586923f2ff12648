"""The summary's newer blocks (plan and task cards, table, alert, collapsible container) where
the workspace has them, shown by a streamed summary over signed HTTP; today's section blocks,
with a meaningful text, where the summary is posted whole."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block

from bot.slack.blocks import COST, PLAN_TITLE, RATIONALE, RATIONALE_TITLE, RED_FLAGS
from tests.bot.slack.agent_walk import walk
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.test_agent_summary import start_in_a_thread
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_agent import Streamed
from tests.support.slack_standin import Call

NEWER = {"plan", "task_card", "table", "alert", "container"}
# Answers that hold training back: red flags on the card.
EARLY = {
    **FULL_ANSWERS,
    "stage": "idea",
    "current_gap": "domain_language",
    "evals": "none",
    "budget": "under_10k",
    "data_sensitivity": "public",
}


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b.get("type") == "section" and "text" in b]


def types(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["type"] for b in blocks]


def round_trips(block: dict[str, Any]) -> bool:
    """slack_sdk's model of the block gives the same JSON back (nothing dropped or unknown)."""
    parsed = Block.parse(block)
    return parsed is not None and parsed.to_dict() == block


async def streamed_summary(slack: SlackHarness, answers: dict[str, str]) -> Streamed:
    user, channel = new_user(), "C1"
    root = await start_in_a_thread(slack, user, channel)
    summary = await walk(slack, user, channel, thread_ts=root, answers=answers)
    assert isinstance(summary, Streamed)
    return summary


async def test_a_streamed_summary_has_the_plan_the_table_and_the_folded_rationale(
    slack: SlackHarness,
) -> None:
    blocks = (await streamed_summary(slack, FULL_ANSWERS)).blocks
    kinds = types(blocks)
    assert kinds[:3] == ["header", "section", "plan"]  # the plan right under the headline
    plan = blocks[2]
    assert plan["title"] == PLAN_TITLE
    assert [t["status"] for t in plan["tasks"]] == ["complete"] * 3
    assert "At 2B tokens a month" in json.dumps(plan["tasks"][2]["output"])
    [container] = [b for b in blocks if b["type"] == "container"]
    assert container["title"]["text"] == RATIONALE_TITLE
    assert container["is_collapsible"] is True and container["default_collapsed"] is True
    inside = texts(container["child_blocks"])
    assert inside and all(t.startswith(RATIONALE) for t in inside)
    assert not [t for t in texts(blocks) if t.startswith(RATIONALE)]  # only folded away
    [table] = [b for b in blocks if b["type"] == "table"]
    header, *rows = table["rows"]
    assert [c["text"] for c in header] == ["Option", "Per month", "Upfront"]
    assert rows and all(len(r) == 3 and r[1]["text"].startswith("$") for r in rows)
    assert [t for t in texts(blocks) if t.startswith(COST)] == [
        next(t for t in texts(blocks) if t.startswith(COST))
    ]  # the cost heading stays, its lines became the table
    for block in blocks:
        if block["type"] in NEWER:
            assert round_trips(block), block["type"]
    assert slack.standin.card_problems == []


async def test_red_flags_are_an_alert(slack: SlackHarness) -> None:
    blocks = (await streamed_summary(slack, EARLY)).blocks
    [alert] = [b for b in blocks if b["type"] == "alert"]
    assert alert["level"] == "warning" and alert["text"]["text"].startswith(RED_FLAGS)
    assert not [t for t in texts(blocks) if t.startswith(RED_FLAGS)]
    assert round_trips(alert)
    assert slack.standin.card_problems == []


async def test_posted_whole_the_summary_keeps_todays_blocks(slack: SlackHarness) -> None:
    slack.standin.fail("chat.startStream", error="feature_not_enabled")
    user, channel = new_user(), "C1"
    root = await start_in_a_thread(slack, user, channel)
    summary = await walk(slack, user, channel, thread_ts=root, answers=EARLY)
    assert isinstance(summary, Call)
    blocks = summary.payload["blocks"]
    assert not NEWER & set(types(blocks))
    # The sections the newer blocks stand in for are there, opening as bot.slack.blocks expects.
    found = texts(blocks)
    for opening in (RED_FLAGS, COST, *RATIONALE):
        assert [t for t in found if t.startswith(opening)], opening
    assert summary.payload["text"].startswith("Your summary: ")
    assert slack.standin.card_problems == []
