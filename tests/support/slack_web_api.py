"""The Slack stand-in's Web API: reading a request (its token and payload, JSON or form) and
what each method answers, from the messages it keeps per channel (conversations.history and
replies), the views it publishes, and the files and agent methods (slack_files.py,
slack_agent.py). Faults and delays are the stand-in's own (slack_standin.py)."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.support.block_kit import JSON_FIELDS
from tests.support.slack_agent import AGENT_METHODS
from tests.support.slack_workspace import APP_ID, BOT_ID, BOT_NAME, BOT_USER_ID, TEAM_ID, TEAM_NAME

if TYPE_CHECKING:
    from tests.support.slack_standin import SlackStandIn


def answer(
    standin: SlackStandIn, method: str, payload: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """What the stand-in answers a Web API call (faults and delays aside)."""
    channel = payload.get("channel")
    channel = dm_for_user(channel) if isinstance(channel, str) and channel else None
    if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not any(payload.get(key) for key in ("text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        if standin.agent.refuses(payload):  # a workspace without the agent features
            return {"ok": False, "error": "invalid_blocks"}
        if not standin._files_shown(payload, channel):
            return {"ok": False, "error": "invalid_blocks"}
    match method:
        case "auth.test":
            return {
                "ok": True,
                "url": f"{standin.origin}/",
                "team": TEAM_NAME,
                "user": BOT_NAME,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        case "chat.postMessage":
            ts = standin._next_ts()
            standin.history[channel or ""].append(echo(payload, ts))
            return {"ok": True, "channel": channel, "ts": ts, "message": echo(payload, ts)}
        case "conversations.history":
            # Newest first, as Slack gives them; `oldest` and `limit` are not applied (the
            # stand-in's timestamps are not the wall clock's).
            messages = list(reversed(standin.history.get(channel or "", [])))
            return {"ok": True, "messages": messages, "has_more": False}
        case "conversations.replies":
            thread = str(payload.get("ts", ""))
            messages = [
                m
                for m in standin.history.get(channel or "", [])
                if thread in (m.get("ts"), m.get("thread_ts"))
            ]
            return {"ok": True, "messages": messages, "has_more": False}
        case "chat.update":
            ts = str(payload.get("ts", ""))
            if not ts:
                return {"ok": False, "error": "message_not_found"}
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "text": payload.get("text", ""),
                "message": echo(payload, ts),
            }
        case "chat.postEphemeral":
            return {"ok": True, "message_ts": standin._next_ts()}
        case "chat.getPermalink":
            ts = str(payload.get("message_ts", ""))
            link = f"{standin.origin}/archives/{channel}/p{ts.replace('.', '')}"
            return {"ok": True, "channel": channel, "permalink": link}
        case "conversations.open":
            users = payload.get("users")
            first = users[0] if isinstance(users, list) else str(users or "").split(",")[0]
            opened = f"D{first}" if first else channel
            if not opened:
                return {"ok": False, "error": "users_list_not_supplied"}
            return {"ok": True, "no_op": False, "channel": {"id": opened}}
        case "conversations.info":
            return {"ok": True, "channel": channel_info(channel)}
        case "views.publish":
            view = payload.get("view")
            if not isinstance(view, dict):
                return {"ok": False, "error": "invalid_arguments"}
            standin._view_counter += 1
            published = {
                **view,
                "id": f"V{standin._view_counter:08d}",
                "team_id": TEAM_ID,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
                "hash": f"{standin._view_counter}.standin",
            }
            return {"ok": True, "view": published}
        case "views.open":
            view = payload.get("view")
            if not payload.get("trigger_id"):
                return {"ok": False, "error": "invalid_trigger_id"}
            if not isinstance(view, dict):
                return {"ok": False, "error": "invalid_arguments"}
            standin._view_counter += 1
            modal = {
                **view,
                "id": f"V{standin._view_counter:08d}",
                "team_id": TEAM_ID,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
                "hash": f"{standin._view_counter}.standin",
            }
            return {"ok": True, "view": modal}
        case "files.getUploadURLExternal":
            return standin.files.get_upload_url(payload, standin.origin)
        case "files.completeUploadExternal":
            given = payload.get("channel_id")
            return standin.files.complete(payload, dm_for_user(given) if given else None)
        case _ if method in AGENT_METHODS:
            return standin._agent_answer(method, payload, channel)
        case "apps.connections.open":
            if token is None or not token.startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": standin.socket_url}
        case _:
            return {"ok": True}


# -- request parsing -------------------------------------------------------------------------


def bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def read_payload(request: web.Request) -> dict[str, Any]:
    """Query string and body merged; raises ValueError for a malformed JSON body."""
    payload: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = json.loads(await request.text())
            if not isinstance(body, dict):
                raise ValueError("JSON body is not an object")
            payload.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    payload[key] = {"filename": value.filename, "size": len(value.file.read())}
                else:
                    payload[key] = value
    for key in JSON_FIELDS & payload.keys():
        if isinstance(payload[key], str):
            with contextlib.suppress(json.JSONDecodeError):  # else left as sent, for the card check
                payload[key] = json.loads(payload[key])
    return payload


def dm_for_user(channel: str) -> str:
    """Posting to a user id lands in the DM with that user, whose id Slack returns."""
    return f"D{channel}" if channel[0] in "UW" else channel


def echo(payload: dict[str, Any], ts: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "team": TEAM_ID,
        "ts": ts,
        "text": payload.get("text", ""),
    }
    for key in ("blocks", "thread_ts", "attachments"):
        if key in payload:
            message[key] = payload[key]
    return message


def channel_info(channel: str | None) -> dict[str, Any]:
    channel = channel or "C0"
    kind = channel[0]
    return {
        "id": channel,
        "name": channel.lower(),
        "is_channel": kind == "C",
        "is_group": kind == "G",
        "is_im": kind == "D",
        "is_private": kind in "GD",
        "is_member": True,
        "is_archived": False,
    }
