"""Team mode's connector calls on botbuilder (bot.teams.team_port.Port): the turn's own
ConnectorClient (its service URL and credentials), called directly, since TurnContext's
send and update always aim at the turn's own conversation, and a team card or a member's
personal chat is another one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import ChannelAccount, ConversationParameters
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.teams.delivery import card_activity, limit_connector
from bot.teams.team_port import CALL_TIMEOUT_SECONDS, ConnectorFailed, Person, retry_after

T = TypeVar("T")


class BotbuilderPort:
    def __init__(self, context: TurnContext) -> None:
        self.context = context

    def _client(self) -> Any:
        key = self.context.adapter.BOT_CONNECTOR_CLIENT_KEY
        client = self.context.turn_state.get(key)
        if client is None:
            raise ConnectorFailed("connect", status=None)
        # No retries inside msrest (it would sleep out a 429 in its thread and resend a stale
        # card): team mode waits out Retry-After itself and then sends the newest state.
        limit_connector(self.context, CALL_TIMEOUT_SECONDS)
        return client

    async def _do(self, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        try:
            return await attempt()
        except ErrorResponseException as exc:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            headers = getattr(response, "headers", None)
            raise ConnectorFailed(
                what,
                status=status if isinstance(status, int) else None,
                retry_after=retry_after(headers),
            ) from exc
        except ClientRequestError as exc:
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
