"""Send the engine's replies to Teams as cards through the Agents SDK's turn context: post
questions, update answered ones in place (bot.delivery's steps, as for botbuilder)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import aiohttp
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import CardFactory, MessageFactory, TurnContext

from bot.adapter import SlowPlatform
from bot.chart import start_chart
from bot.delivery import deliver
from bot.observe import hashed
from bot.teams.chart import send_chart
from bot.teams.common import Place
from bot.teams.render import TeamsRenderer
from dialogs.advisor import Advisor
from dialogs.replies import Answered, Ask, Reply, TurnResult

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 4
MAX_WAIT_SECONDS = 5.0
#: One connector call at most, well inside the ~15 s after which Teams redelivers a turn.
CALL_TIMEOUT_SECONDS = 5.0
#: Where a turn's deadline (event-loop time) is kept in the turn state.
DEADLINE_KEY = "advisor.teams.send_deadline"
#: The connector's failures as the Agents SDK raises them (its client is aiohttp).
CONNECTOR_ERRORS = (aiohttp.ClientError,)


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def never_sent(exc: BaseException) -> bool:
    """The connection never opened, so sending again cannot post a card twice."""
    return isinstance(exc, aiohttp.ClientConnectorError)


def start_deadline(context: TurnContext, seconds: float) -> float:
    """Start the clock on this turn's outbound work (once; a later call keeps the first)."""
    deadline = context.turn_state.get(DEADLINE_KEY)
    if not isinstance(deadline, float):
        deadline = asyncio.get_running_loop().time() + seconds
        context.turn_state[DEADLINE_KEY] = deadline
    return deadline


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    conversation: str,
    deadline: float,
    on_error: Callable[[int | None], None] | None = None,
) -> T:
    """The SDK does not retry 429 or 5xx from the connector; this does, with backoff, within
    the turn's deadline. A call that times out is never re-sent (it may have gone through)."""
    delay = 0.2
    where = hashed("teams", conversation)
    loop = asyncio.get_running_loop()
    for attempt in range(1, ATTEMPTS + 1):
        limit = min(CALL_TIMEOUT_SECONDS, deadline - loop.time())
        if limit <= 0:
            late = TimeoutError(f"{what} not attempted: the turn's send deadline passed")
            late.add_note(f"{what} not attempted: the turn's send deadline passed")
            raise late
        try:
            async with asyncio.timeout(limit):
                return await call()
        except TimeoutError as exc:
            if on_error is not None:
                on_error(None)
            exc.add_note(f"{what} timed out")
            log.debug("%s timed out in conversation %s", what, where, exc_info=True)
            raise
        except CONNECTOR_ERRORS as exc:
            status = status_of(exc)
            if on_error is not None:
                on_error(status)
            retryable = status in RETRY_STATUSES or never_sent(exc)
            wait = MAX_WAIT_SECONDS if status == 429 else delay
            if not retryable or attempt == ATTEMPTS or loop.time() + wait >= deadline:
                exc.add_note(f"{what} failed")
                log.debug(
                    "%s failed in conversation %s (status %s)", what, where, status, exc_info=True
                )
                raise
            log.warning("%s got %s in %s; retrying in %.1fs", what, status, where, wait)
            await asyncio.sleep(min(wait, MAX_WAIT_SECONDS))
            delay *= 2
    raise AssertionError("unreachable")


def card_activity(card: dict[str, Any]) -> Activity:
    activity: Activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    return activity


class Delivery:
    def __init__(
        self,
        *,
        advisor: Advisor,
        renderer: TeamsRenderer,
        on_api_error: Callable[[int | None], None] | None = None,
        deadline_seconds: float = 10.0,
    ) -> None:
        self.advisor = advisor
        self.renderer = renderer
        self.on_api_error = on_api_error
        self.deadline_seconds = deadline_seconds

    async def _call(
        self, context: TurnContext, place: Place, what: str, call: Callable[[], Awaitable[T]]
    ) -> T:
        return await with_retries(
            call,
            what=what,
            conversation=place.conversation,
            deadline=start_deadline(context, self.deadline_seconds),
            on_error=self.on_api_error,
        )

    async def send_card(self, context: TurnContext, place: Place, card: dict[str, Any]) -> str:
        response = await self._call(
            context, place, "send", lambda: context.send_activity(card_activity(card))
        )
        return str(getattr(response, "id", "") or "")

    async def send_text(self, context: TurnContext, place: Place, text: str) -> None:
        await self._call(
            context, place, "send", lambda: context.send_activity(MessageFactory.text(text))
        )

    async def update_card(
        self, context: TurnContext, place: Place, activity_id: str, card: dict[str, Any]
    ) -> None:
        activity = card_activity(card)
        activity.id = activity_id
        await self._call(context, place, "update", lambda: context.update_activity(activity))

    async def deliver(
        self, context: TurnContext, place: Place, result: TurnResult, *, clicked_id: str | None
    ) -> None:
        """The turn's screen steps (bot.delivery) as Teams cards."""
        surface = _Surface(delivery=self, context=context, place=place)
        await deliver(self.advisor, place.key, result, surface, clicked=clicked_id)


class _Surface:
    """One conversation's cards, as bot.delivery.Surface."""

    def __init__(self, *, delivery: Delivery, context: TurnContext, place: Place) -> None:
        self.delivery = delivery
        self.context = context
        self.place = place

    async def post(self, reply: Reply) -> str:
        place = self.place
        card = self.delivery.renderer.card(
            reply, owner=place.user, owner_name=place.user_name, in_thread=place.in_thread
        )
        drawing = start_chart(self.delivery.advisor.engine.costs, reply)
        try:
            sent = await self.delivery.send_card(self.context, place, card)
        except (TimeoutError, aiohttp.ClientError) as exc:
            arrived = not never_sent(exc) and not any(
                "not attempted" in note for note in getattr(exc, "__notes__", ())
            )
            if isinstance(reply, Ask) and arrived and status_of(exc) is None:
                # It may have been posted: count the question as shown (see bot.teams.delivery).
                self.delivery.advisor.shown(place.key, reply.stamp, "")
            if isinstance(exc, TimeoutError) and arrived:
                raise SlowPlatform(
                    "send timed out (Teams may have posted it all the same)"
                ) from exc
            raise
        if drawing is not None:  # a card of its own after the summary; never raises
            send = partial(self.delivery.send_card, self.context, place)
            await send_chart(send, renderer=self.delivery.renderer, drawing=drawing)
        return sent

    async def update(self, target: str, reply: Reply) -> None:
        if isinstance(reply, Answered):
            card = self.delivery.renderer.answered(reply)
            await self.delivery.update_card(self.context, self.place, target, card)

    async def private(self, reply: Reply) -> None:
        await self.post(reply)  # Teams has no message only one person sees

    async def find(self, ask: Ask, *, since: float) -> str | None:
        return None  # a bot cannot read a Teams chat's history without Graph permissions

    async def close(self, target: str, prompt: str) -> None:
        """Take the buttons off a question card the person moved away from."""
        card = self.delivery.renderer.closed(prompt)
        try:
            await self.delivery.update_card(self.context, self.place, target, card)
        except CONNECTOR_ERRORS as exc:
            log.warning("could not close question card %s (status %s)", target, status_of(exc))
