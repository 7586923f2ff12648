"""The stand-in's side of Slack's agent messaging experience: thread status, suggested prompts,
and streamed messages (chat.startStream / appendStream / stopStream).

A workspace without the features (no paid plan, no developer sandbox) is one switch away:
``AgentApi.enabled = False`` makes every one of these methods answer ``refusal`` (by default
``feature_not_enabled``; tests try the other refusals bot.slack.agent.UNSUPPORTED knows), and
a message holding one of the newer blocks (plan, task_card, table...) ``invalid_blocks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from tests.support.block_kit import MAX_MESSAGE_BLOCKS, NEWER_BLOCKS, check_blocks

AGENT_METHODS: Final = frozenset(
    {
        "assistant.threads.setStatus",
        "assistant.threads.setSuggestedPrompts",
        "chat.startStream",
        "chat.appendStream",
        "chat.stopStream",
    }
)
MAX_PROMPTS: Final = 4


@dataclass
class Streamed:
    """One streamed message as it stands: its text, its blocks, whether it was stopped."""

    channel: str
    ts: str
    thread_ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False

    def message(self, *, user: str, bot_id: str, team: str) -> dict[str, Any]:
        return {
            "type": "message",
            "user": user,
            "bot_id": bot_id,
            "team": team,
            "ts": self.ts,
            "thread_ts": self.thread_ts,
            "text": self.text,
            "blocks": self.blocks,
        }


@dataclass
class AgentApi:
    enabled: bool = True
    refusal: str = "feature_not_enabled"
    #: Status lines per (channel, thread_ts), in the order set ("" is a clear).
    statuses: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: Suggested prompts per channel, the latest last.
    prompts: dict[str, list[list[dict[str, str]]]] = field(default_factory=dict)
    streams: dict[str, Streamed] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.statuses.clear()
        self.prompts.clear()
        self.streams.clear()
        self.problems.clear()

    def refuses(self, payload: dict[str, Any]) -> bool:
        """Whether a message (chat.postMessage, chat.update) is refused for its newer blocks."""
        blocks = payload.get("blocks")
        if self.enabled or not isinstance(blocks, list):
            return False
        return any(isinstance(b, dict) and b.get("type") in NEWER_BLOCKS for b in blocks)

    def answer(
        self, method: str, payload: dict[str, Any], *, channel: str | None, ts: str
    ) -> dict[str, Any]:
        """Slack's answer to one agent method; `ts` is a fresh timestamp should one be needed."""
        if not self.enabled:
            return {"ok": False, "error": self.refusal}
        if method == "assistant.threads.setStatus":
            return self._status(payload)
        if method == "assistant.threads.setSuggestedPrompts":
            return self._prompts(payload)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if method == "chat.startStream":
            return self._start(payload, channel, ts)
        stream = self.streams.get(str(payload.get("ts", "")))
        if stream is None or stream.channel != channel:
            return {"ok": False, "error": "message_not_found"}
        if stream.stopped:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        self._add(stream, payload, method)
        if method == "chat.stopStream":
            stream.stopped = True
            self.problems.extend(
                check_blocks(stream.blocks, where="chat.stopStream", max_blocks=MAX_MESSAGE_BLOCKS)
            )
        return {"ok": True, "channel": channel, "ts": stream.ts}

    def _status(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel, thread = str(payload.get("channel_id", "")), str(payload.get("thread_ts", ""))
        if not channel or not thread or not isinstance(payload.get("status"), str):
            return {"ok": False, "error": "invalid_arguments"}
        self.statuses.setdefault((channel, thread), []).append(payload["status"])
        return {"ok": True}

    def _prompts(self, payload: dict[str, Any]) -> dict[str, Any]:
        prompts = payload.get("prompts")
        channel = str(payload.get("channel_id", ""))
        if not channel or not isinstance(prompts, list) or not 0 < len(prompts) <= MAX_PROMPTS:
            return {"ok": False, "error": "invalid_arguments"}
        if not all(isinstance(p, dict) and p.get("title") and p.get("message") for p in prompts):
            return {"ok": False, "error": "invalid_arguments"}
        self.prompts.setdefault(channel, []).append(prompts)
        return {"ok": True}

    def _start(self, payload: dict[str, Any], channel: str, ts: str) -> dict[str, Any]:
        thread = str(payload.get("thread_ts", ""))
        if not thread:
            return {"ok": False, "error": "invalid_arguments"}  # streams live in threads only
        if channel[0] != "D" and not (
            payload.get("recipient_user_id") and payload.get("recipient_team_id")
        ):
            return {"ok": False, "error": "missing_recipient_user_id"}  # channels need both
        stream = Streamed(channel=channel, ts=ts, thread_ts=thread)
        self.streams[ts] = stream
        self._add(stream, payload, "chat.startStream")
        return {"ok": True, "channel": channel, "ts": ts}

    def _add(self, stream: Streamed, payload: dict[str, Any], method: str) -> None:
        if isinstance(payload.get("markdown_text"), str):
            stream.text += payload["markdown_text"]
        for chunk in payload.get("chunks") or ():
            if not isinstance(chunk, dict):
                self.problems.append(f"{method}: a chunk is not an object: {chunk!r:.60}")
            elif chunk.get("type") == "markdown_text":
                stream.text += str(chunk.get("text", ""))
            elif chunk.get("type") == "blocks" and isinstance(chunk.get("blocks"), list):
                stream.blocks.extend(chunk["blocks"])
            elif chunk.get("type") not in ("plan_update", "task_update"):
                self.problems.append(f"{method}: unknown chunk {chunk.get('type')!r}")
        if isinstance(payload.get("blocks"), list):
            stream.blocks.extend(payload["blocks"])
