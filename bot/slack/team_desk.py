"""The Slack side of a team's state (issue 14): where a member's team questions go (their DM,
kept under the team), how those messages carry the team, and the team card kept up to date
(updates coalesced per process; each round reads the team again, so the card ends on the
newest state whichever process changed it last)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import team_texts as say
from bot.slack.delivery import Delivery, Place
from bot.slack.team_render import escape, mention, team_card
from dialogs.replies import Reply
from dialogs.team import assess_team
from dialogs.team_index import ActiveTeams, TeamIndex
from dialogs.team_session import Team, TeamBook, TeamRef
from dialogs.turn import SessionKey

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

log = logging.getLogger(__name__)

# Rounds of one process's card refresh for one team, at most. Each round shows a newer team
# than the last, waits for the card's turn or waits out a 429, so the loop ends when the team
# stops changing; the bound only stops a team changing without end from holding a listener.
REFRESH_ROUNDS = 600
MAX_THROTTLE_SECONDS = 60.0  # the longest Retry-After waited out; longer is cut to this
DEFAULT_TITLE = "Build or buy, as a team"
# One update of a card per this many seconds, whichever process makes it: the right to update
# is claimed in the store (SET NX with this TTL), so every process waits its turn.
CARD_GAP_SECONDS = 1
CARD_TURN = "card-update"
TURN_WAIT_SECONDS = 0.2  # between two tries for the card's turn


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
        # Teams whose card this process is updating -> whether another change came meanwhile.
        self._dirty: dict[TeamRef, bool] = {}

    def result(self, team: Team) -> dict[str, Any] | None:
        """The team's assessment once revealed (None before, or with nobody finished)."""
        if not (team.revealed and team.finished):
            return None
        advisor = self.slack.advisor
        members = team.scored(mention=mention)
        return assess_team(advisor.flow, members, costs=advisor.engine.costs, settled=team.settled)

    def card(self, team: Team) -> dict[str, Any]:
        return team_card(team, flow=self.slack.advisor.flow, result=self.result(team))

    async def refresh(self, client: AsyncWebClient, ref: TeamRef) -> None:
        """Bring the card up to the stored team. Coalesced: while this process is updating
        the card, further calls only mark it dirty, and the running one reads the team again
        and updates once more. It stops only once the card shows the stored team and nothing
        marked it meanwhile, so the last change is never left to a next one that may not come.

        Across processes: an update takes the card's turn first (a claim in the store that
        lasts CARD_GAP_SECONDS), so the card is updated at most once a gap however many
        members finish at once on however many processes; updates do not cross each other
        on the way (an older state cannot land after a newer one, short of a call outlasting
        the gap); and the team is read after the turn is taken, so it is the newest.

        A 429 is first waited out by the client's rate-limit handler (Retry-After); one still
        refused after its retries is waited out here, and then the newest team is sent, not
        the refused card. Any other refusal is logged (the team is in the store, never only
        in the card)."""
        if ref in self._dirty:
            self._dirty[ref] = True
            return
        self._dirty[ref] = False
        store = self.slack.advisor.store
        shown = -1
        try:
            for _ in range(REFRESH_ROUNDS):
                team = await self.book.load(ref)
                if team is None or (team.version == shown and not self._dirty[ref]):
                    return
                self._dirty[ref] = False
                if team.version == shown:
                    continue
                if not await store.claim(ref.key, CARD_TURN, ttl_seconds=CARD_GAP_SECONDS):
                    await asyncio.sleep(TURN_WAIT_SECONDS)  # another update is this gap's
                    continue
                team = await self.book.load(ref) or team
                card = self.card(team)
                try:
                    await client.chat_update(channel=ref.conversation, ts=ref.thread, **card)
                except SlackApiError as exc:
                    wait = throttled(exc)
                    if wait is None:
                        raise
                    log.info("team card rate limited; updating again in %.0fs", wait)
                    await asyncio.sleep(wait)
                    shown = -1  # what the card shows is unknown: send the newest
                    continue
                shown = team.version
            log.warning(
                "team card: still changing after %d rounds; left to the next change",
                REFRESH_ROUNDS,
            )
        except SlackApiError as exc:
            log.warning("team card not updated: %s", exc.response.get("error"))
        finally:
            del self._dirty[ref]


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
