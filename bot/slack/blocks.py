"""Slack's newer blocks, for workspaces that have them: the summary card, and a question's
progress through the assessment.

The blocks new in slack-sdk 3.48 (`plan` and `task_card`, `table`, `alert`, `container`) come
with the agent features (a paid plan or a developer sandbox); a workspace without them would
refuse a message that holds one. So only a summary that streams (bot.slack.stream: the stream
starting is the proof) is given them; everywhere else the card keeps today's section blocks.

`upgraded` takes today's card (templates/slack/summary.json.j2) and replaces, in place:
the red flags' section with a warning `alert`; the cost section with a `table` of the options
(the break-even and the footnote stay as they are); the long rationale (what mattered most,
what would change the advice) with a collapsible `container`; and puts a `plan` of the
assessment's steps, as `task_card`s, under the headline.

`with_progress` puts a `plan` at the foot of a question's message: the assessment in at most
MAX_TASKS groups of questions, done, under way and to do. The question's own blocks stay as
they are (its "*3/22*" and the `text`, "Question 3 of 22: ...", say the same for clients that
show none of the newer blocks). A workspace without the features refuses the message, and
bot.slack.delivery posts it again without the plan.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bot.render import tokens, usd
from dialogs.replies import Ask, Summary

# The sections today's card opens with these words (templates/slack/_summary_blocks.j2 and
# _cost.j2); tests/bot/slack/test_agent_blocks.py holds the two in step.
RED_FLAGS = "*Why not train yet*"
COST = "*Cost per month at "
RATIONALE = ("*The answers that mattered most*", "*What would change the advice*")
RATIONALE_TITLE = "Why this advice"
PLAN_TITLE = "Your assessment"
PROGRESS_TITLE = "Your assessment: question {position} of {total}"
REVISIT_TITLE = "Changing an answer: question {position} of {total}"
# A question's plan stays short: the questions go in at most this many groups.
MAX_TASKS = 8
MAX_MESSAGE_BLOCKS = 50
# Slack's limits on these blocks (slack_sdk's models check the same).
MAX_CONTAINER_TITLE = 150
MAX_TABLE_ROWS = 100
MAX_CELL = 1000


def upgraded(message: dict[str, Any], summary: Summary) -> dict[str, Any]:
    """The summary message with the newer blocks in place of their older equivalents."""
    blocks: list[dict[str, Any]] = []
    rationale: list[dict[str, Any]] = []
    slot: int | None = None  # where the rationale's container goes: its first section's place
    for block in message["blocks"]:
        text = _section_text(block)
        if text.startswith(RED_FLAGS):
            blocks.append(alert(text))
        elif text.startswith(COST) and (table := cost_table(summary.assessment.get("cost"))):
            heading = text.split("\n", 1)[0]
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": heading}})
            blocks.append(table)
        elif text.startswith(RATIONALE):
            if slot is None:
                slot = len(blocks)
                blocks.append({})
            rationale.append(block)
        else:
            blocks.append(block)
    if slot is not None:
        blocks[slot] = collapsible(RATIONALE_TITLE, rationale)
    headline = next((i for i, b in enumerate(blocks) if b.get("type") == "section"), 0)
    blocks.insert(headline + 1, plan(summary))
    return {**message, "blocks": blocks}


def _section_text(block: dict[str, Any]) -> str:
    text = block.get("text") if block.get("type") == "section" else None
    return str(text.get("text", "")) if isinstance(text, dict) else ""


def alert(text: str) -> dict[str, Any]:
    return {"type": "alert", "level": "warning", "text": {"type": "mrkdwn", "text": text}}


def collapsible(title: str, children: list[dict[str, Any]]) -> dict[str, Any]:
    """A container that opens on a click, folded at first."""
    return {
        "type": "container",
        "title": {"type": "plain_text", "text": title[:MAX_CONTAINER_TITLE]},
        "is_collapsible": True,
        "default_collapsed": True,
        "child_blocks": children,
    }


def _cell(text: str) -> dict[str, str]:
    return {"type": "raw_text", "text": text[:MAX_CELL]}


def _range(low_high: Mapping[str, Any]) -> str:
    low, high = low_high.get("low") or 0, low_high.get("high") or 0
    return usd(low) if high == low else f"{usd(low)} to {usd(high)}"


def cost_table(cost: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The options the data rules allow, a row each: per month, and upfront."""
    if not cost:
        return None
    rows = [[_cell("Option"), _cell("Per month"), _cell("Upfront")]]
    for option in cost.get("options") or ():
        if not option.get("allowed"):
            continue
        upfront = option.get("upfront_usd") or {}
        rows.append(
            [
                _cell(str(option.get("label", ""))),
                _cell(_range(option.get("monthly_usd") or {})),
                _cell(_range(upfront) if upfront.get("high") else "None"),
            ]
        )
    if len(rows) < 2:
        return None
    return {
        "type": "table",
        "column_settings": [{"is_wrapped": True}, {"align": "right"}, {"align": "right"}],
        "rows": rows[:MAX_TABLE_ROWS],
    }


def _rich(text: str) -> dict[str, Any]:
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {"type": "rich_text", "elements": [section]}


def plan(summary: Summary) -> dict[str, Any]:
    """The assessment's steps, each a task card: all done by the time the summary shows."""
    a = summary.assessment
    answered = len(summary.answers)
    skipped = len(summary.skipped)
    cost = a.get("cost")
    tasks = [
        _task("answers", "Answer the questions", f"{answered} answered, {skipped} skipped"),
        _task("weigh", "Weigh the answers", f"Readiness to train: {a.get('readiness', 0)}/100"),
        _task(
            "costs",
            "Compare the costs",
            f"At {tokens(int(cost['monthly_tokens']))} tokens a month"
            if cost
            else "Waiting for the monthly volume",
            done=bool(cost),
        ),
    ]
    return {"type": "plan", "title": PLAN_TITLE, "tasks": tasks}


def _task(
    task_id: str, title: str, output: str, *, done: bool = True, status: str = ""
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "task_card",
        "task_id": task_id,
        "title": title,
        "status": status or ("complete" if done else "pending"),
    }
    if output:
        card["output"] = _rich(output)
    return card


def progress(ask: Ask, *, short: str = "") -> dict[str, Any]:
    """Where question `ask` stands, as a plan: the questions in at most MAX_TASKS groups in
    the order they are asked; the groups before the question's are done, its own under way
    (named by `short`, the question's short name), the rest to do. An answer being changed
    (`ask.current` is set) is said so in the title."""
    total, position = max(ask.total, 1), min(max(ask.position, 1), max(ask.total, 1))
    size = math.ceil(total / MAX_TASKS)
    tasks = []
    for first in range(1, total + 1, size):
        last = min(first + size - 1, total)
        title = f"Question {first}" if first == last else f"Questions {first}\u2013{last}"
        if last < position:
            tasks.append(_task(f"q{first}", title, f"{last - first + 1} done"))
        elif first <= position:
            now = f"Now: {short}" if short else f"Now: question {position}"
            tasks.append(_task(f"q{first}", title, now, status="in_progress"))
        else:
            tasks.append(_task(f"q{first}", title, "", status="pending"))
    heading = REVISIT_TITLE if ask.current is not None else PROGRESS_TITLE
    return {
        "type": "plan",
        "title": heading.format(position=position, total=total),
        "tasks": tasks,
    }


def with_progress(message: dict[str, Any], plan_block: dict[str, Any]) -> dict[str, Any]:
    """The question's message with its plan at the foot (unchanged where it would not fit)."""
    blocks = list(message.get("blocks") or ())
    if not blocks or len(blocks) >= MAX_MESSAGE_BLOCKS:
        return message
    return {**message, "blocks": [*blocks, plan_block]}
