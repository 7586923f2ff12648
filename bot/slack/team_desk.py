"""The Slack side of a team's state (issue 14): where a member's team questions go (their DM,
kept under the team), how those messages carry the team, and the team card kept up to date
(through dialogs.team_refresh; the card ends on the newest state whichever process changed it
last), and the team's cost chart uploaded into the card's thread when a change calls for one
(dialogs.team_actions.team_chart: the reveal, or new figures)."""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chart import can_draw, draw_chart
from bot.slack import team_texts as say
from bot.slack.delivery import Delivery, Place
from bot.slack.team_render import escape, mention, team_card
from dialogs.replies import Reply
from dialogs.team_actions import revealed_result, team_chart
from dialogs.team_index import ActiveTeams, TeamIndex
from dialogs.team_refresh import CardRefresher
from dialogs.team_session import Change, Team, TeamBook, TeamRef
from dialogs.turn import SessionKey

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

log = logging.getLogger(__name__)

MAX_THROTTLE_SECONDS = 60.0  # the longest Retry-After waited out; longer is cut to this
DEFAULT_TITLE = say.DEFAULT_TITLE


@dataclass(frozen=True, kw_only=True)
class TeamPlace(Place):
    """A member's team questions: posted in their DM (`channel`), kept under the team."""

    ref: TeamRef
    title: str = ""

    @property
    def key(self) -> SessionKey:
        return self.ref.member_key(self.user)


def team_ref(team: str, channel: str, ts: str) -> TeamRef:
    return TeamRef(platform="slack", workspace=team, conversation=channel, thread=ts)


class TeamDelivery(Delivery):
    """Delivery of a member's team questions: every button (and block id) carrying a value
    also carries the team, and each message says which team it belongs to."""

    def render_one(self, reply: Reply, place: Place) -> dict[str, Any]:
        payload = super().render_one(reply, place)
        if not isinstance(place, TeamPlace):
            return payload
        tag = f"{place.ref.conversation}/{place.ref.thread}"
        blocks = [_tagged(b, tag) for b in payload.get("blocks", [])]
        if blocks and len(blocks) < 50:
            note = say.QUESTION_CONTEXT.format(title=escape(place.title))
            blocks.insert(0, {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
        return {**payload, "blocks": blocks}


def _tagged(node: Any, tag: str) -> Any:
    """A copy of a block with "t" added to every JSON value and JSON-carrying block id."""
    if isinstance(node, list):
        return [_tagged(n, tag) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _tagged(v, tag) for k, v in node.items()}
    raw = out.get("value")
    if isinstance(raw, str) and raw.startswith("{") and raw.endswith("}"):
        out["value"] = raw[:-1] + ("," if len(raw) > 2 else "") + f'"t":"{tag}"}}'
    block_id = out.get("block_id")
    if isinstance(block_id, str) and "{" in block_id and block_id.endswith("}"):
        out["block_id"] = block_id[:-1] + f',"t":"{tag}"}}'
    return out


class Desk:
    """One app's team work: the book of team documents, and the card updates under way."""

    def __init__(self, slack: SlackAdvisor) -> None:
        advisor = slack.advisor
        self.slack = slack
        ttl = advisor.engine.session_ttl_seconds + 86400
        self.book = TeamBook(store=advisor.store, ttl_seconds=ttl)
        self.index = TeamIndex(store=advisor.store, ttl_seconds=ttl)
        self.history = TeamIndex(store=advisor.store, ttl_seconds=ttl, name="history")
        self.delivery = TeamDelivery(advisor=advisor, renderer=slack.renderer)
        # Whether a workspace has teams at all, so typed DMs elsewhere look nothing up
        # (bot.slack.team_member.typed); the marker outlives the teams it stands for.
        self.active = ActiveTeams(store=advisor.store, ttl_seconds=2 * ttl)
        self.refresher = CardRefresher(store=advisor.store)

    def result(self, team: Team) -> dict[str, Any] | None:
        """The team's assessment once revealed (None before, or with nobody finished)."""
        advisor = self.slack.advisor
        flow, costs = advisor.flow, advisor.engine.costs
        return revealed_result(team, flow=flow, costs=costs, mention=mention)

    def card(self, team: Team) -> dict[str, Any]:
        return team_card(team, flow=self.slack.advisor.flow, result=self.result(team))

    async def refresh(self, client: AsyncWebClient, ref: TeamRef) -> None:
        """Bring the card up to the stored team (dialogs.team_refresh: coalesced in this
        process, one update per gap across processes, the newest team sent after a 429).

        A 429 is first waited out by the client's rate-limit handler (Retry-After); one still
        refused after its retries is waited out by the refresher. Any other refusal is logged
        (the team is in the store, never only in the card)."""

        async def read() -> tuple[int, Team] | None:
            team = await self.book.load(ref)
            return None if team is None else (team.version, team)

        async def send(team: Team) -> float | None:
            try:
                await client.chat_update(channel=ref.conversation, ts=ref.thread, **self.card(team))
            except SlackApiError as exc:
                wait = throttled(exc)
                if wait is None:
                    raise
                return wait
            return None

        try:
            await self.refresher.refresh(ref, read, send)
        except SlackApiError as exc:
            log.warning("team card not updated: %s", exc.response.get("error"))

    async def show(self, client: AsyncWebClient, ref: TeamRef, change: Change) -> None:
        """What a committed change of the team shows: the card brought up to date, then the
        team's cost chart when the change calls for one (dialogs.team_actions.team_chart: the
        reveal, or a change of the figures; once, as the commit is), uploaded into the card's
        thread. Nothing for a change not committed (none, or a redelivered event's)."""
        if not change.changed:
            return
        await self.refresh(client, ref)
        await self.chart(client, ref, change)

    async def chart(self, client: AsyncWebClient, ref: TeamRef, change: Change) -> None:
        """The chart a change calls for, drawn off the event loop (bot.chart) after the card
        was updated, into the card's thread; a failure is logged there, never raised."""
        advisor = self.slack.advisor
        costs = advisor.engine.costs
        due = team_chart(change, flow=advisor.flow, costs=costs)
        if due is None or not can_draw(due.cost):
            return
        await self.slack.delivery.charts.show(
            client,
            team=ref.workspace,
            channel=ref.conversation,
            thread_ts=ref.thread,
            cost=due.cost,
            drawing=draw_chart(costs, due.cost),
            caption=due.caption,
        )


def throttled(exc: SlackApiError) -> float | None:
    """The seconds to wait when Slack refused a call with 429 (its Retry-After, at most
    MAX_THROTTLE_SECONDS; 1 when missing or unreadable), else None."""
    response = exc.response
    if getattr(response, "status_code", None) != 429:
        return None
    headers = getattr(response, "headers", None) or {}
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        seconds = float(raw) if raw is not None else 1.0
    except (TypeError, ValueError):
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_THROTTLE_SECONDS)


_desks: weakref.WeakKeyDictionary[SlackAdvisor, Desk] = weakref.WeakKeyDictionary()


def desk(slack: SlackAdvisor) -> Desk:
    """The app's desk, made on first use (one per SlackAdvisor, so apps stay independent)."""
    found = _desks.get(slack)
    if found is None:
        found = _desks[slack] = Desk(slack)
    return found
