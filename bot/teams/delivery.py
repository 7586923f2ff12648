"""Send the engine's replies to Teams as cards: post questions, update answered ones in place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import aiohttp
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

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

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 4
MAX_WAIT_SECONDS = 5.0
# Our own limit on one connector call (msrest's default is 100 s), well inside the ~15 s
# after which Teams redelivers a turn.
CALL_TIMEOUT_SECONDS = 5.0
#: The default total for a turn's outbound calls (ADVISOR_TEAMS_SEND_DEADLINE_SECONDS): retries,
#: waits and the failure notice included, so the inbound request is answered well inside Teams'
#: redelivery window (~15 s).
DEFAULT_SEND_DEADLINE_SECONDS = 10.0
#: Where a turn's deadline (event-loop time) is kept in `TurnContext.turn_state`.
DEADLINE_KEY = "advisor.teams.send_deadline"


def never_sent(exc: ClientRequestError) -> bool:
    """True when the request cannot have reached the connector (the connection never opened:
    refused, unresolvable, or not open within its time limit), so sending it again cannot post
    a card twice. A failed TLS handshake is not counted (as `requests` did not count it)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, aiohttp.ConnectionTimeoutError) or (
            isinstance(cause, aiohttp.ClientConnectorError)
            and not isinstance(cause, aiohttp.ClientSSLError)
        ):
            return True
        nested = getattr(cause, "inner_exception", None) or getattr(cause, "reason", None)
        if nested is None and cause.args and isinstance(cause.args[0], BaseException):
            nested = cause.args[0]
        cause = nested if isinstance(nested, BaseException) else cause.__cause__
    return False


T = TypeVar("T")


def start_deadline(context: TurnContext, seconds: float) -> float:
    """Start the clock on this turn's outbound work (once; a later call keeps the first)."""
    deadline = context.turn_state.get(DEADLINE_KEY)
    if not isinstance(deadline, float):
        deadline = asyncio.get_running_loop().time() + seconds
        context.turn_state[DEADLINE_KEY] = deadline
    return deadline


def limit_connector(context: TurnContext, timeout: float) -> None:
    """The HTTP client's own limit on one call (bot.teams.connector_http reads it), and no
    retries inside msrest: its aiohttp sender makes none, and msrest's default `requests` one
    would redo a refused connection with backoff, under ours."""
    adapter = getattr(context, "adapter", None)
    key = getattr(adapter, "BOT_CONNECTOR_CLIENT_KEY", None)
    client = context.turn_state.get(key) if key is not None else None
    config = getattr(client, "config", None)
    if config is None:
        return
    config.retry_policy.retries = 0
    config.connection.timeout = max(timeout, 0.01)


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _retry_after(exc: Exception) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    conversation: str,
    on_error: Callable[[int | None], None] | None = None,
    deadline: float | None = None,
    before_call: Callable[[float], None] | None = None,
) -> T:
    """The SDK does not retry 429 or 5xx from the connector; this does, with backoff.

    `deadline` (event-loop time) bounds every attempt and wait: a retry that would not finish
    by then is not made, and a call still running then times out (and is never re-sent).
    `before_call` gets each attempt's time limit (to pass it on to the HTTP client).

    Each retry is one log line. The final failure is raised with a note of what failed (PEP
    678), for the one line of whoever catches it (bot.adapter.Boundary); its traceback is
    logged at DEBUG only.
    """
    delay = 0.2
    where = hashed("teams", conversation)
    loop = asyncio.get_running_loop()
    for attempt in range(1, ATTEMPTS + 1):
        limit = CALL_TIMEOUT_SECONDS
        if deadline is not None:
            limit = min(limit, deadline - loop.time())
            if limit <= 0:
                late = TimeoutError(f"{what} not attempted: the turn's send deadline passed")
                late.add_note(f"{what} not attempted: the turn's send deadline passed")
                raise late
        if before_call is not None:
            before_call(limit)
        try:
            async with asyncio.timeout(limit):
                return await call()
        except TimeoutError as exc:
            if on_error is not None:
                on_error(None)
            # The connector may have acted on it: never resend, let the error boundary speak.
            exc.add_note(f"{what} timed out")
            log.debug("%s timed out in conversation %s", what, where, exc_info=True)
            raise
        except (ErrorResponseException, ClientRequestError) as exc:
            status = _status(exc)
            if on_error is not None:
                on_error(status)
            unsent = isinstance(exc, ClientRequestError) and never_sent(exc)
            retryable = status in RETRY_STATUSES or unsent
            if not retryable or attempt == ATTEMPTS:
                exc.add_note(f"{what} failed")
                log.debug(
                    "%s failed in conversation %s (status %s)", what, where, status, exc_info=True
                )
                raise
            wait = min(_retry_after(exc) or delay, MAX_WAIT_SECONDS)
            if deadline is not None and loop.time() + wait >= deadline:
                exc.add_note(f"{what} failed (no time left to retry)")
                log.debug(
                    "%s failed in conversation %s (status %s)", what, where, status, exc_info=True
                )
                raise
            log.warning("%s got %s in %s; retrying in %.1fs", what, status, where, wait)
            await asyncio.sleep(wait)
            delay *= 2
    raise AssertionError("unreachable")


def card_activity(card: dict[str, Any], *, summary: str = "") -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    if summary:
        activity.summary = summary
    return activity


class Delivery:
    def __init__(
        self,
        *,
        advisor: Advisor,
        renderer: TeamsRenderer,
        on_api_error: Callable[[int | None], None] | None = None,
        deadline_seconds: float = DEFAULT_SEND_DEADLINE_SECONDS,
    ) -> None:
        self.advisor = advisor
        self.renderer = renderer
        self.on_api_error = on_api_error
        #: The total for one turn's outbound calls (see start_deadline); server.py sets it.
        self.deadline_seconds = deadline_seconds

    async def _call(
        self, context: TurnContext, place: Place, what: str, call: Callable[[], Awaitable[T]]
    ) -> T:
        return await with_retries(
            call,
            what=what,
            conversation=place.conversation,
            on_error=self.on_api_error,
            deadline=start_deadline(context, self.deadline_seconds),
            before_call=lambda limit: limit_connector(context, limit),
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
        self,
        context: TurnContext,
        place: Place,
        result: TurnResult,
        *,
        clicked_id: str | None = None,
    ) -> None:
        """Carry out the screen steps of a turn (see bot.delivery) as Teams cards. Teams has no
        message only one person sees, so notices about clicks are ordinary replies."""
        surface = _TeamsSurface(delivery=self, context=context, place=place)
        await deliver(self.advisor, place.key, result, surface, clicked=clicked_id)

    def card(self, reply: Reply, place: Place) -> dict[str, Any]:
        return self.renderer.card(
            reply, owner=place.user, owner_name=place.user_name, in_thread=place.in_thread
        )


class _TeamsSurface:
    """One conversation's cards, as bot.delivery.Surface."""

    def __init__(self, *, delivery: Delivery, context: TurnContext, place: Place) -> None:
        self.delivery = delivery
        self.context = context
        self.place = place

    async def post(self, reply: Reply) -> str:
        card = self.delivery.card(reply, self.place)
        drawing = start_chart(self.delivery.advisor.engine.costs, reply)  # a summary's chart
        try:
            sent = await self.delivery.send_card(self.context, self.place, card)
        except (TimeoutError, ClientRequestError) as exc:
            if isinstance(reply, Ask) and _may_have_arrived(exc):
                # The connector may have posted it (no id came back): the question counts as
                # shown, so the next turn does not post it a second time (bot.delivery would
                # otherwise call advisor.not_shown). "" is a message id not known yet; a claim
                # nobody records is shown again after dialogs.screen.CLAIM_TAKEOVER_SECONDS.
                self.delivery.advisor.shown(self.place.key, reply.stamp, "")
            if isinstance(exc, TimeoutError) and _may_have_arrived(exc):
                # Not "something went wrong": it may well have gone through, just late.
                raise SlowPlatform(
                    "send timed out (Teams may have posted it all the same)"
                ) from exc
            raise
        if drawing is not None:  # a card of its own after the summary; never raises
            send = partial(self.delivery.send_card, self.context, self.place)
            await send_chart(send, renderer=self.delivery.renderer, drawing=drawing)
        return sent

    async def update(self, target: str, reply: Reply) -> None:
        if isinstance(reply, Answered):
            card = self.delivery.renderer.answered(reply)
            await self.delivery.update_card(self.context, self.place, target, card)

    async def private(self, reply: Reply) -> None:
        await self.post(reply)

    async def find(self, ask: Ask, *, since: float) -> str | None:
        """A bot cannot read a Teams chat's history (without Graph permissions): a send that
        may have arrived counts as shown instead (see post)."""
        return None

    async def close(self, target: str, prompt: str) -> None:
        """Take the buttons off a question card the person moved away from."""
        card = self.delivery.renderer.closed(prompt)
        try:
            await self.delivery.update_card(self.context, self.place, target, card)
        except (ErrorResponseException, ClientRequestError) as exc:
            log.warning("could not close question card %s (status %s)", target, _status(exc))


def _may_have_arrived(exc: TimeoutError | ClientRequestError) -> bool:
    """Whether a failed send may still have been posted: it timed out, or its connection opened
    and then failed (not when with_retries never made it, or the connection never opened)."""
    if isinstance(exc, ClientRequestError):
        return not never_sent(exc)
    return not any("not attempted" in note for note in getattr(exc, "__notes__", ()))
