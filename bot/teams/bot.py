"""The Teams bot: activities in, engine turns, cards out. `on_turn` is the one error boundary."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import ChannelAccount
from botbuilder.schema.teams import TeamsChannelData
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.adapter import FAILED, UNAVAILABLE, ApiErrors, Boundary
from bot.feedback import TEXTS as VOTE_TEXTS
from bot.feedback import Vote, cast
from bot.lifecycle import Drainer
from bot.observe import Metrics, hashed
from bot.teams.common import (
    COMMANDS,
    FOREIGN,
    MENTION,
    UNREADABLE,
    Place,
    member_place,
    read_submit,
)
from bot.teams.common import place_of as place_from
from bot.teams.common import typed_text as common_typed_text
from bot.teams.delivery import CALL_TIMEOUT_SECONDS, Delivery
from bot.teams.render import TeamsRenderer
from bot.teams.team_connector import BotbuilderPort
from bot.teams.team_desk import Desk
from bot.teams.team_flow import mentioned, on_card
from bot.teams.team_member import Here, forget_member, forgot, question, typed
from bot.teams.team_port import ConnectorFailed, Person
from dialogs.advisor import Advisor
from dialogs.presenter import intro
from dialogs.turn import Click, Turn

# Re-exported: tests and benchmarks recognise the error texts by these names.
__all__ = [
    "COMMANDS",
    "FAILED",
    "FOREIGN",
    "MENTION",
    "UNAVAILABLE",
    "UNREADABLE",
    "AdvisorTeamsBot",
]

log = logging.getLogger(__name__)


def place_of(context: TurnContext) -> Place:
    return place_from(context.activity)


def teams_channel_data_ok(value: object) -> bool:
    """Whether botbuilder's Teams handlers can read this `channelData`: they deserialize it as
    TeamsChannelData and crash on None, on a non-object, or on a wrongly typed field."""
    if not isinstance(value, dict):
        return False
    try:
        TeamsChannelData().deserialize(value)
    except Exception:
        return False
    return True


def typed_text(context: TurnContext) -> str:
    """The message text without @mentions, made storable (bot.teams.common)."""
    return common_typed_text(context.activity.text)


def _describe(error: Exception) -> tuple[int | None, str]:
    if isinstance(error, ConnectorFailed):
        return error.status, type(error).__name__
    status = getattr(getattr(error, "response", None), "status_code", None)
    return (status if isinstance(status, int) else None), type(error).__name__


# The connector's failures, after bot.teams.delivery.with_retries has retried and counted them
# (adding a note; TimeoutError is its own limit on one call): the one line, no traceback.
API_ERRORS = ApiErrors(
    types=(ErrorResponseException, ClientRequestError, ConnectorFailed, TimeoutError),
    describe=_describe,
)


class AdvisorTeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(
        self,
        *,
        advisor: Advisor,
        renderer: TeamsRenderer,
        drainer: Drainer | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__()
        self.advisor = advisor
        self.renderer = renderer
        self.drainer = drainer or Drainer()
        self.metrics = metrics
        on_error = (lambda status: metrics.api_error("teams", status)) if metrics else None
        self.delivery = Delivery(advisor=advisor, renderer=renderer, on_api_error=on_error)
        self.desk = Desk(advisor=advisor, renderer=renderer)

    def here(self, context: TurnContext, place: Place) -> Here:
        """The activity as team mode (bot/teams/team_*.py) sees it."""
        activity = context.activity
        sender = activity.from_property
        return Here(
            desk=self.desk,
            port=BotbuilderPort(context),
            place=place,
            person=Person(id=str(sender.id or ""), name=str(sender.name or "")),
            activity_id=str(activity.id or ""),
            reply_to=str(activity.reply_to_id or "") or None,
            count=self.metrics.vote if self.metrics is not None else None,
        )

    async def on_turn(self, turn_context: TurnContext) -> None:
        """The adapter's error boundary (bot.adapter.Boundary): whatever fails in a turn, the
        person is told plainly in the same conversation."""
        activity = turn_context.activity
        if not teams_channel_data_ok(activity.channel_data):
            activity.channel_data = {}  # botbuilder's handlers read it as an object
        connector = turn_context.turn_state.get(turn_context.adapter.BOT_CONNECTOR_CLIENT_KEY)
        if connector is not None:  # msrest's own limit, so a hung connector frees its thread
            connector.config.connection.timeout = CALL_TIMEOUT_SECONDS

        async def show(text: str) -> None:
            await self.delivery.send_text(turn_context, place_of(turn_context), text)

        async with (
            Boundary(
                platform="teams",
                where=lambda: hashed("teams", str(activity.conversation.id or "")),
                show=show,
                api=API_ERRORS,
            ),
            self.drainer.track(),
        ):
            await super().on_turn(turn_context)

    async def turn(
        self,
        context: TurnContext,
        place: Place,
        *,
        text: str | None = None,
        click: Click | None = None,
        clicked_id: str | None = None,
    ) -> None:
        activity_id = str(context.activity.id or "")
        turn = Turn(
            key=place.key,
            event_id=f"teams:{activity_id}"
            if activity_id
            else f"teams:{datetime.now(UTC).timestamp()}",
            at=datetime.now(UTC),
            text=text,
            click=click,
        )
        result = await self.advisor.handle(turn)
        await self.delivery.deliver(context, place, result, clicked_id=clicked_id)
        if forgot(result):
            await forget_member(self.here(context, place))  # their team answers go too

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Cards use Action.Submit (messages), never invokes: answer every invoke 501 without
        reading it (botbuilder's defaults crash on some invoke values)."""
        return InvokeResponse(status=501)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        place = place_of(turn_context)
        value = turn_context.activity.value
        if value is not None:
            if isinstance(value, dict) and "team" in value:
                await on_card(self.here(turn_context, place), value)
            elif isinstance(value, dict) and "t" in value:
                await question(self.here(turn_context, place), value)
            else:
                await self.submit(turn_context, place, value)
            return
        text = typed_text(turn_context)
        if place.in_thread and await mentioned(self.here(turn_context, place), text):
            return
        if not place.in_thread and text and await typed(self.here(turn_context, place), text):
            return
        if place.in_thread and (not text or await self.advisor.peek(place.key) is None):
            await self.turn(turn_context, place)  # a mention opens (or shows) the assessment
            return
        await self.turn(turn_context, place, text=text)

    async def submit(self, context: TurnContext, place: Place, value: object) -> None:
        """A card button (Action.Submit): its data arrives as the activity's value."""
        submitted = read_submit(value, place)
        reply_to = str(context.activity.reply_to_id or "") or None
        if submitted.notice is not None:
            await self.delivery.send_text(context, place, submitted.notice)
        elif submitted.vote is not None:
            await self.vote(context, place, submitted.vote, submitted.stamp)
        elif submitted.start:
            await self.turn(context, place)
        else:
            await self.turn(context, place, click=submitted.click, clicked_id=reply_to)

    async def vote(self, context: TurnContext, place: Place, vote: Vote, stamp: str) -> None:
        """A "was this useful" vote (templates/teams/_feedback.j2): counted once per person and
        summary (bot.feedback). Teams has no private reply, so the thanks is an ordinary one."""
        metrics = self.metrics
        outcome = await cast(
            self.advisor,
            place.key,
            stamp=stamp,
            vote=vote,
            count=metrics.vote if metrics is not None else None,
        )
        await self.delivery.send_text(context, place, VOTE_TEXTS[outcome])

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        """Installed in a personal chat: send the welcome card with a start button."""
        bot_id = turn_context.activity.recipient.id
        if not any(m.id == bot_id for m in members_added):
            return
        conversation_type = getattr(turn_context.activity.conversation, "conversation_type", None)
        if conversation_type not in (None, "personal"):
            return
        place = place_of(turn_context)
        for member in members_added:
            if member.id != bot_id:
                place = member_place(place, member)
        card = self.renderer.welcome(intro(self.advisor.flow), owner=place.user)
        await self.delivery.send_card(turn_context, place, card)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        """The app removed: from a team (or group chat), every session of the tenant is deleted;
        from one person's personal scope, that person's. ("remove-upgrade" is an upgrade, not a
        removal: nothing is deleted.) One log line gives the count and names no one."""
        activity = turn_context.activity
        if activity.action != "remove":
            return
        place = place_of(turn_context)
        personal = getattr(activity.conversation, "conversation_type", None) == "personal"
        count = await self.advisor.forget(
            platform="teams", workspace=place.tenant, user=place.user if personal else None
        )
        log.info(
            "installationUpdate remove (%s): deleted %d sessions of tenant %s",
            "personal" if personal else "team",
            count,
            hashed("teams", place.tenant),
        )
