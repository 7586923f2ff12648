"""The Teams suite's stand-in Bot Connector and Redis store, for the Agents SDK's own tests."""

from tests.bot.teams.conftest import connector, store

__all__ = ["connector", "store"]
