"""What the Slack app subscribes to and the OAuth scopes it needs; every manifest (manifest.json
for the Slack CLI, deploy/slack/ for production) must declare exactly this
(tests/bot/slack/test_manifest.py)."""

from __future__ import annotations

from bot.slack.agent import PROMPTS
from bot.slack.render import COMMAND_ACTIONS, HOME_START, SUMMARY_EDIT, SUMMARY_SHARE

COMMAND = "/llm-advisor"
COMMAND_SCOPE = "commands"
# The agent messaging experience (features.agent_view): the Messages tab's suggested prompts
# and thread status. Slack adds this scope itself when the feature is turned on.
AGENT_SCOPE = "assistant:write"
# Bolt event type -> the manifest's bot events and the OAuth scopes they need.
EVENTS: dict[str, dict[str, str]] = {
    "message": {
        "message.im": "im:history",
        "message.channels": "channels:history",
        "message.groups": "groups:history",
    },
    "app_mention": {"app_mention": "app_mentions:read"},
    "app_home_opened": {"app_home_opened": ""},
    # What the person looks at changed while the app was open (agent_view only).
    "app_context_changed": {"app_context_changed": ""},
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
    "views_open": "",  # the App Home's "Decide as a team" modal (bot/slack/team_home.py)
    "files_upload_v2": "files:write",  # the cost chart beside the summary (bot/slack/chart.py)
    # The agent experience (bot/slack/agent.py, bot/slack/stream.py).
    "assistant_threads_setSuggestedPrompts": AGENT_SCOPE,
    "assistant_threads_setStatus": AGENT_SCOPE,
    "chat_startStream": "chat:write",
    "chat_appendStream": "chat:write",
    "chat_stopStream": "chat:write",
}
# Button action ids besides the answers (`ANSWER_PREFIX` + a number).
ACTIONS: tuple[str, ...] = (*COMMAND_ACTIONS, SUMMARY_EDIT, SUMMARY_SHARE, HOME_START)
# The Messages tab's suggested prompts, as the manifests' agent_view lists them.
SUGGESTED_PROMPTS: tuple[dict[str, str], ...] = tuple(
    {"title": p.title, "message": p.message} for p in PROMPTS
)
