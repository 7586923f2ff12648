"""The App Home tab: a start button, and the person's latest summary when there is one."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.payloads import team_id
from dialogs.errors import StoreUnavailable
from dialogs.replies import Summary

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

log = logging.getLogger(__name__)


async def on_home_opened(
    slack: SlackAdvisor, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
) -> None:
    if event.get("tab") not in (None, "home") or not event.get("user"):
        return
    user = str(event["user"])

    async def work() -> None:
        summary: Summary | None = None
        try:
            place = await slack.dm_place(client, team_id(body), user)
            session = await slack.advisor.peek(place.key)
            summary = slack.advisor.summary(session) if session else None
        except StoreUnavailable:
            # The tab still works without the summary: publish it with just the start button.
            log.warning("store unavailable while publishing the home tab of %s", user)
        await client.views_publish(user_id=user, view=slack.renderer.home(summary))

    await slack.safely(client, None, work)


def register(app: AsyncApp, slack: SlackAdvisor) -> None:
    @app.event("app_home_opened")
    async def app_home_opened(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_home_opened(slack, body, event, client)
