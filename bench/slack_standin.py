"""The Slack benchmark's stand-in Web API: the tests' stand-in, routing calls to inboxes.

It runs in the driver process (with the load generator), on its own port; both Slack apps
point their SLACK_API_URL at it. Each call is timed as it arrives (its body read and parsed).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from bench import common
from bench.common import BenchError
from tests.support.block_kit import card_problems_of
from tests.support.slack_standin import Call, SlackStandIn


class Inbox(common.Inbox[Call]):
    """The Web API calls one simulated user's channel received, each with its arrival time."""

    def check(self, call: Call) -> None:
        """Questions, answered messages and the summary have blocks; the apps' error messages
        (store unavailable, something went wrong, a foreign click) are text alone."""
        text = call.payload.get("text")
        if call.method == "chat.postEphemeral" or not call.payload.get("blocks"):
            raise BenchError(f"the app answered with {call.method}: {text!r}")

    def is_update(self, call: Call, updated: str | None) -> bool:
        return call.method == "chat.update" and call.payload.get("ts") == updated

    def is_post(self, call: Call) -> bool:
        return call.method == "chat.postMessage" and (is_question(call) or is_summary(call))

    def glimpse(self, call: Call) -> object:
        return (call.method, str(call.payload.get("text", ""))[:50])


class BenchStandIn(SlackStandIn):
    """The test stand-in, routing calls to per-channel inboxes instead of one growing list,
    with the Block Kit check switched off once the warm-up has run it."""

    def __init__(self) -> None:
        super().__init__()
        self.check_cards = True
        self.inboxes: dict[str, Inbox] = {}
        self.methods: Counter[str] = Counter()

    def watch(self, channel: str) -> Inbox:
        inbox = self.inboxes[channel] = Inbox()
        return inbox

    def _record(self, call: Call) -> None:
        arrived = time.perf_counter()
        if self.check_cards:
            self.card_problems.extend(card_problems_of(call.method, call.payload))
        self.methods[call.method] += 1
        inbox = self.inboxes.get(str(call.payload.get("channel", "")))
        if inbox is not None:
            inbox.add(arrived, call)
        elif len(self.calls) < 1000:
            self.calls.append(call)  # auth.test and anything unexpected: few, kept for errors


def is_question(call: Call) -> bool:
    return any(b.get("block_id") == "answers" for b in call.payload.get("blocks", []))


def is_summary(call: Call) -> bool:
    """A summary card: its actions block id is "summary_actions:" and the owner and stamp."""
    return any(
        str(b.get("block_id", "")).startswith("summary_actions")
        for b in call.payload.get("blocks", [])
    )


def answer_buttons(call: Call) -> dict[str, tuple[str, str, str]]:
    """Option id -> (question id, action_id, value) of a question message's answer buttons."""
    out: dict[str, tuple[str, str, str]] = {}
    for block in call.payload.get("blocks", []):
        if block.get("type") == "actions" and block.get("block_id") == "answers":
            for element in block["elements"]:
                data = json.loads(element.get("value") or "{}")
                if isinstance(data, dict) and "o" in data and "q" in data:
                    out[data["o"]] = (data["q"], element["action_id"], element["value"])
    return out


def message_of(call: Call) -> dict[str, Any]:
    """The message part of a recorded call (text and blocks), without its channel or ts."""
    return {k: call.payload[k] for k in ("text", "blocks") if k in call.payload}
