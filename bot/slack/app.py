"""The Slack app: the factory, and the core every listener (bot/slack/listeners/) shares.

Every listener acknowledges first and does the slow work after; `SlackAdvisor.safely` is the
adapter's one error boundary (bot.adapter.Boundary).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapter import ApiErrors, Boundary
from bot.lifecycle import Drainer
from bot.observe import Metrics, hashed
from bot.slack.agent import AgentFeatures
from bot.slack.delivery import Delivery, Place
from bot.slack.listeners import register_listeners
from bot.slack.render import SlackRenderer
from bot.slack.texts import ERRORS, FAILED, UNAVAILABLE
from dialogs.advisor import Advisor
from dialogs.replies import TurnResult
from dialogs.turn import Click, Turn

# Re-exported: tests and benchmarks recognise the error texts by these names.
__all__ = ["FAILED", "UNAVAILABLE", "SlackAdvisor", "create_slack_app"]


def _where(place: Place | None) -> str:
    """The conversation's pseudonym for a log line (worked out only when there is one)."""
    return hashed("slack", place.team, place.channel, place.thread_ts) if place else "-"


def _describe(error: Exception) -> tuple[int | None, str]:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    reason = response.get("error") if response is not None else None
    return (status if isinstance(status, int) else None), str(reason)


class SlackAdvisor:
    """Translates Slack events to turns and replies to Slack messages."""

    def __init__(
        self,
        *,
        advisor: Advisor,
        renderer: SlackRenderer,
        drainer: Drainer | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.advisor = advisor
        self.renderer = renderer
        self.agent = AgentFeatures()
        self.delivery = Delivery(advisor=advisor, renderer=renderer, agent=self.agent)
        self.drainer = drainer or Drainer()
        self.metrics = metrics
        self.api_errors = ApiErrors(
            types=(SlackApiError,),
            describe=_describe,
            count=(lambda status: metrics.api_error("slack", status)) if metrics else None,
        )

    async def safely(
        self,
        client: AsyncWebClient,
        place: Place | None,
        work: Callable[[], Awaitable[None]],
        *,
        ephemeral: bool = False,
    ) -> None:
        """The adapter's error boundary: whatever fails in `work`, the person is told plainly
        (privately when `ephemeral`), in the conversation at `place`."""

        async def show(text: str) -> None:
            if place is None:
                return
            if ephemeral:
                await self.delivery.ephemeral(client, place, {"text": text})
            else:
                await self.delivery.post(client, place, {"text": text})

        async with (
            Boundary(
                platform="slack",
                where=lambda: _where(place),
                show=show,
                api=self.api_errors,
                texts=ERRORS,
            ),
            self.drainer.track(),
        ):
            await work()

    async def turn(
        self,
        client: AsyncWebClient,
        place: Place,
        event_id: str,
        *,
        text: str | None = None,
        click: Click | None = None,
        clicked_ts: str | None = None,
        typed_ts: str | None = None,
        dm_thread: str | None = None,
    ) -> TurnResult:
        """One engine turn, its replies delivered to `place`. `typed_ts` is the person's
        message (when they typed): a slow reply's status line hangs there outside a thread.
        `dm_thread` is the DM's thread they typed in, where a summary streams."""
        turn = Turn(key=place.key, event_id=event_id, at=datetime.now(UTC), text=text, click=click)
        result = await self.advisor.handle(turn)
        await self.delivery.deliver(
            client, place, result, clicked_ts=clicked_ts, anchor_ts=typed_ts, dm_thread=dm_thread
        )
        return result

    async def dm_place(self, client: AsyncWebClient, team: str, user: str) -> Place:
        """The person's direct message with the app (opened if need be)."""
        response = await client.conversations_open(users=user)
        channel = str((response.get("channel") or {}).get("id", ""))
        return Place(team=team, channel=channel, thread_ts="", user=user)


def create_slack_app(
    *,
    advisor: Advisor,
    renderer: SlackRenderer,
    token: str,
    signing_secret: str | None,
    drainer: Drainer | None = None,
    metrics: Metrics | None = None,
) -> AsyncApp:
    """A Bolt AsyncApp wired to the advisor. No globals: several can live in one process.

    `signing_secret` None means Socket Mode, where requests arrive over the authenticated socket.
    Bolt is given the token and builds its own client, which bot.slack.server configures. Given
    a client instead, Bolt would still read SLACK_BOT_TOKEN from the environment and warn that
    this token goes unused. The secret is never None for the same reason (Bolt would read
    SLACK_SIGNING_SECRET): bot.settings is the one reader of the environment.
    """
    app = AsyncApp(
        token=token,
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        process_before_response=False,
    )
    slack = SlackAdvisor(advisor=advisor, renderer=renderer, drainer=drainer, metrics=metrics)
    register_listeners(app, slack)
    return app
