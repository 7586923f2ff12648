"""Team mode's connector calls on the Microsoft 365 Agents SDK (bot.teams.team_port.Port): the
turn's own ConnectorClient (its service URL and credentials), called directly, since the turn
context's send and update always aim at the turn's own conversation, and a team card or a
member's personal chat is another one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from microsoft_agents.activity import ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core import MessageFactory, TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.teams.team_port import ConnectorFailed, Person, retry_after
from bot.teams_agents.delivery import card_activity

T = TypeVar("T")


class AgentsPort:
    def __init__(self, context: TurnContext) -> None:
        self.context = context

    def _client(self) -> Any:
        # Keyed by the abstract base, as the SDK's own adapter sets and reads it.
        client = self.context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
        if client is None:
            raise ConnectorFailed("connect", status=None)
        return client

    async def _do(self, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        try:
            return await attempt()
        except aiohttp.ClientResponseError as exc:
            raise ConnectorFailed(
                what, status=exc.status, retry_after=retry_after(exc.headers)
            ) from exc
        except aiohttp.ClientError as exc:
            raise ConnectorFailed(what, status=None) from exc

    async def send(
        self, conversation: str, *, card: dict[str, Any] | None = None, text: str = ""
    ) -> str:
        if card is not None:
            activity = card_activity(card)
        else:
            activity = MessageFactory.text(text)
            activity.text_format = "plain"
        client = self._client()
        sent = await self._do(
            "send", lambda: client.conversations.send_to_conversation(conversation, activity)
        )
        return str(getattr(sent, "id", "") or "")

    async def update(self, conversation: str, activity_id: str, card: dict[str, Any]) -> None:
        activity = card_activity(card)
        activity.id = activity_id
        client = self._client()
        await self._do(
            "update",
            lambda: client.conversations.update_activity(conversation, activity_id, activity),
        )

    async def open_personal(self, person: Person, tenant: str) -> str:
        recipient = self.context.activity.recipient
        if recipient is None:
            raise ConnectorFailed("open", status=None)
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=recipient.id, name=recipient.name),
            members=[ChannelAccount(id=person.id, name=person.name)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        client = self._client()
        created = await self._do(
            "open", lambda: client.conversations.create_conversation(parameters)
        )
        conversation = str(getattr(created, "id", "") or "")
        if not conversation:
            raise ConnectorFailed("open", status=None)
        return conversation
