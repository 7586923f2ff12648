"""The App Home: the Home tab (a start button, "Decide as a team", whose modal is submitted
here (bot.slack.team_home), and the person's latest summary when there is one), and the
Messages tab, where the agent experience pins suggested prompts (bot.slack.agent):
when the tab opens, and again when what the person looks at changes (app_context_changed)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.payloads import as_text, team_id
from bot.slack.team_home import TEAM_VIEW, on_submitted
from dialogs.errors import StoreUnavailable
from dialogs.replies import Summary

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

log = logging.getLogger(__name__)


async def on_home_opened(
    slack: SlackAdvisor, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
) -> None:
    if event.get("tab") == "messages":
        await on_messages_opened(slack, body, event, client)
        return
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


async def on_messages_opened(
    slack: SlackAdvisor, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
) -> None:
    """The Messages tab (the DM) opened: its suggested prompts, at the top."""
    channel = as_text(event.get("channel"))
    if not channel:
        return
    team = team_id(body)
    await slack.safely(
        client, None, lambda: slack.agent.suggest(client, team=team, channel=channel)
    )


async def on_context_changed(
    slack: SlackAdvisor, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
) -> None:
    """What the person looks at changed while the app was open: the prompts are set again
    (their DM found from the person's id; Slack's example of the event names no channel)."""
    user = as_text(event.get("user")) or _person(body)
    if not user:
        log.info("app_context_changed without a person: no prompts to refresh")
        return
    team = team_id(body)

    async def work() -> None:
        place = await slack.dm_place(client, team, user)
        await slack.agent.suggest(client, team=team, channel=place.channel)

    await slack.safely(client, None, work)


def _person(body: dict[str, Any]) -> str:
    """The person behind an event, from its authorizations (the one that is not a bot)."""
    for authorization in body.get("authorizations") or ():
        if isinstance(authorization, dict) and authorization.get("is_bot") is False:
            return as_text(authorization.get("user_id"))
    return ""


def register(app: AsyncApp, slack: SlackAdvisor) -> None:
    @app.event("app_home_opened")
    async def app_home_opened(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_home_opened(slack, body, event, client)

    @app.view(TEAM_VIEW)
    async def team_view(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await on_submitted(slack, ack, body, client)

    @app.event("app_context_changed")
    async def app_context_changed(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_context_changed(slack, body, event, client)
