"""Load, step, commit: the one path every adapter's turn takes through the engine.

The commit is a compare-and-set on the session version that records the event id; a turn that
loses a race reloads and steps again, a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import replace
from typing import Any

from dialogs import presenter, recovery, screen
from dialogs.advisor_config import AdvisorConfig, TurnObserver
from dialogs.engine import EngineConfig, step
from dialogs.errors import StoreConflict, StoreUnavailable
from dialogs.export import export_notices
from dialogs.flow import Flow
from dialogs.intake_reader import PreRead, PreReader
from dialogs.replies import Ask, Export, Forget, Notice, Reply, Summary, TurnResult
from dialogs.screen import Screen
from dialogs.session import Session, State, event_key
from dialogs.session_cache import SessionCache
from dialogs.stores.base import Commit, SessionStore
from dialogs.turn import SessionKey, Turn
from dialogs.turn_queue import TurnQueues

# The runner's settings and observer live in dialogs.advisor_config; importers find them here too.
__all__ = ["Advisor", "AdvisorConfig", "TurnObserver"]

log = logging.getLogger(__name__)


# People whose question this process posted (or failed to post) since their last commit here:
# at most this many are remembered; the rest post their question again on their next turn.
SHOWN_KEPT = 10_000
# Sessions with turns queued in this process at once, at most; a turn of one more session
# goes unqueued (the compare-and-set and its bounded retries still keep it correct).
QUEUES_KEPT = 10_000


class Advisor:
    """The engine bound to a flow and a store: `await advisor.handle(turn)` gives the replies."""

    def __init__(
        self,
        *,
        flow: Flow,
        store: SessionStore,
        engine: EngineConfig,
        runner: AdvisorConfig | None = None,
        observer: TurnObserver | None = None,
        pre_reader: PreReader | None = None,
    ) -> None:
        self.flow = flow
        self.pre_reader = pre_reader  # the intake's optional model (issue 16)
        self.store = store
        self.engine = engine
        self.runner = runner or AdvisorConfig()
        self.observer = observer
        self._gate = asyncio.Semaphore(self.runner.max_concurrent_turns)
        # key -> the question this process posted for it (with its message id), or failed to
        # post (message id None), since its last commit here; carried into the next commit.
        self._shown: dict[SessionKey, tuple[str, str | None]] = {}
        self._sessions = SessionCache(
            capacity=self.runner.cached_sessions,
            max_age_seconds=self.runner.cached_session_seconds,
        )
        self._turns = TurnQueues(
            capacity=QUEUES_KEPT, timeout_seconds=self.runner.queue_timeout_seconds
        )
        self._queues = self._turns.queues
        self._unsettled = recovery.Ledger()

    async def handle(self, turn: Turn) -> TurnResult:
        """Raise StoreUnavailable within the turn timeout when the store does not answer."""
        started = time.perf_counter()
        result: TurnResult | None = None
        error: BaseException | None = None
        try:
            async with self._turns.queued(turn.key):
                # A description awaited is read by the model first, within its own deadline.
                reading = await self._pre_read(turn)
                async with asyncio.timeout(self.runner.turn_timeout_seconds), self._gate:
                    result = await self._handle(turn, reading)
                    return result
        except TimeoutError as exc:
            error = StoreUnavailable("the session store did not answer in time")
            raise error from exc
        except BaseException as exc:
            error = exc
            raise
        finally:
            if self.observer is not None:
                self.observer.turn_done(turn, result, error, time.perf_counter() - started)

    async def _pre_read(self, turn: Turn) -> PreRead | None:
        if self.pre_reader is None or not self.pre_reader.candidate(turn):
            return None
        return await self.pre_reader.read(turn, await self.peek(turn.key))

    async def _handle(self, turn: Turn, reading: PreRead | None) -> TurnResult:
        """One read (none when this process holds the session) and one commit, which also
        claims the screen for a new question; a conflict's answer carries the stored document,
        so losing a race costs one more commit, not a read and a commit."""
        cached = self._sessions.get(turn.key)
        session: Session | None
        if cached is not None:
            (session, since), expected, notes = cached, cached[0].version, list[Reply]()
        else:
            doc = await self.store.load(turn.key)
            (session, expected, notes), since = self._read(doc), recovery.nonce_of(doc)
        # A commit of this person's that timed out here may have landed since (see recovery).
        if (landed := recovery.settled(self._unsettled.pop(turn.key), nonce=since)) is not None:
            if landed.said == recovery.said(turn) and landed.event != event_key(turn.event_id):
                return await self._landed(turn, landed)
            notes = [*notes, Notice(code=recovery.SETTLED_CODE, text=recovery.SAVED_LATE)]
        for attempt in range(self.runner.max_attempts):
            if session is not None and event_key(turn.event_id) in session.seen:
                return self._duplicate(turn.key, session)
            if session is None and not notes and (gone := recovery.lost(turn)) is not None:
                return gone
            before = self._on_screen(turn.key, session)
            new, replies = step(self.flow, session, turn, self.engine, reading)
            replies = [*notes, *replies]
            ask = next((r for r in reversed(replies) if isinstance(r, Ask)), None)
            shown = self._shown.get(turn.key)
            failed = ask is not None and shown == (ask.stamp, None)
            claimed = None
            if ask is not None:
                claimed = screen.claim(before, ask, now=turn.at.timestamp(), failed=failed)
            new = replace(new, version=expected + 1, screen=claimed or before)
            # A nonce per attempt: a client library re-sending this very commit after a lost
            # reply matches it byte for byte, while a concurrent delivery of the same event
            # (whose document is otherwise identical, step being pure) does not.
            nonce = os.urandom(6).hex()
            try:
                outcome = await self.store.commit(
                    turn.key,
                    expected_version=expected,
                    document={**new.to_document(), "commit": nonce},
                    event_id=event_key(turn.event_id),
                    ttl_seconds=self.engine.session_ttl_seconds + 86400,
                    expected_commit=since,
                )
            except BaseException:
                # Outcome unknown: if it applied, its claimed question was never posted.
                self._sessions.drop(turn.key)
                if claimed is not None:
                    self.not_shown(turn.key, claimed.stamp)
                shows = claimed.stamp if claimed is not None else None
                self._unsettled.put(
                    turn.key,
                    recovery.Unsettled(
                        event=event_key(turn.event_id),
                        nonce=nonce,
                        said=recovery.said(turn),
                        before=session,
                        after=new,
                        replies=tuple(replies),
                        on_screen=before,
                        shows=shows,
                    ),
                )
                raise
            if outcome.status is Commit.APPLIED:
                # A recorded message id is in the document now; a failed post is kept in mind
                # until a turn claims the question again.
                carried = shown is not None and (shown[1] is not None or claimed is not None)
                if carried and self._shown.get(turn.key) == shown:
                    self._shown.pop(turn.key, None)
                if outcome.recorded is not None and before is not None:
                    # Another process recorded the question's message after our copy was read.
                    stamp, message_id = outcome.recorded
                    before = before.recorded(replace(before, stamp=stamp, message_id=message_id))
                    new = replace(new, screen=claimed or before)
                self._sessions.put(turn.key, new, nonce)
                shows = claimed.stamp if claimed is not None else None
                return await self._applied(turn, session, new, replies, before=before, shows=shows)
            self._sessions.drop(turn.key)
            if outcome.status is Commit.DUPLICATE:
                if self.posted(turn.key) is None and turn.key in self._shown:
                    # A question of ours may be stranded: see where the session really is.
                    session = self._read(await self.store.load(turn.key))[0]
                return self._duplicate(turn.key, session)
            current = outcome.current
            (session, expected, notes), since = self._read(current), recovery.nonce_of(current)
            if attempt:
                await asyncio.sleep(0.002 * attempt)
        raise StoreConflict(f"gave up after {self.runner.max_attempts} conflicting attempts")

    async def _landed(self, turn: Turn, landed: recovery.Unsettled) -> TurnResult:
        """The person sent again what a commit of unknown outcome applied after all: it is not
        applied twice; what that turn would have shown is shown now."""
        self._sessions.put(turn.key, landed.after, landed.nonce)
        self._posting(turn.key, landed.shows)
        notice = Notice(code=recovery.SETTLED_CODE, text=recovery.SAVED_ALREADY)
        replies = [notice, *landed.replies]
        return await self._applied(
            turn, landed.before, landed.after, replies, before=landed.on_screen, shows=landed.shows
        )

    def _on_screen(self, key: SessionKey, session: Session | None) -> Screen | None:
        """The question on screen: as the session records it, with the message id this
        process learnt since its last commit."""
        if session is None or session.screen is None:
            return None
        stamp, message_id = self._shown.get(key, ("", None))
        if message_id is None:
            return session.screen
        return session.screen.recorded(
            Screen(stamp=stamp, message_id=message_id, prompt=session.screen.prompt)
        )

    def shown(self, key: SessionKey, stamp: str, message_id: str) -> None:
        """The adapter posted question `stamp` as message `message_id` (its next commit here
        records it)."""
        self._remember(key, (stamp, message_id))

    async def record(self, key: SessionKey, stamp: str, message_id: str) -> None:
        """Write the message id of question `stamp` into the stored session now, for a question
        whose answer is typed: the message event that answers it carries no message id, and
        may reach another process. A store that does not answer only costs the in-place update
        of that message (the id is still carried by this process's next commit)."""
        try:
            async with asyncio.timeout(self.runner.turn_timeout_seconds):
                await self.store.record(key, stamp=stamp, message_id=message_id)
        except (TimeoutError, StoreUnavailable) as exc:
            log.warning("could not record the message of question %s: %s", stamp, exc)

    async def once(self, key: SessionKey, name: str, *, ttl_seconds: int) -> bool:
        """Whether this is the first claim of `name` for `key` (see `SessionStore.claim`):
        an action a platform replays (a slash command's trigger) is carried out once."""
        try:
            async with asyncio.timeout(self.runner.turn_timeout_seconds):
                return await self.store.claim(key, name, ttl_seconds=ttl_seconds)
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc

    def posted(self, key: SessionKey) -> str | None:
        """The stamp of the question this process last posted for `key` since its last commit
        here (None: none, or its post failed)."""
        stamp, message_id = self._shown.get(key, ("", None))
        return stamp if message_id is not None else None

    def not_shown(self, key: SessionKey, stamp: str) -> None:
        """The adapter could not post question `stamp`: the next turn here shows it again."""
        self._remember(key, (stamp, None))

    def _posting(self, key: SessionKey, stamp: str | None) -> None:
        """A turn shows `stamp` again without a commit: not "failed" now, or the next would too."""
        if stamp is not None and self._shown.get(key) == (stamp, None):
            self._shown.pop(key)

    def _remember(self, key: SessionKey, value: tuple[str, str | None]) -> None:
        self._shown.pop(key, None)
        self._shown[key] = value
        while len(self._shown) > SHOWN_KEPT:
            self._shown.pop(next(iter(self._shown)))

    async def _applied(
        self,
        turn: Turn,
        session: Session | None,
        new: Session,
        replies: list[Reply],
        *,
        before: Screen | None,
        shows: str | None,
    ) -> TurnResult:
        replies = await self._effects(turn, replies)
        previous = session.state if session is not None else State.NEW
        summary = next((r for r in replies if isinstance(r, Summary)), None)
        completed = new.state == State.DONE and previous != State.DONE and summary is not None
        recommendation = None
        if completed and summary is not None:
            rec = summary.assessment["recommendation"]
            recommendation = (str(rec["depth"]), str(rec["hosting"]))
        return TurnResult(
            replies=tuple(replies),
            session_id=new.id,
            state=new.state,
            before=before,
            shows=shows,
            started=any(r.kind == "intro" for r in replies),
            completed=completed,
            question=new.current,
            recommendation=recommendation,
        )

    async def forget(self, *, platform: str, workspace: str, user: str | None = None) -> int:
        """Delete one person's sessions in a workspace, or (no user) the whole workspace's, in
        the store and in this process's cache; how many sessions were deleted."""
        if user is None:
            self._sessions.drop_workspace(platform=platform, workspace=workspace)
            return await self.store.forget_workspace(platform=platform, workspace=workspace)
        self._sessions.drop_person(platform=platform, workspace=workspace, user=user)
        return await self.store.forget(platform=platform, workspace=workspace, user=user)

    async def peek(self, key: SessionKey) -> Session | None:
        """The stored session, if any and readable; no turn is taken."""
        try:
            async with asyncio.timeout(self.runner.turn_timeout_seconds):
                doc = await self.store.load(key)
        except TimeoutError as exc:
            raise StoreUnavailable("the session store did not answer in time") from exc
        session, _, _ = self._read(doc)
        return session

    def summary(self, session: Session) -> Summary | None:
        """The summary card of a finished session (None while questions remain)."""
        if session.state != State.DONE or session.flow != self.flow.id:
            return None
        if session.flow_version != self.flow.version:
            return None
        return presenter.summary(self.flow, session, self.engine.costs, updated=False)

    async def _effects(self, turn: Turn, replies: list[Reply]) -> list[Reply]:
        """Carry out what a pure step can only ask for: deleting or exporting the person's
        sessions."""
        out: list[Reply] = []
        for reply in replies:
            if isinstance(reply, Forget):
                key = turn.key
                count = await self.forget(
                    platform=key.platform, workspace=key.workspace, user=key.user
                )
                text = self.flow.message("forgotten", count=count)
                out.append(Notice(code="forgotten", text=text))
            elif isinstance(reply, Export):
                key = turn.key
                docs = await self.store.sessions_of(
                    platform=key.platform, workspace=key.workspace, user=key.user
                )
                out.extend(export_notices(self.flow, docs))
            else:
                out.append(reply)
        return out

    def _read(self, doc: dict[str, Any] | None) -> tuple[Session | None, int, list[Reply]]:
        """Parse a stored document; an unreadable one is replaced, with a notice, not a crash."""
        if doc is None:
            return None, 0, []
        version = doc.get("version", 0)
        expected = version if isinstance(version, int) and not isinstance(version, bool) else 0
        try:
            return Session.from_document(doc), expected, []
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("unreadable session document replaced: %s", exc)
            text = self.flow.message("unreadable_session")
            return None, expected, [Notice(code="unreadable_session", text=text, level="warning")]

    def _duplicate(self, key: SessionKey, session: Session | None) -> TurnResult:
        """A redelivered event: it was applied, and shown, already, so nothing is shown again;
        unless this process knows the question it claimed was never posted (the commit's
        reply or the post was lost): then the question is shown now."""
        stamp, message_id = self._shown.get(key, ("", ""))
        screen = session.screen if session is not None else None
        if (
            session is not None
            and session.state == State.ASKING
            and message_id is None
            and screen is not None
            and screen.stamp == stamp == presenter.stamp(session)
            and not screen.message_id
        ):
            ask = presenter.ask(self.flow, session)
            self._posting(key, ask.stamp)
            return TurnResult(
                replies=(ask,),
                duplicate=True,
                session_id=session.id,
                state=session.state,
                before=screen,
                shows=ask.stamp,
            )
        return TurnResult(
            replies=(),
            duplicate=True,
            session_id=session.id if session else "",
            state=session.state if session else "",
        )
