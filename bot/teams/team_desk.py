"""Team mode's state in Teams (issue 14), shared by both Teams adapters: the team documents,
who sits in them (bot.teams.team_roster), where a member's team questions go (their personal
chat, kept under the team), and the team card kept up to date (through dialogs.team_refresh:
coalesced per team and process, one update per gap across processes, ending on the newest
state whichever process changed it last), and the team's cost chart sent into the card's
thread when a change calls for one (dialogs.team_actions.team_chart: the reveal, or new
figures). No SDK here: connector calls go through bot.teams.team_port.Port."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.chart import can_draw, draw_chart, start_chart
from bot.delivery import deliver
from bot.teams.chart import send_chart
from bot.teams.render import MAX_CARD_BYTES, TeamsRenderer
from bot.teams.team_card import card_size, rich, run, submit, team_card
from bot.teams.team_port import CALL_TIMEOUT_SECONDS, ConnectorFailed, Port, call
from bot.teams.team_roster import Entry, Roster
from bot.teams.team_texts import COPY_BUTTON, QUESTION_CONTEXT, SOMEONE
from dialogs.advisor import Advisor
from dialogs.replies import Answered, Ask, Reply, TurnResult
from dialogs.team_actions import revealed_result, team_chart
from dialogs.team_index import ActiveTeams, TeamIndex
from dialogs.team_refresh import CARD_GAP_SECONDS, CardRefresher
from dialogs.team_session import Change, Team, TeamBook, TeamRef
from dialogs.turn import SessionKey

log = logging.getLogger(__name__)

MAX_THROTTLE_SECONDS = 10.0  # the longest Retry-After the card waits out (within a turn)
TAG_SEPARATOR = "|"  # between the channel and the thread in a team question's "t"
COPY = "copy"  # Action.Submit data key of "Start from my own answers"


def team_ref(tenant: str, channel: str, root: str, card_id: str) -> TeamRef:
    """A team: the channel, and the thread root and card activity its card is."""
    return TeamRef(
        platform="teams", workspace=tenant, conversation=channel, thread=f"{root}:{card_id}"
    )


def card_home(ref: TeamRef) -> tuple[str, str]:
    """The conversation (the channel thread) and activity id of the team's card."""
    root, _, card_id = ref.thread.rpartition(":")
    return f"{ref.conversation};messageid={root}", card_id


def tag(ref: TeamRef) -> str:
    return ref.conversation + TAG_SEPARATOR + ref.thread


def untag(tenant: str, value: str) -> TeamRef | None:
    channel, _, thread = value.partition(TAG_SEPARATOR)
    root, _, card_id = thread.rpartition(":")
    if not (channel and root and card_id):
        return None
    return team_ref(tenant, channel, root, card_id)


def person_key(tenant: str, user: str) -> SessionKey:
    """Where the teams a person sits in are listed (whatever chat they answer in), so their
    `forget` anywhere finds them: a slot of their own."""
    return SessionKey(
        platform="teams", workspace=tenant, conversation="person:" + user, thread="", user=user
    )


class Desk:
    """One bot's team work: the stores, and the card updates under way in this process."""

    def __init__(self, *, advisor: Advisor, renderer: TeamsRenderer) -> None:
        self.advisor = advisor
        self.renderer = renderer
        ttl = advisor.engine.session_ttl_seconds + 86400
        store = advisor.store
        self.book = TeamBook(store=store, ttl_seconds=ttl)
        self.index = TeamIndex(store=store, ttl_seconds=ttl)
        self.history = TeamIndex(store=store, ttl_seconds=ttl, name="history")
        self.roster = Roster(store=store, ttl_seconds=ttl)
        # Whether a tenant has team assessments at all: typed personal messages look up the
        # person's teams only where it has (bot.teams.team_member.typed), in every process.
        self.active = ActiveTeams(store=store, ttl_seconds=2 * ttl)
        self.refresher = CardRefresher(store=store)

    def result(self, team: Team, people: dict[str, Entry]) -> dict[str, Any] | None:
        """The team's assessment once revealed (None before, or with nobody finished)."""
        flow, costs = self.advisor.flow, self.advisor.engine.costs
        return revealed_result(team, flow=flow, costs=costs, mention=namer(people))

    async def card(self, ref: TeamRef, team: Team) -> dict[str, Any]:
        return self.render(team, await self.roster.load(ref))

    def render(self, team: Team, people: dict[str, Entry]) -> dict[str, Any]:
        result = self.result(team, people)
        return team_card(team, flow=self.advisor.flow, result=result, mention=namer(people))

    async def _state(self, ref: TeamRef) -> tuple[Team | None, dict[str, Entry], Any]:
        """The team, its names, and what the card would show of them (a name joins the
        roster apart from the team's version, so both count)."""
        team = await self.book.load(ref)
        people = await self.roster.load(ref) if team is not None else {}
        names = tuple(sorted((u, e.name) for u, e in people.items()))
        return team, people, (team.version if team else -1, names)

    async def refresh(self, port: Port, ref: TeamRef) -> None:
        """Bring the card up to the stored team and its names (dialogs.team_refresh: coalesced
        in this process, one update per gap across processes, the newest state sent after a
        429 is waited out). An update the connector still refuses is logged, and the next
        change brings the card up to date (the team's state is in the store, never only in
        the card)."""
        conversation, card_id = card_home(ref)

        async def read() -> tuple[Any, tuple[Team, dict[str, Entry]]] | None:
            team, people, state = await self._state(ref)
            return None if team is None else (state, (team, people))

        async def send(seen: tuple[Team, dict[str, Entry]]) -> float | None:
            card = self.render(*seen)
            try:
                async with asyncio.timeout(CALL_TIMEOUT_SECONDS):
                    await port.update(conversation, card_id, card)
            except ConnectorFailed as exc:
                if exc.status != 429:
                    raise
                return min(exc.retry_after or CARD_GAP_SECONDS, MAX_THROTTLE_SECONDS)
            return None

        try:
            await self.refresher.refresh(ref, read, send)
        except ConnectorFailed as exc:
            log.warning("team card not updated (status %s)", exc.status)
        except TimeoutError:
            log.warning("team card not updated: the connector did not answer in time")

    async def show(self, port: Port, ref: TeamRef, change: Change) -> None:
        """What a committed change of the team shows: the card brought up to date, then the
        team's cost chart when the change calls for one (dialogs.team_actions.team_chart: the
        reveal, or a change of the figures; once, as the commit is), a card of its own
        replying in the card's thread. Nothing for a change not committed."""
        if not change.changed:
            return
        await self.refresh(port, ref)
        await self.chart(port, ref, change)

    async def chart(self, port: Port, ref: TeamRef, change: Change) -> None:
        """The chart a change calls for, drawn off the event loop (bot.chart) after the card
        was updated; a failure is logged (bot.teams.chart), never raised."""
        costs = self.advisor.engine.costs
        due = team_chart(change, flow=self.advisor.flow, costs=costs)
        if due is None or not can_draw(due.cost):
            return
        thread, _ = card_home(ref)

        async def send(card: dict[str, Any]) -> str:
            return await call("send", thread, lambda: port.send(thread, card=card))

        drawing = draw_chart(costs, due.cost)
        await send_chart(send, renderer=self.renderer, drawing=drawing, caption=due.caption)

    def member_card(
        self, reply: Reply, *, owner: str, ref: TeamRef, title: str, offer: int = 0
    ) -> dict[str, Any]:
        """A card of a member's team session: every button carries the team ("t"), and the
        card opens by saying which team it is for. `offer`: a question offers to start from
        that many answers of the member's own assessment."""
        card = self.renderer.card(reply, owner=owner, owner_name="", in_thread=False)
        if offer and isinstance(reply, Ask):
            data = {COPY: "1", "u": owner, "s": reply.stamp}
            button = submit(COPY_BUTTON.format(count=offer), data)
            card = {
                **card,
                "body": [*card.get("body", []), {"type": "ActionSet", "actions": [button]}],
            }
        tagged: dict[str, Any] = _tagged(card, tag(ref))
        note = rich(run(QUESTION_CONTEXT, bold=True), run(title), subtle=True)
        body = [note, *tagged.get("body", [])]
        out = {**tagged, "body": body}
        return out if card_size(out) <= MAX_CARD_BYTES else tagged

    async def member_turn_delivery(
        self,
        port: Port,
        *,
        chat: str,
        key: SessionKey,
        result: TurnResult,
        title: str,
        ref: TeamRef,
        clicked: str | None = None,
        offer: int = 0,
    ) -> None:
        """The turn's screen steps (bot.delivery) in the member's personal chat."""
        surface = MemberSurface(
            desk=self, port=port, chat=chat, key=key, ref=ref, title=title, offer=offer
        )
        await deliver(self.advisor, key, result, surface, clicked=clicked)


def namer(people: dict[str, Entry]) -> Any:
    def name(user: str) -> str:
        entry = people.get(user)
        return entry.name if entry is not None and entry.name else SOMEONE

    return name


def _tagged(node: Any, value: str) -> Any:
    """A copy of a card with "t" added to the data of every Action.Submit."""
    if isinstance(node, list):
        return [_tagged(n, value) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _tagged(v, value) for k, v in node.items()}
    if out.get("type") == "Action.Submit" and isinstance(out.get("data"), dict):
        out["data"] = {**out["data"], "t": value}
    return out


class MemberSurface:
    """A member's team session shown in their personal chat, as bot.delivery.Surface."""

    def __init__(
        self,
        *,
        desk: Desk,
        port: Port,
        chat: str,
        key: SessionKey,
        ref: TeamRef,
        title: str,
        offer: int = 0,
    ) -> None:
        self.offer = offer
        self.desk = desk
        self.port = port
        self.chat = chat
        self.key = key
        self.ref = ref
        self.title = title

    async def post(self, reply: Reply) -> str:
        card = self.desk.member_card(
            reply, owner=self.key.user, ref=self.ref, title=self.title, offer=self.offer
        )
        if isinstance(reply, Ask):
            self.offer = 0  # only the first question offers it
        drawing = start_chart(self.desk.advisor.engine.costs, reply)  # a summary's chart
        sent = await call("send", self.chat, lambda: self.port.send(self.chat, card=card))
        if drawing is not None:  # a card of its own after the summary; never raises
            await send_chart(self._send, renderer=self.desk.renderer, drawing=drawing)
        return sent

    async def _send(self, card: dict[str, Any]) -> str:
        return await call("send", self.chat, lambda: self.port.send(self.chat, card=card))

    async def update(self, target: str, reply: Reply) -> None:
        if isinstance(reply, Answered):
            card = self.desk.renderer.answered(reply)
            await call("update", self.chat, lambda: self.port.update(self.chat, target, card))

    async def private(self, reply: Reply) -> None:
        await self.post(reply)

    async def find(self, ask: Ask, *, since: float) -> str | None:
        return None  # a bot cannot read a Teams chat's history

    async def close(self, target: str, prompt: str) -> None:
        card = self.desk.renderer.closed(prompt)
        try:
            await self.port.update(self.chat, target, card)
        except ConnectorFailed as exc:
            log.warning("could not close a team question card (status %s)", exc.status)
