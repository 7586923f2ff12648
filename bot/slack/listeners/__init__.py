"""Bolt listeners, one module per kind, as Bolt's starter app lays them out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import actions, commands, events, home, lifecycle

if TYPE_CHECKING:  # bot.slack.app imports this package to register the listeners
    from bot.slack.app import SlackAdvisor


def register_listeners(app: AsyncApp, slack: SlackAdvisor) -> None:
    """Clicks first: Bolt tries listeners in order and prepares each candidate's arguments,
    and clicks are most of the traffic."""
    actions.register(app, slack)
    commands.register(app, slack)
    events.register(app, slack)
    home.register(app, slack)
    lifecycle.register(app, slack)
