"""Who the Slack stand-in's workspace and bot are: the ids and names its answers carry
(tests/support/slack_standin.py re-exports them)."""

from __future__ import annotations

from typing import Final

BOT_USER_ID: Final = "UBOT"
BOT_ID: Final = "BBOT"
TEAM_ID: Final = "T1"
TEAM_NAME: Final = "Test"
BOT_NAME: Final = "advisor"
APP_ID: Final = "A1"
