"""The cost chart in Slack: uploaded with files_upload_v2 where the summary was posted.

The summary is posted first; the chart follows it into the same DM or thread. Drawing or
uploading failures are logged (one line) and never reach the person or the turn.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chart import CAPTION, Chart

log = logging.getLogger(__name__)


async def share_chart(
    client: AsyncWebClient,
    *,
    channel: str,
    thread_ts: str,
    drawing: Awaitable[Chart | None],
) -> bool:
    """Upload the chart being drawn into `channel` (and `thread_ts`); True when it was."""
    try:
        chart = await drawing
        if chart is None:
            return False
        await client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts or None,
            file=chart.png,
            filename=chart.filename,
            title=chart.title,
            alt_txt=chart.alt_text,
            initial_comment=CAPTION,
        )
        return True
    except SlackApiError as exc:
        log.warning("cost chart not uploaded: %s", exc.response.get("error"))
    except Exception as exc:
        log.warning("cost chart not uploaded: %s: %s", type(exc).__name__, exc)
    return False
