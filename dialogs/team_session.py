"""A team assessment in a chat (issue 14): the team document, its pure changes, and `TeamBook`,
which commits them to the store with the sessions' compare-and-set.

The document lives under the channel thread the team card opened (`dialogs.stores.base.team_key`);
each member answers in a session of their own keyed on the same conversation (`member_key`), so
the team and every member's answers share one Redis hash slot. A member's answers are copied
into the document when they finish; the reveal is a flip of `revealed` by compare-and-set, so
whichever commit flips it is the one and only reveal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from dialogs.errors import StoreConflict, StoreUnavailable
from dialogs.session import event_key
from dialogs.stores.base import Commit, SessionStore
from dialogs.team import Member
from dialogs.turn import SessionKey

SCHEMA = 1
# Recent event ids the document keeps (joins, finishes, reveals): a team of 100 joins and
# finishes in 200 events; a redelivery arrives within seconds, long before it is pushed out.
SEEN_KEPT = 256
MEMBER_THREAD = "team/"  # a member's team session: thread "team/<card ts>", never a real thread
MIN_TO_REVEAL = 2  # members who must all have finished for the answers to show by themselves


class Role(StrEnum):
    MEMBER = "member"
    OBSERVER = "observer"


@dataclass(frozen=True, kw_only=True)
class TeamRef:
    """Which team: the conversation and the thread its card opened."""

    platform: str
    workspace: str
    conversation: str
    thread: str

    @property
    def key(self) -> SessionKey:
        """The team document's key (no user: see dialogs.stores.base.team_key)."""
        return SessionKey(
            platform=self.platform,
            workspace=self.workspace,
            conversation=self.conversation,
            thread=self.thread,
            user="",
        )

    def member_key(self, user: str) -> SessionKey:
        """A member's team session: same conversation (same hash slot), its own thread."""
        return SessionKey(
            platform=self.platform,
            workspace=self.workspace,
            conversation=self.conversation,
            thread=MEMBER_THREAD + self.thread,
            user=user,
        )


@dataclass(frozen=True, kw_only=True)
class Seat:
    """One person in the team: their role, whether they finished, and (once they have) their
    answers as they stood at their summary."""

    user: str
    role: Role
    finished: bool = False
    answers: Mapping[str, str] | None = None
    reminded_at: float = 0.0

    def to_document(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "role": self.role.value,
            "finished": self.finished,
            "answers": dict(self.answers) if self.answers is not None else None,
            "reminded_at": self.reminded_at,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Seat:
        answers = doc.get("answers")
        return cls(
            user=str(doc["user"]),
            role=Role(doc.get("role", Role.MEMBER)),
            finished=bool(doc.get("finished", False)),
            answers={str(k): str(v) for k, v in answers.items()}
            if isinstance(answers, Mapping)
            else None,
            reminded_at=float(doc.get("reminded_at", 0.0)),
        )


@dataclass(frozen=True, kw_only=True)
class Team:
    """The team document. `seats` in the order people joined (anonymous names follow it)."""

    title: str
    facilitator: str
    anonymous: bool = False
    seats: tuple[Seat, ...] = ()
    settled: Mapping[str, str] = field(default_factory=dict)
    revealed: bool = False
    closed: bool = False
    left: int = 0  # members who deleted their data (forget): their seats and answers are gone
    created_at: str = ""
    version: int = 0
    seen: tuple[str, ...] = ()

    def seat(self, user: str) -> Seat | None:
        return next((s for s in self.seats if s.user == user), None)

    @property
    def members(self) -> tuple[Seat, ...]:
        return tuple(s for s in self.seats if s.role is Role.MEMBER)

    @property
    def observers(self) -> tuple[Seat, ...]:
        return tuple(s for s in self.seats if s.role is Role.OBSERVER)

    @property
    def finished(self) -> tuple[Seat, ...]:
        return tuple(s for s in self.members if s.finished)

    @property
    def answering(self) -> tuple[Seat, ...]:
        return tuple(s for s in self.members if not s.finished)

    def name(self, user: str, *, mention: Callable[[str], str]) -> str:
        """How a member is called on the card and in results: "Member n" when anonymous."""
        if self.anonymous:
            for i, seat in enumerate(self.members, start=1):
                if seat.user == user:
                    return f"Member {i}"
            return "An observer"
        return mention(user)

    def scored(self, *, mention: Callable[[str], str]) -> list[Member]:
        """The finished members, as dialogs.team scores them."""
        return [
            Member(name=self.name(s.user, mention=mention), answers=dict(s.answers or {}))
            for s in self.finished
        ]

    def to_document(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "kind": "team",
            "title": self.title,
            "facilitator": self.facilitator,
            "anonymous": self.anonymous,
            "seats": [s.to_document() for s in self.seats],
            "settled": dict(self.settled),
            "revealed": self.revealed,
            "closed": self.closed,
            "left": self.left,
            "created_at": self.created_at,
            "version": self.version,
            "seen": list(self.seen),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Team:
        """Read a stored team document; ValueError on anything malformed."""
        if doc.get("schema") != SCHEMA or doc.get("kind") != "team":
            raise ValueError("not a team document of a known schema")
        try:
            return cls(
                title=str(doc.get("title", "")),
                facilitator=str(doc["facilitator"]),
                anonymous=bool(doc.get("anonymous", False)),
                seats=tuple(Seat.from_document(s) for s in doc.get("seats", ())),
                settled={str(k): str(v) for k, v in dict(doc.get("settled") or {}).items()},
                revealed=bool(doc.get("revealed", False)),
                closed=bool(doc.get("closed", False)),
                left=int(doc.get("left", 0)),
                created_at=str(doc.get("created_at", "")),
                version=int(doc.get("version", 0)),
                seen=tuple(str(e) for e in doc.get("seen", ())),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed team document: {exc}") from exc


# ------------------------------------------------------------------------------ pure changes


def join(team: Team, user: str, role: Role) -> Team:
    """`user` takes a seat (a member may become an observer before finishing, and back);
    the team is unchanged when they already sit so, or once it is closed. Joining after the
    reveal is allowed: a latecomer's answers join the results when they finish."""
    seat = team.seat(user)
    if team.closed or (seat is not None and seat.role is role):
        return team
    if seat is not None and seat.finished:
        return team  # a member who finished stays one
    seats = tuple(s for s in team.seats if s.user != user)
    return replace(team, seats=(*seats, Seat(user=user, role=role)))


def finish(team: Team, user: str, answers: Mapping[str, str]) -> Team:
    """A member reached their summary with `answers`: kept (later edits replace them); when
    every member has finished, and there are at least two (a quick first member must not
    reveal their own answers before anyone else joins), the team is revealed."""
    seat = team.seat(user)
    if seat is None or seat.role is not Role.MEMBER or team.closed:
        return team
    if seat.finished and dict(seat.answers or {}) == dict(answers):
        return team
    done = replace(seat, finished=True, answers=dict(answers))
    seats = tuple(done if s.user == user else s for s in team.seats)
    new = replace(team, seats=seats)
    if not new.answering and len(new.members) >= MIN_TO_REVEAL:
        new = replace(new, revealed=True)
    return new


def reveal(team: Team) -> Team:
    """The facilitator shows the answers of those who finished (no-op once revealed)."""
    return team if team.revealed else replace(team, revealed=True)


def settle(team: Team, question: str, option: str) -> Team:
    """The facilitator picks the answer the team goes with on one question."""
    if team.settled.get(question) == option:
        return team
    return replace(team, settled={**team.settled, question: option})


def leave(team: Team, user: str) -> Team:
    """`user` deleted their data: their seat and answers leave the team (counted in `left`)."""
    if team.seat(user) is None:
        return team
    seats = tuple(s for s in team.seats if s.user != user)
    return replace(team, seats=seats, left=team.left + 1)


def close(team: Team) -> Team:
    """The facilitator closes the team: no more answers; what was finished is revealed."""
    if team.closed:
        return team
    return replace(team, closed=True, revealed=team.revealed or bool(team.finished))


def reminded(team: Team, users: tuple[str, ...], at: float) -> Team:
    seats = tuple(replace(s, reminded_at=at) if s.user in users else s for s in team.seats)
    return replace(team, seats=seats)


# ------------------------------------------------------------------------------ the store side


@dataclass(frozen=True, kw_only=True)
class Change:
    """What a commit did: the team before and after (the same when nothing changed, None
    before: it is new), and whether this event had been applied already."""

    before: Team | None
    after: Team | None
    duplicate: bool = False

    @property
    def changed(self) -> bool:
        return not self.duplicate and self.after is not None and self.after != self.before

    @property
    def revealed_now(self) -> bool:
        """This change is the reveal (exactly one change ever is)."""
        was = self.before is not None and self.before.revealed
        return self.changed and self.after is not None and self.after.revealed and not was


class TeamBook:
    """Team documents in the session store: read, and change by compare-and-set with bounded
    retries (the document's "seen" events make a redelivered change apply once)."""

    def __init__(
        self,
        *,
        store: SessionStore,
        ttl_seconds: int,
        max_attempts: int = 32,
        timeout_seconds: float = 3.0,
    ) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds
        self.max_attempts = max_attempts
        self.timeout_seconds = timeout_seconds

    async def load(self, ref: TeamRef) -> Team | None:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                doc = await self.store.load_team(ref.key)
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc
        return _read(doc)

    async def change(
        self, ref: TeamRef, event_id: str, apply: Callable[[Team | None], Team | None]
    ) -> Change:
        """Apply `apply` to the stored team (None: none yet) and commit; `apply` returning
        None or the team unchanged commits nothing."""
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await self._change(ref, event_key(event_id), apply)
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc

    async def _change(
        self, ref: TeamRef, event: str, apply: Callable[[Team | None], Team | None]
    ) -> Change:
        doc = await self.store.load_team(ref.key)
        for attempt in range(self.max_attempts):
            team = _read(doc)
            if team is not None and event in team.seen:
                return Change(before=team, after=team, duplicate=True)
            new = apply(team)
            if new is None or new == team:
                return Change(before=team, after=team)
            expected = team.version if team is not None else 0
            seen = (*(team.seen if team else ()), event)[-SEEN_KEPT:]
            new = replace(new, version=expected + 1, seen=seen)
            outcome = await self.store.commit_team(
                ref.key,
                expected_version=expected,
                document=new.to_document(),
                event_id=event,
                ttl_seconds=self.ttl_seconds,
            )
            if outcome.status is Commit.APPLIED:
                return Change(before=team, after=new)
            if outcome.status is Commit.DUPLICATE:
                return Change(before=team, after=team, duplicate=True)
            doc = outcome.current
            if attempt:
                await asyncio.sleep(0.002 * attempt)
        raise StoreConflict(f"team: gave up after {self.max_attempts} conflicting attempts")


def _read(doc: Mapping[str, Any] | None) -> Team | None:
    if doc is None or "_unreadable" in doc:
        return None
    try:
        return Team.from_document(doc)
    except ValueError:
        return None
