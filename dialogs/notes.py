"""The screen note kept beside a session: which message shows the current question.

The engine's commit claims it for a new question (see stores.base.NoteClaim); the adapter then
posts the question and records the platform's id for the message in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import orjson


@dataclass(frozen=True, kw_only=True)
class ScreenRef:
    """Question `stamp` is shown by message `message_id` ("" while it is being posted).
    `claim` tells one turn's claim from another's for the same question."""

    stamp: str
    message_id: str
    prompt: str
    claim: str = ""

    def dump(self) -> str:
        data = {"stamp": self.stamp, "id": self.message_id, "prompt": self.prompt}
        if self.claim:
            data["claim"] = self.claim
        return json.dumps(data)

    @classmethod
    def load(cls, raw: str | None) -> ScreenRef | None:
        if not raw:
            return None
        try:
            data = orjson.loads(raw)  # every turn reads two notes; this parser is quicker
            return cls(
                stamp=str(data["stamp"]),
                message_id=str(data["id"]),
                prompt=str(data["prompt"]),
                claim=str(data.get("claim", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
