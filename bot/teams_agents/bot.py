"""The Teams bot on the Agents SDK: an AgentApplication whose routes turn activities into engine
turns and cards. `guarded` is the one error boundary (bot.adapter.Boundary), as botbuilder's
on_turn is in bot/teams/bot.py; the behaviour is the same on both."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from microsoft_agents.hosting.core import (
    AgentApplication,
    MemoryStorage,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.authorization import Connections

from bot.adapter import ApiErrors, Boundary
from bot.feedback import TEXTS as VOTE_TEXTS
from bot.feedback import cast
from bot.lifecycle import Drainer
from bot.observe import Metrics, hashed
from bot.teams.common import Place, member_place, place_of, read_submit, typed_text
from bot.teams.render import TeamsRenderer
from bot.teams.team_desk import Desk
from bot.teams.team_flow import mentioned, on_card
from bot.teams.team_member import Here, forget_member, forgot, question, typed
from bot.teams.team_port import ConnectorFailed, Person
from bot.teams_agents.delivery import CONNECTOR_ERRORS, Delivery, start_deadline, status_of
from bot.teams_agents.team_connector import AgentsPort
from dialogs.advisor import Advisor
from dialogs.presenter import intro
from dialogs.turn import Click, Turn

log = logging.getLogger(__name__)

API_ERRORS = ApiErrors(
    types=(*CONNECTOR_ERRORS, ConnectorFailed, TimeoutError),
    describe=lambda error: (
        error.status if isinstance(error, ConnectorFailed) else status_of(error),
        type(error).__name__,
    ),
)


class AdvisorAgentsBot:
    """The advisor's routes on an AgentApplication (`self.app`)."""

    def __init__(
        self,
        *,
        advisor: Advisor,
        renderer: TeamsRenderer,
        connection_manager: Connections,
        drainer: Drainer | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.advisor = advisor
        self.renderer = renderer
        self.drainer = drainer or Drainer()
        self.metrics = metrics
        on_error = (lambda status: metrics.api_error("teams", status)) if metrics else None
        self.delivery = Delivery(advisor=advisor, renderer=renderer, on_api_error=on_error)
        self.desk = Desk(advisor=advisor, renderer=renderer)
        # Our sessions live in our own store; the SDK's turn state is not used (MemoryStorage
        # is what it requires, and nothing is saved to it since nothing changes). No typing
        # indicator (an extra call per turn) and mentions are stripped by bot.teams.common.
        self.app: AgentApplication[TurnState] = AgentApplication(
            storage=MemoryStorage(),
            connection_manager=connection_manager,
            start_typing_timer=False,
            remove_recipient_mention=False,
        )
        self.app.message()(self.guard(self.on_message))
        self.app.conversation_update("membersAdded")(self.guard(self.on_members_added))
        self.app.installation_update()(self.guard(self.on_installation_update))
        # Invokes match no route: the SDK answers them 501 (cards use Action.Submit).

    def here(self, context: TurnContext, place: Place) -> Here:
        """The activity as team mode (bot/teams/team_*.py) sees it."""
        activity = context.activity
        sender = activity.from_property
        return Here(
            desk=self.desk,
            port=AgentsPort(context),
            place=place,
            person=Person(
                id=str(getattr(sender, "id", "") or ""), name=str(getattr(sender, "name", "") or "")
            ),
            activity_id=str(activity.id or ""),
            reply_to=str(activity.reply_to_id or "") or None,
            count=self.metrics.vote if self.metrics is not None else None,
        )

    def guard(
        self, handler: Callable[[TurnContext], Awaitable[None]]
    ) -> Callable[[TurnContext, TurnState], Awaitable[None]]:
        """The adapter's error boundary around a route: whatever fails in a turn, the person is
        told plainly in the same conversation."""

        async def route(context: TurnContext, state: TurnState) -> None:
            activity = context.activity
            # The clock on the turn's outbound calls starts with the turn, as on botbuilder.
            start_deadline(context, self.delivery.deadline_seconds)

            async def show(text: str) -> None:
                await self.delivery.send_text(context, place_of(activity), text)

            async with (
                Boundary(
                    platform="teams",
                    where=lambda: hashed("teams", str(activity.conversation.id or "")),
                    show=show,
                    api=API_ERRORS,
                ),
                self.drainer.track(),
            ):
                await handler(context)

        return route

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
        now = datetime.now(UTC)
        turn = Turn(
            key=place.key,
            event_id=f"teams:{activity_id}" if activity_id else f"teams:{now.timestamp()}",
            at=now,
            text=text,
            click=click,
        )
        result = await self.advisor.handle(turn)
        await self.delivery.deliver(context, place, result, clicked_id=clicked_id)
        if forgot(result):
            await forget_member(self.here(context, place))  # their team answers go too

    async def on_message(self, context: TurnContext) -> None:
        activity = context.activity
        place = place_of(activity)
        value = activity.value
        if value is not None:
            if isinstance(value, dict) and "team" in value:
                await on_card(self.here(context, place), value)
            elif isinstance(value, dict) and "t" in value:
                await question(self.here(context, place), value)
            else:
                await self.submit(context, place, value)
            return
        text = typed_text(activity.text)
        if place.in_thread and await mentioned(self.here(context, place), text):
            return
        if not place.in_thread and text and await typed(self.here(context, place), text):
            return
        if place.in_thread and (not text or await self.advisor.peek(place.key) is None):
            await self.turn(context, place)  # a mention opens (or shows) the assessment
            return
        await self.turn(context, place, text=text)

    async def submit(self, context: TurnContext, place: Place, value: object) -> None:
        """A card button (Action.Submit): its data arrives as the activity's value."""
        submitted = read_submit(value, place)
        reply_to = str(context.activity.reply_to_id or "") or None
        if submitted.notice is not None:
            await self.delivery.send_text(context, place, submitted.notice)
        elif submitted.vote is not None:
            metrics = self.metrics
            outcome = await cast(
                self.advisor,
                place.key,
                stamp=submitted.stamp,
                vote=submitted.vote,
                count=metrics.vote if metrics is not None else None,
            )
            await self.delivery.send_text(context, place, VOTE_TEXTS[outcome])
        elif submitted.start:
            await self.turn(context, place)
        else:
            await self.turn(context, place, click=submitted.click, clicked_id=reply_to)

    async def on_members_added(self, context: TurnContext) -> None:
        """Installed in a personal chat: send the welcome card with a start button."""
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient is not None else None
        members: list[Any] = list(activity.members_added or [])
        if not any(m.id == bot_id for m in members):
            return
        if getattr(activity.conversation, "conversation_type", None) not in (None, "personal"):
            return
        place = place_of(activity)
        for member in members:
            if member.id != bot_id:
                place = member_place(place, member)
        card = self.renderer.welcome(intro(self.advisor.flow), owner=place.user)
        await self.delivery.send_card(context, place, card)

    async def on_installation_update(self, context: TurnContext) -> None:
        """The app removed: the tenant's sessions (team) or the person's (personal) are deleted,
        as in bot/teams/bot.py. "remove-upgrade" is an upgrade: nothing is deleted."""
        activity = context.activity
        if activity.action != "remove":
            return
        place = place_of(activity)
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
