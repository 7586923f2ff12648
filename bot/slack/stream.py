"""A message streamed into a thread (chat.startStream, appendStream, stopStream: what Bolt's
`say_stream` and slack_sdk's `chat_stream` call), for workspaces with Slack's agent features.

The blocks go out a few at a time, so the person sees the summary build up in place of a long
pause. `stream` answers None, having changed nothing, where a stream cannot start (not in a
thread, or the workspace lacks the feature): the caller then posts the message whole. A stream
that started and then fails is finished with chat.update, so the message is whole either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.agent import AgentFeatures

log = logging.getLogger(__name__)

# Blocks per appendStream: the first (header and headline) starts the stream, the rest follow.
BLOCKS_PER_CHUNK = 3


@dataclass(frozen=True, kw_only=True)
class Target:
    """Where a stream goes: a thread, and (in channels, which Slack requires) its reader."""

    team: str
    channel: str
    thread_ts: str
    user: str


def chunks(blocks: list[dict[str, Any]], size: int = BLOCKS_PER_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(blocks), size):
        yield blocks[start : start + size]


async def stream(
    client: AsyncWebClient, agent: AgentFeatures, target: Target, payload: dict[str, Any]
) -> str | None:
    """Stream `payload`'s blocks into `target`'s thread; the message's ts, or None when no
    stream could start (nothing was sent: post it whole)."""
    if not target.thread_ts or not agent.available(target.team):
        return None
    parts = list(chunks(list(payload.get("blocks") or ())))
    if not parts:
        return None
    try:
        started = await client.chat_startStream(
            channel=target.channel,
            thread_ts=target.thread_ts,
            recipient_team_id=target.team or None,
            recipient_user_id=target.user or None,
            chunks=[{"type": "blocks", "blocks": parts[0]}],
        )
    except SlackApiError as exc:
        agent.unavailable(target.team, exc)
        return None
    ts = str(started.get("ts", ""))
    try:
        for part in parts[1:]:
            await client.chat_appendStream(
                channel=target.channel, ts=ts, chunks=[{"type": "blocks", "blocks": part}]
            )
        await client.chat_stopStream(channel=target.channel, ts=ts)
    except (SlackApiError, TimeoutError) as exc:
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else "timeout"
        log.warning("stream %s broke off (%s): finished whole", ts, reason)
        await client.chat_update(channel=target.channel, ts=ts, **payload)
    return ts
