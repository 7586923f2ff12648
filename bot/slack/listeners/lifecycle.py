"""The app leaving a workspace: uninstalled, or its tokens revoked. Every session of that
workspace is deleted then (data rights), and one log line says how many, naming no one."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.observe import hashed
from bot.slack.payloads import team_id

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

log = logging.getLogger(__name__)


async def on_removed(
    slack: SlackAdvisor, body: dict[str, Any], client: AsyncWebClient, why: str
) -> None:
    """Delete the workspace's sessions. The app asks for no user scopes, so any revoked token
    is the bot's: the app can no longer act there, and keeps nothing of it."""
    team = team_id(body)
    if not team:
        log.warning("%s without a team id: ignored", why)
        return

    async def work() -> None:
        count = await slack.advisor.forget(platform="slack", workspace=team)
        log.info("%s: deleted %d sessions of workspace %s", why, count, hashed("slack", team))

    await slack.safely(client, None, work)


def register(app: AsyncApp, slack: SlackAdvisor) -> None:
    @app.event("app_uninstalled")
    async def app_uninstalled(body: dict[str, Any], client: AsyncWebClient) -> None:
        await on_removed(slack, body, client, "app_uninstalled")

    @app.event("tokens_revoked")
    async def tokens_revoked(body: dict[str, Any], client: AsyncWebClient) -> None:
        await on_removed(slack, body, client, "tokens_revoked")
