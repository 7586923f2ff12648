"""Signed, realistic Slack request bodies for tests: slash commands, events, button clicks.

Bodies are strings exactly as Slack posts them (form-encoded or JSON), so tests go through
Bolt's own signature check and parsing. The ``*_payload`` builders return the same content as
dicts, which is what a Socket Mode envelope carries.

Default ``response_url`` values point at a closed loopback port, so a test that forgets to pass
``SlackStandIn.response_url()`` fails fast instead of reaching anything outside the machine.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Any, Final
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.support.slack_standin import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID

TEAM_DOMAIN: Final = "test"
NOWHERE_RESPONSE_URL: Final = "http://127.0.0.1:9/response/unset"
DEFAULT_TRIGGER_ID: Final = "1337.4242.0123456789abcdef0123456789abcdef"

_ts_counter = itertools.count(1)


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The X-Slack-Request-Timestamp and X-Slack-Signature headers for ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    if signature is None:  # only when the timestamp is None, which it never is here
        raise ValueError("slack_sdk produced no signature")
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def next_ts() -> str:
    """A fresh message timestamp, increasing, distinct from the stand-in's bot messages."""
    micros = 1_700_100_000_000_000 + next(_ts_counter) * 100
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


# -- slash commands ----------------------------------------------------------------------------


def slash_command_payload(
    *,
    command: str = "/llm-advisor",
    text: str = "",
    user_id: str,
    channel_id: str,
    team_id: str = TEAM_ID,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    response_url: str = NOWHERE_RESPONSE_URL,
) -> dict[str, str]:
    """The fields of a slash command, as Slack sends them (all strings)."""
    return {
        "token": "verification-token-unused",
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else channel_id.lower(),
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def slash_command_body(
    *,
    command: str = "/llm-advisor",
    text: str = "",
    user_id: str,
    channel_id: str,
    team_id: str = TEAM_ID,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    response_url: str = NOWHERE_RESPONSE_URL,
) -> str:
    """A slash command, form-encoded as Slack posts it."""
    return urlencode(
        slash_command_payload(
            command=command,
            text=text,
            user_id=user_id,
            channel_id=channel_id,
            team_id=team_id,
            trigger_id=trigger_id,
            response_url=response_url,
        )
    )


# -- Events API ------------------------------------------------------------------------------


def event_payload(event: dict[str, Any], event_id: str, team_id: str = TEAM_ID) -> dict[str, Any]:
    """An ``event_callback`` envelope around ``event``."""
    stamp = event.get("event_ts") or event.get("ts")
    return {
        "token": "verification-token-unused",
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(float(stamp)) if stamp else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def event_body(event: dict[str, Any], event_id: str, team_id: str = TEAM_ID) -> str:
    """An ``event_callback`` as the JSON body Slack posts."""
    return json.dumps(event_payload(event, event_id, team_id))


def _rich_text(text: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid4().hex[:5],
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
    ]


def _typed_event(
    kind: str,
    user: str,
    text: str,
    channel: str,
    *,
    ts: str | None,
    thread_ts: str | None,
    team: str,
) -> dict[str, Any]:
    """The fields a ``message`` and an ``app_mention`` event share."""
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "type": kind,
        "client_msg_id": str(uuid.uuid4()),
        "user": user,
        "text": text,
        "blocks": _rich_text(text),
        "team": team,
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def message_event(
    user: str,
    text: str,
    channel: str,
    *,
    channel_type: str = "im",
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A user's ``message`` event (no subtype), in a DM by default."""
    event = _typed_event("message", user, text, channel, ts=ts, thread_ts=thread_ts, team=team_id)
    event["channel_type"] = channel_type
    return event


def app_mention_event(
    user: str,
    text: str,
    channel: str,
    *,
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """An ``app_mention``; ``<@UBOT>`` is put in front of ``text`` unless it already mentions."""
    mention = f"<@{BOT_USER_ID}>"
    if mention not in text:
        text = f"{mention} {text}".rstrip()
    return _typed_event(
        "app_mention", user, text, channel, ts=ts, thread_ts=thread_ts, team=team_id
    )


def app_home_opened_event(user: str, tab: str = "home") -> dict[str, Any]:
    """A user opening the app's Home tab (first visit: no ``view`` yet)."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user}",
        "tab": tab,
        "event_ts": next_ts(),
    }


# -- interactivity ---------------------------------------------------------------------------


def block_actions_payload(
    user_id: str,
    action_id: str,
    value: str | None,
    channel_id: str,
    message_ts: str,
    *,
    team_id: str = TEAM_ID,
    block_id: str | None = None,
    action_type: str = "button",
    selected_option: dict[str, Any] | None = None,
    selected_conversation: str | None = None,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    response_url: str = NOWHERE_RESPONSE_URL,
    message_text: str = "",
    message_blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``block_actions`` interaction on a bot message, as Slack builds it."""
    block_id = block_id or f"b-{action_id}"[:255]
    action: dict[str, Any] = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": next_ts(),
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": value or action_id, "emoji": True}
        if value is not None:
            action["value"] = value
    selection: dict[str, Any] = {}
    if selected_option is not None:
        selection["selected_option"] = selected_option
    if selected_conversation is not None:
        selection["selected_conversation"] = selected_conversation
    action.update(selection)
    # Slack echoes the current value of every stateful element of the message in `state`.
    values = {block_id: {action_id: {"type": action_type, **selection}}} if selection else {}
    return {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {
            "id": channel_id,
            "name": "directmessage" if channel_id.startswith("D") else channel_id.lower(),
        },
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": team_id,
            "ts": message_ts,
            "text": message_text,
            "blocks": message_blocks or [],
        },
        "state": {"values": values},
        "response_url": response_url,
        "actions": [action],
    }


def block_actions_body(
    user_id: str,
    action_id: str,
    value: str | None,
    channel_id: str,
    message_ts: str,
    *,
    team_id: str = TEAM_ID,
    block_id: str | None = None,
    action_type: str = "button",
    selected_option: dict[str, Any] | None = None,
    selected_conversation: str | None = None,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    response_url: str = NOWHERE_RESPONSE_URL,
    message_text: str = "",
    message_blocks: list[dict[str, Any]] | None = None,
) -> str:
    """A ``block_actions`` interaction, form-encoded as ``payload=<json>`` like Slack posts it."""
    payload = block_actions_payload(
        user_id=user_id,
        action_id=action_id,
        value=value,
        channel_id=channel_id,
        message_ts=message_ts,
        team_id=team_id,
        block_id=block_id,
        action_type=action_type,
        selected_option=selected_option,
        selected_conversation=selected_conversation,
        trigger_id=trigger_id,
        response_url=response_url,
        message_text=message_text,
        message_blocks=message_blocks,
    )
    return urlencode({"payload": json.dumps(payload)})
