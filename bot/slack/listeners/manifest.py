"""What the Slack app subscribes to and the OAuth scopes it needs; the manifests in deploy/slack
must declare exactly this (tests/bot/slack/test_manifest.py)."""

from __future__ import annotations

from bot.slack.render import COMMAND_ACTIONS, HOME_START, SUMMARY_EDIT, SUMMARY_SHARE

COMMAND = "/llm-advisor"
COMMAND_SCOPE = "commands"
# Bolt event type -> the manifest's bot events and the OAuth scopes they need.
EVENTS: dict[str, dict[str, str]] = {
    "message": {
        "message.im": "im:history",
        "message.channels": "channels:history",
        "message.groups": "groups:history",
    },
    "app_mention": {"app_mention": "app_mentions:read"},
    "app_home_opened": {"app_home_opened": ""},
    "app_uninstalled": {"app_uninstalled": ""},
    "tokens_revoked": {"tokens_revoked": ""},
}
# Web API methods the adapter calls -> the scope each needs ("" when none).
WEB_API_SCOPES: dict[str, str] = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "conversations_open": "im:write",
    # Looking for a question whose post timed out (bot.slack.delivery); DMs and channels need
    # the *:history scope of their kind, which the events above already ask for.
    "conversations_history": "im:history",
    "conversations_replies": "channels:history",
    "views_publish": "",
    "files_upload_v2": "files:write",  # the cost chart beside the summary (bot/slack/chart.py)
}
# Button action ids besides the answers (`ANSWER_PREFIX` + a number).
ACTIONS: tuple[str, ...] = (*COMMAND_ACTIONS, SUMMARY_EDIT, SUMMARY_SHARE, HOME_START)
