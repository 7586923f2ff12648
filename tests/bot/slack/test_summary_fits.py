"""An updated summary (which starts with what changed) still fits in one Slack message: over
the budget, the line repeating the answers is left out first."""

from __future__ import annotations

from typing import Any

from bot.render import create_environment
from bot.slack.render import SUMMARY_BLOCKS_BUDGET, SlackRenderer, blocks_size, fitted
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.replies import Summary
from tests.support.answers import FULL_ANSWERS
from tests.support.block_kit import MAX_MESSAGE_BLOCKS, check_blocks
from tests.support.conversation import Conversation


def finished(flow: Flow, config: EngineConfig) -> Conversation:
    chat = Conversation(flow=flow, config=config)
    chat.finish()
    return chat


def test_every_single_edit_gives_a_summary_slack_accepts(
    flow: Flow, engine_config: EngineConfig
) -> None:
    renderer = SlackRenderer(env=create_environment(), flow=flow)
    checked = 0
    for q in flow.applicable(FULL_ANSWERS):
        if q.input != "choice" or q.id in flow.gates:
            continue
        for option in q.options:
            chat = finished(flow, engine_config)
            chat.say(f"edit {q.id}")
            summary = next(r for r in chat.say(option.id) if isinstance(r, Summary))
            assert summary.changed is not None
            payload = renderer.reply(summary, owner="U0123456789", in_thread=True)
            where = f"{q.id}={option.id}"
            assert check_blocks(payload["blocks"], where=where, max_blocks=MAX_MESSAGE_BLOCKS) == []
            assert payload["blocks"][1]["block_id"] == "changed"
            checked += 1
    assert checked > 20


def answers_line(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def test_only_an_oversized_summary_loses_the_answers_line() -> None:
    filler: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}
    line = answers_line("*Your answers:* Stage: Live")
    small: dict[str, Any] = {"text": "t", "blocks": [filler, line]}
    assert fitted(small) == small
    blocks = [filler] * 4 + [answers_line("*Your answers:* " + "y" * 900)]
    big: dict[str, Any] = {"text": "t", "blocks": blocks}
    assert blocks_size(blocks) > SUMMARY_BLOCKS_BUDGET
    assert fitted(big)["blocks"] == [filler] * 4
