"""Activities exactly as Microsoft Teams posts them to a bot, as JSON dicts.

Shapes follow what Teams sends in 2025-2026 (personal chats, channel threads, Action.Submit,
installs, invokes): ``from``/``recipient`` accounts with ``29:``/``28:`` ids, ``channelData``
with tenant, team and channel, a ``clientInfo`` entity, and channel conversation ids of the form
``19:...@thread.tacv2;messageid=<root>``. Post them as the JSON body to the bot's endpoint so they
go through botbuilder's own parsing.

Every builder takes the ``serviceUrl`` (use ``TeamsConnector.service_url``) and stamps a fresh
unique activity id unless one is given. Default service URLs point at a closed loopback port, so a
test that forgets to pass one fails fast instead of reaching anything outside the machine.
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import UTC, datetime
from typing import Any, Final, Literal

BOT_ID: Final = "28:bot-app-id"
BOT_NAME: Final = "LLM Advisor"
TENANT_ID: Final = "tenant-1"
LOCALE: Final = "en-US"
TIMEZONE: Final = "Europe/Berlin"
NOWHERE_SERVICE_URL: Final = "http://127.0.0.1:9/amer/"
#: ``conversation.id`` separator between a channel and the root message of a thread.
THREAD_MARK: Final = ";messageid="

Scope = Literal["personal", "channel"]

_ids = itertools.count(1)
_MENTION: Final = re.compile(r"<at>(.*?)</at>", re.DOTALL)
_FIRST_ID: Final = 1_750_000_000_000


def new_activity_id() -> str:
    """A fresh message id, numeric like Teams' (distinct from the connector stand-in's ids)."""
    return str(_FIRST_ID + next(_ids))


def new_user_id() -> str:
    """A Teams user id (``29:`` + opaque), as ``from.id`` carries it."""
    return f"29:1{uuid.uuid4().hex}"


def new_aad_object_id() -> str:
    return str(uuid.uuid4())


def new_personal_conversation_id() -> str:
    """A personal (1:1) chat id, as Teams gives it (``a:`` + opaque)."""
    return f"a:1{uuid.uuid4().hex}{uuid.uuid4().hex}"


def new_channel_id() -> str:
    """A channel (or team) thread id: ``19:<opaque>@thread.tacv2``."""
    return f"19:{uuid.uuid4().hex}@thread.tacv2"


def channel_conversation_id(channel_id: str, thread_root_id: str) -> str:
    """The ``conversation.id`` of one thread in a channel."""
    return f"{channel_id}{THREAD_MARK}{thread_root_id}"


def mention_text(name: str = BOT_NAME) -> str:
    return f"<at>{name}</at>"


# -- messages --------------------------------------------------------------------------------


def personal_message(
    text: str,
    *,
    user_id: str,
    aad_object_id: str,
    conversation_id: str,
    service_url: str = NOWHERE_SERVICE_URL,
    activity_id: str | None = None,
    tenant_id: str = TENANT_ID,
    bot_id: str = BOT_ID,
    bot_name: str = BOT_NAME,
    user_name: str = "Test User",
) -> dict[str, Any]:
    """A user's message to the bot in a personal (1:1) chat."""
    activity = _base(
        "message",
        activity_id=activity_id,
        service_url=service_url,
        sender=_user(user_id, user_name, aad_object_id),
        conversation=_personal_conversation(conversation_id, tenant_id),
        bot_id=bot_id,
        bot_name=bot_name,
        channel_data={"tenant": {"id": tenant_id}},
    )
    activity["text"] = text
    activity["textFormat"] = "plain"
    activity["attachments"] = [_html(text)]
    return activity


def channel_message(
    text: str,
    *,
    user_id: str,
    team_id: str,
    channel_id: str,
    thread_root_id: str | None = None,
    service_url: str = NOWHERE_SERVICE_URL,
    mention_bot: bool = True,
    activity_id: str | None = None,
    aad_object_id: str | None = None,
    tenant_id: str = TENANT_ID,
    bot_id: str = BOT_ID,
    bot_name: str = BOT_NAME,
    user_name: str = "Test User",
    channel_name: str = "General",
    team_name: str = "Test Team",
) -> dict[str, Any]:
    """A message in a channel, mentioning the bot by default.

    Without ``thread_root_id`` it starts a new thread (the conversation id names this message
    as the root); with one it is a reply in that thread (``replyToId`` is the root). With
    ``mention_bot`` the text starts with ``<at>{bot_name}</at>`` and a mention entity points at
    the bot, as Teams sends it: channel messages reach the bot only when they mention it.
    """
    activity_id = activity_id or new_activity_id()
    root = thread_root_id or activity_id
    body = f"{mention_text(bot_name)} {text}".rstrip() if mention_bot else text
    activity = _base(
        "message",
        activity_id=activity_id,
        service_url=service_url,
        sender=_user(user_id, user_name, aad_object_id or new_aad_object_id()),
        conversation=_channel_conversation(channel_conversation_id(channel_id, root), tenant_id),
        bot_id=bot_id,
        bot_name=bot_name,
        channel_data=_channel_data(
            tenant_id=tenant_id,
            team_id=team_id,
            team_name=team_name,
            channel_id=channel_id,
            channel_name=channel_name,
        ),
    )
    activity["text"] = body
    activity["textFormat"] = "plain"
    activity["attachments"] = [_html(body)]
    if mention_bot:
        activity["entities"].insert(0, mention_entity(bot_id, bot_name))
    if thread_root_id is not None:
        activity["replyToId"] = thread_root_id
    return activity


def mention_entity(mentioned_id: str, name: str) -> dict[str, Any]:
    """The entity Teams adds for ``<at>name</at>`` in the text."""
    return {
        "type": "mention",
        "mentioned": {"id": mentioned_id, "name": name},
        "text": mention_text(name),
    }


def card_submit(
    value: dict[str, Any],
    *,
    reply_to_id: str,
    user_id: str,
    conversation_id: str,
    service_url: str = NOWHERE_SERVICE_URL,
    scope: Scope = "personal",
    aad_object_id: str | None = None,
    team_id: str | None = None,
    channel_id: str | None = None,
    activity_id: str | None = None,
    tenant_id: str = TENANT_ID,
    bot_id: str = BOT_ID,
    bot_name: str = BOT_NAME,
    user_name: str = "Test User",
) -> dict[str, Any]:
    """The message an Action.Submit click produces: ``value`` (the action's data merged with the
    card's inputs), ``replyToId`` = the card's activity id, and no text.

    In channel scope give the thread's ``conversation_id`` (with ``;messageid=``) and the
    ``team_id``/``channel_id`` for ``channelData``.
    """
    conversation, channel_data = _from_a_card(
        "submit",
        scope,
        conversation_id,
        tenant_id=tenant_id,
        team_id=team_id,
        channel_id=channel_id,
    )
    channel_data["legacy"] = {"replyToId": f"1:{uuid.uuid4().hex}"}
    activity = _base(
        "message",
        activity_id=activity_id or f"f:{new_activity_id()}",
        service_url=service_url,
        sender=_user(user_id, user_name, aad_object_id or new_aad_object_id()),
        conversation=conversation,
        bot_id=bot_id,
        bot_name=bot_name,
        channel_data=channel_data,
    )
    activity["replyToId"] = reply_to_id
    activity["value"] = value
    return activity


# -- other activity types -----------------------------------------------------------------------


def conversation_update_members_added(
    *,
    user_id: str,
    conversation_id: str,
    service_url: str = NOWHERE_SERVICE_URL,
    members_added: list[str] | None = None,
    scope: Scope = "personal",
    team_id: str | None = None,
    aad_object_id: str | None = None,
    activity_id: str | None = None,
    tenant_id: str = TENANT_ID,
    bot_id: str = BOT_ID,
    bot_name: str = BOT_NAME,
    team_name: str = "Test Team",
) -> dict[str, Any]:
    """The bot being installed: by ``user_id`` in a personal chat (default), or to a team.

    ``members_added`` defaults to the bot itself. For a team install give ``team_id``; the
    conversation is then the team's General channel (``conversation_id`` is usually the team id).
    """
    if scope == "channel":
        if team_id is None:
            raise ValueError("a team install needs team_id")
        conversation = _channel_conversation(conversation_id, tenant_id)
        channel_data: dict[str, Any] = {
            "team": {"id": team_id, "name": team_name, "aadGroupId": str(uuid.uuid4())},
            "eventType": "teamMemberAdded",
            "tenant": {"id": tenant_id},
        }
    else:
        conversation = _personal_conversation(conversation_id, tenant_id)
        channel_data = {"tenant": {"id": tenant_id}}
    activity = _base(
        "conversationUpdate",
        activity_id=activity_id or f"f:{new_activity_id()}",
        service_url=service_url,
        sender=_user(user_id, None, aad_object_id or new_aad_object_id()),
        conversation=conversation,
        bot_id=bot_id,
        bot_name=bot_name,
        channel_data=channel_data,
    )
    activity["membersAdded"] = [{"id": member} for member in (members_added or [bot_id])]
    del activity["entities"]  # Teams sends no clientInfo on installs
    return activity


def invoke(
    name: str,
    value: dict[str, Any] | None = None,
    *,
    user_id: str,
    conversation_id: str,
    service_url: str = NOWHERE_SERVICE_URL,
    scope: Scope = "personal",
    reply_to_id: str | None = None,
    team_id: str | None = None,
    channel_id: str | None = None,
    aad_object_id: str | None = None,
    activity_id: str | None = None,
    tenant_id: str = TENANT_ID,
    bot_id: str = BOT_ID,
    bot_name: str = BOT_NAME,
    user_name: str = "Test User",
) -> dict[str, Any]:
    """An ``invoke`` activity (e.g. "adaptiveCard/action", "task/fetch"); Teams waits for the
    HTTP answer to it, unlike other activities."""
    conversation, channel_data = _from_a_card(
        "invoke",
        scope,
        conversation_id,
        tenant_id=tenant_id,
        team_id=team_id,
        channel_id=channel_id,
    )
    activity = _base(
        "invoke",
        activity_id=activity_id or f"f:{new_activity_id()}",
        service_url=service_url,
        sender=_user(user_id, user_name, aad_object_id or new_aad_object_id()),
        conversation=conversation,
        bot_id=bot_id,
        bot_name=bot_name,
        channel_data=channel_data,
    )
    activity["name"] = name
    activity["value"] = value if value is not None else {}
    if reply_to_id is not None:
        activity["replyToId"] = reply_to_id
    return activity


# -- pieces ----------------------------------------------------------------------------------


def _from_a_card(
    what: str,
    scope: Scope,
    conversation_id: str,
    *,
    tenant_id: str,
    team_id: str | None,
    channel_id: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The conversation and channelData of an activity a card action sends, by scope."""
    if scope == "channel":
        if team_id is None or channel_id is None:
            raise ValueError(f"a channel-scope {what} needs team_id and channel_id")
        conversation = _channel_conversation(conversation_id, tenant_id)
        channel_data = _channel_data(tenant_id=tenant_id, team_id=team_id, channel_id=channel_id)
    else:
        conversation = _personal_conversation(conversation_id, tenant_id)
        channel_data = {"tenant": {"id": tenant_id}}
    channel_data["source"] = {"name": "message"}
    return conversation, channel_data


def _base(
    activity_type: str,
    *,
    activity_id: str | None,
    service_url: str,
    sender: dict[str, Any],
    conversation: dict[str, Any],
    bot_id: str,
    bot_name: str,
    channel_data: dict[str, Any],
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "type": activity_type,
        "id": activity_id or new_activity_id(),
        "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "localTimestamp": now.isoformat(timespec="milliseconds"),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "conversation": conversation,
        "recipient": {"id": bot_id, "name": bot_name},
        "entities": [
            {
                "type": "clientInfo",
                "locale": LOCALE,
                "country": "US",
                "platform": "Web",
                "timezone": TIMEZONE,
            }
        ],
        "channelData": channel_data,
        "locale": LOCALE,
        "localTimezone": TIMEZONE,
    }


def _user(user_id: str, name: str | None, aad_object_id: str) -> dict[str, Any]:
    account: dict[str, Any] = {"id": user_id, "aadObjectId": aad_object_id}
    if name is not None:
        account["name"] = name
    return account


def _personal_conversation(conversation_id: str, tenant_id: str) -> dict[str, Any]:
    return {"conversationType": "personal", "tenantId": tenant_id, "id": conversation_id}


def _channel_conversation(conversation_id: str, tenant_id: str) -> dict[str, Any]:
    return {
        "isGroup": True,
        "conversationType": "channel",
        "tenantId": tenant_id,
        "id": conversation_id,
    }


def _channel_data(
    *,
    tenant_id: str,
    team_id: str,
    channel_id: str,
    team_name: str = "Test Team",
    channel_name: str = "General",
) -> dict[str, Any]:
    return {
        "teamsChannelId": channel_id,
        "teamsTeamId": team_id,
        "channel": {"id": channel_id, "name": channel_name},
        "team": {"id": team_id, "name": team_name, "aadGroupId": str(uuid.uuid4())},
        "tenant": {"id": tenant_id},
    }


def _html(text: str) -> dict[str, Any]:
    """Teams mirrors every typed message as an HTML attachment next to the plain text."""
    parts = _MENTION.split(text)  # even indexes: plain text; odd: a mentioned name
    html = "".join(
        _escape(part)
        if index % 2 == 0
        else f'<span itemscope="" itemtype="http://schema.skype.com/Mention" '
        f'itemid="{index // 2}">{_escape(part)}</span>'
        for index, part in enumerate(parts)
    )
    return {"contentType": "text/html", "content": f"<p>{html}</p>"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
