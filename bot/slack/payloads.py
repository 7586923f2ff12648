"""Reading Slack payloads defensively: a forged or odd field counts as missing, never crashes."""

from __future__ import annotations

import re
from typing import Any

import orjson

from bot.slack.delivery import Place

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")
MAX_BUTTON_VALUE = 2000  # Slack's own limit on a button's value


def mentions(text: str, user: str) -> bool:
    """Whether the text mentions `user` (the bot's own user id; no id: any mention counts)."""
    found = MENTION.finditer(text)
    return any(not user or m.group(0)[2:-1].split("|")[0] == user for m in found)


def as_obj(value: object) -> dict[str, Any]:
    """A payload field as an object; anything else (a forged string, a list) counts as empty."""
    return value if isinstance(value, dict) else {}


def as_text(value: object) -> str:
    """A payload field as a string; anything else counts as empty."""
    return value if isinstance(value, str) else ""


def team_id(body: dict[str, Any]) -> str:
    """The workspace, wherever this kind of payload keeps it."""
    team = as_obj(body.get("team"))
    if as_text(team.get("id")):
        return str(team["id"])
    return as_text(body.get("team_id")) or as_text(as_obj(body.get("user")).get("team_id"))


def button_value(body: dict[str, Any]) -> dict[str, str] | None:
    """The small JSON object a button carries; None when it is missing or forged."""
    actions = body.get("actions") or []
    if not actions or not isinstance(actions[0], dict):
        return None
    action = actions[0]
    raw = action.get("value")
    if raw is None and isinstance(action.get("selected_option"), dict):
        raw = action["selected_option"].get("value")
    if not isinstance(raw, str) or len(raw) > MAX_BUTTON_VALUE:
        return None
    try:
        data = orjson.loads(raw)  # stricter than json (no lone surrogates, no NaN) and quicker
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    return {**_block_fields(action), **data}


def _block_fields(action: dict[str, Any]) -> dict[str, str]:
    """Fields a whole block carries once for all its elements (the summary's edit menu keeps
    the owner and stamp in its block id, not in each of its two dozen options)."""
    block = action.get("block_id")
    if not isinstance(block, str) or "{" not in block:
        return {}
    try:
        data = orjson.loads(block[block.index("{") :])
    except ValueError:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return {}
    return data


def action_place(body: dict[str, Any]) -> tuple[Place, str] | None:
    """Where a clicked message lives and its ts; None for malformed payloads."""
    user = as_text(as_obj(body.get("user")).get("id"))
    container = as_obj(body.get("container"))
    message = as_obj(body.get("message"))
    channel = as_text(container.get("channel_id")) or as_text(as_obj(body.get("channel")).get("id"))
    ts = as_text(container.get("message_ts")) or as_text(message.get("ts"))
    if not (user and channel and ts):
        return None
    thread = as_text(message.get("thread_ts")) or as_text(container.get("thread_ts"))
    if channel.startswith("D"):
        thread = ""
    return Place(team=team_id(body), channel=channel, thread_ts=str(thread), user=user), ts
