"""The cost chart in Slack: uploaded with files_upload_v2 where the summary was posted.

The summary is posted first; the chart follows it into the same DM or thread. Drawing or
uploading failures are logged (one line) and never reach the person or the turn.

A summary shown again with the same figures (status, an edit that moved no cost, "show my last
result", a share to the same channel) shows the file already uploaded there: `ChartShelf`
keeps the file ids this process uploaded, by workspace, channel and a digest of the cost
section the chart is drawn from, and posts an image block naming the file (nothing drawn,
nothing uploaded). Another process, or a file Slack no longer shows, uploads it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chart import CAPTION, Chart, alt_text
from bot.render import Recent

log = logging.getLogger(__name__)

# Charts remembered, at most this many (a file id and a key of well under 100 bytes each).
SHELF_SIZE = 4096
CHART_TITLE = "Monthly cost by tokens a month"
MAX_ALT_TEXT = 2000  # Slack's limit on an image block's alt text


def figures_key(cost: Mapping[str, Any]) -> str:
    """What a chart shows, as a short digest of the cost section it is drawn from."""
    text = json.dumps(cost, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


async def share_chart(
    client: AsyncWebClient,
    *,
    channel: str,
    thread_ts: str,
    drawing: Awaitable[Chart | None],
    caption: str = CAPTION,
) -> str | None:
    """Upload the chart being drawn into `channel` (and `thread_ts`), with `caption`; its file
    id when it was ("" if Slack named none), None when not."""
    try:
        chart = await drawing
        if chart is None:
            return None
        response = await client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts or None,
            file=chart.png,
            filename=chart.filename,
            title=chart.title,
            alt_txt=chart.alt_text,
            initial_comment=caption,
        )
        uploaded = response.get("file")
        return str(uploaded.get("id") or "") if isinstance(uploaded, dict) else ""
    except SlackApiError as exc:
        log.warning("cost chart not uploaded: %s", exc.response.get("error"))
    except Exception as exc:
        log.warning("cost chart not uploaded: %s: %s", type(exc).__name__, exc)
    return None


def shown_again(file_id: str, cost: Mapping[str, Any], caption: str = CAPTION) -> dict[str, Any]:
    """A message showing an uploaded chart again: an image block naming the file."""
    image = {
        "type": "image",
        "slack_file": {"id": file_id},
        "alt_text": alt_text(cost)[:MAX_ALT_TEXT],
        "title": {"type": "plain_text", "text": CHART_TITLE},
    }
    return {"text": caption, "blocks": [image]}


class ChartShelf:
    """The charts this process uploaded, to show again rather than upload again."""

    def __init__(self, size: int = SHELF_SIZE) -> None:
        self._files: Recent[tuple[str, str, str], str] = Recent(size)

    async def show(
        self,
        client: AsyncWebClient,
        *,
        team: str,
        channel: str,
        thread_ts: str,
        cost: Mapping[str, Any],
        drawing: Awaitable[Chart | None],
        caption: str = CAPTION,
    ) -> bool:
        """Show the summary's chart after it: the file already uploaded to `channel` for the
        same figures, or `drawing` uploaded (and kept); whether a chart was shown. Never
        raises. `caption`: the words posted with it (a team's chart has its own)."""
        key = (team, channel, figures_key(cost))
        known = self._files.get(key)
        if known:
            try:
                await client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts or None,
                    **shown_again(known, cost, caption),
                )
                _close(drawing)
                return True
            except SlackApiError as exc:  # deleted, or not visible there any more
                log.info("cost chart %s not shown again (%s): uploading it", known, _error(exc))
            except Exception as exc:
                log.warning("cost chart not shown again: %s: %s", type(exc).__name__, exc)
                _close(drawing)
                return False
        file_id = await share_chart(
            client, channel=channel, thread_ts=thread_ts, drawing=drawing, caption=caption
        )
        if file_id:
            self._files.put(key, file_id)
        return file_id is not None


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", ""))


def _close(drawing: Awaitable[Chart | None]) -> None:
    """A drawing not awaited: coroutines are closed, so none is left never awaited."""
    close = getattr(drawing, "close", None)
    if callable(close):
        close()
