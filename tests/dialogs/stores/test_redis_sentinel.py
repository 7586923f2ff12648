"""Redis as users run it: a Sentinel failover mid-assessment (the Cluster is in
test_redis_topologies.py, the REDIS_URL forms in test_redis_url.py).

The primary hangs in the middle of several people's assessments and Sentinel promotes a
replica. People see at most "briefly unavailable, your progress is kept" and then carry on;
with the default wait_replicas=1 no acknowledged answer is lost and no session goes back a
version (the figure of lost turns is printed; it is also measured, and non-zero, with
asynchronous replication, wait_replicas=0). kill -9 of the primary and a restart from its
append-only file lose nothing either.

The topologies run the real redis-server on free loopback ports (tests/support/redis_topologies).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from dialogs.advisor import Advisor
from dialogs.engine import EngineConfig
from dialogs.errors import StoreUnavailable
from dialogs.flow import Flow
from dialogs.replies import Answered, Ask
from dialogs.session import Session
from dialogs.stores.base import Commit, CommitOutcome
from dialogs.stores.redis_store import RedisStore
from dialogs.turn import SessionKey, Turn
from tests.conftest import T0, make_advisor
from tests.dialogs.stores.topology_turns import new_key, say, say_until_acknowledged

if TYPE_CHECKING:  # the fixtures come from the plugin; importing it here first would stop
    # pytest from rewriting its asserts
    from tests.support.redis_topologies import LocalSentinel

pytest_plugins = ["tests.support.redis_topologies"]


# ------------------------------------------------------------------------------ Sentinel


@dataclass
class Watched:
    """The real RedisStore, noting the session versions each turn read and wrote (by session).

    Only a window for the test: the runner and the store run unchanged underneath.
    """

    inner: RedisStore
    loaded: dict[SessionKey, list[int]] = field(default_factory=lambda: defaultdict(list))
    applied: dict[SessionKey, list[int]] = field(default_factory=lambda: defaultdict(list))

    async def load(self, key: SessionKey) -> dict[str, Any] | None:
        doc = await self.inner.load(key)
        self.loaded[key].append(int(doc.get("version", 0)) if doc else 0)
        return doc

    async def commit(self, key: SessionKey, *, expected_version: int, **rest: Any) -> CommitOutcome:
        outcome = await self.inner.commit(key, expected_version=expected_version, **rest)
        if outcome.status is Commit.APPLIED:
            self.applied[key].append(expected_version + 1)
        elif outcome.status is Commit.CONFLICT:  # the turn steps again from the stored document
            current = outcome.current
            self.loaded[key].append(int(current.get("version", 0)) if current else 0)
        return outcome

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Person:
    """Someone answering question after question; a new assessment after each summary.

    `acked` is the version their session had after their last acknowledged turn: the fencing
    token. A later turn that reads an older version means acknowledged turns were lost.
    """

    name: str
    advisor: Advisor
    watched: Watched
    workspace: str
    key: SessionKey = field(init=False)
    pending: Turn | None = None
    acked: int = 0
    told: dict[SessionKey, list[str]] = field(default_factory=lambda: defaultdict(list))
    turns: int = 0
    unavailable: int = 0
    unacknowledged: int = 0  # writes no replica confirmed (e.g. on a primary Sentinel replaced)
    lost: int = 0
    down_since: float | None = None
    longest_outage: float = 0.0
    showing: str | None = None  # the question in front of the person

    def __post_init__(self) -> None:
        self.start_assessment()

    def start_assessment(self) -> None:
        self.key = new_key(self.workspace, self.name)
        self.acked = 0
        self.showing = None
        self.pending = Turn(key=self.key, event_id=uuid.uuid4().hex, at=T0, text=None)

    async def take_turn(self) -> bool:
        """One turn; the one that failed is sent again next time (a retry or a second click)."""
        retried = self.pending is not None and self.pending.text is not None
        turn = self.pending or Turn(key=self.key, event_id=uuid.uuid4().hex, at=T0, text="1")
        reads = len(self.watched.loaded[self.key])
        writes = len(self.watched.applied[self.key])
        try:
            result = await self.advisor.handle(turn)
        except StoreUnavailable as exc:
            self.pending = turn
            self.unavailable += 1
            self.unacknowledged += "not acknowledged" in str(exc)
            self.down_since = self.down_since or time.monotonic()
            self.check_versions(reads)
            return False
        self.check_versions(reads)
        if self.down_since is not None:
            self.longest_outage = max(self.longest_outage, time.monotonic() - self.down_since)
            self.down_since = None
        self.pending = None
        self.turns += 1
        written = self.watched.applied[self.key][writes:]
        if written:
            self.acked = written[-1]
        answered = [r.question for r in result.replies if isinstance(r, Answered)]
        asked = [r.question for r in result.replies if isinstance(r, Ask)]
        if retried and not answered and self.showing is not None and (result.duplicate or asked):
            # The answer sent again had applied (the first reply was lost): the retry says
            # so, showing the next question if it never reached the person.
            answered = [self.showing]
        self.told[self.key] += answered
        self.showing = asked[-1] if asked else self.showing
        if result.state == "done":
            self.start_assessment()
        return True

    def check_versions(self, since: int) -> None:
        for version in self.watched.loaded[self.key][since:]:
            if version < self.acked:
                self.lost += self.acked - version
                self.acked = version


async def drive(person: Person, stop: asyncio.Event) -> None:
    """Turn after turn, about ten a second, until told to stop."""
    while not stop.is_set():
        await person.take_turn()
        await asyncio.sleep(0.1)


async def wait_for(check: Any, *, seconds: float, what: str) -> None:
    """Await `check()` (sync, run in a thread: it may talk to a server) until true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if await asyncio.to_thread(check):
                return
        except (OSError, ConnectionError, TimeoutError):
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def figures(people: list[Person]) -> str:
    return (
        f"{sum(p.turns for p in people)} turns acknowledged, "
        f"{sum(p.unavailable for p in people)} answered 'unavailable, progress kept' "
        f"(longest outage a person saw: {max(p.longest_outage for p in people):.1f} s; "
        f"writes no replica confirmed: {sum(p.unacknowledged for p in people)}), "
        f"lost acknowledged turns: {sum(p.lost for p in people)}"
    )


@pytest.mark.parametrize("wait_replicas", [1, 0], ids=["wait_replicas=1", "async-replication"])
async def test_sentinel_failover_in_the_middle_of_assessments(
    start_sentinel: Callable[[int], LocalSentinel],
    flow: Flow,
    engine_config: EngineConfig,
    capsys: pytest.CaptureFixture[str],
    wait_replicas: int,
) -> None:
    """Nine people, three app processes (three stores). Processes A and B carry six people
    through the outage; process C's three people are idle while it lasts, so C's pooled
    connections to the old primary stay open. The primary hangs (SIGSTOP) and Sentinel
    promotes a replica; then the old primary wakes up, still believing it is the primary, and
    C's people come back through those connections.

    With wait_replicas=1 (the default for Sentinel URLs) people see at most StoreUnavailable
    ("briefly unavailable, your progress is kept") and then carry on; the woken old primary
    cannot acknowledge anything (no replica follows it any more); no session ever reads a
    version older than its person was acknowledged (lost turns: 0), and each stored history is
    exactly the answers its person was told were recorded: none lost, none applied twice.

    With wait_replicas=0 (asynchronous replication) the same events lose the turns the old
    primary acknowledged before Sentinel demoted it: the versions show every one of them (this
    is how the fencing check above would see a loss), and the figure is printed.

    Two replicas: after the failover the new primary still has one to acknowledge writes."""
    topology = start_sentinel(2)
    url = f"{topology.url}?wait_replicas={wait_replicas}"
    stores = [RedisStore.from_url(url, timeout_seconds=0.3) for _ in range(3)]
    watched = [Watched(store) for store in stores]
    workspace = "W-" + uuid.uuid4().hex[:8]
    people = [
        Person(
            name=f"p{i}",
            advisor=make_advisor(flow, watched[i % 3], engine_config, turn_timeout_seconds=1.5),
            watched=watched[i % 3],
            workspace=workspace,
        )
        for i in range(9)
    ]
    busy, idle = [p for p in people if p.watched is not watched[2]], people[2::3]
    stop_busy, stop_idle = asyncio.Event(), asyncio.Event()
    drivers = [asyncio.create_task(drive(p, stop_busy)) for p in busy]
    idle_drivers = [asyncio.create_task(drive(p, stop_idle)) for p in idle]

    def progressed(group: list[Person], turns: int) -> Callable[[], bool]:
        before = {p.name: p.turns for p in group}
        return lambda: all(p.turns >= before[p.name] + turns for p in group)

    try:
        await wait_for(progressed(people, 3), seconds=10, what="people under way")
        await asyncio.gather(*(stores[2].ping() for _ in range(6)))  # C's pool: 6 connections
        stop_idle.set()
        await asyncio.wait_for(asyncio.gather(*idle_drivers), timeout=5)

        old = topology.primary_port()
        paused_at = time.monotonic()
        topology.node(old).pause()
        await wait_for(
            lambda: topology.primary_port() != old, seconds=20, what="Sentinel to promote a replica"
        )
        promoted = time.monotonic() - paused_at
        await wait_for(progressed(busy, 3), seconds=15, what="A and B's people to carry on")

        topology.node(old).resume()
        stop_idle.clear()
        idle_drivers = [asyncio.create_task(drive(p, stop_idle)) for p in idle]
        await wait_for(progressed(people, 3), seconds=15, what="everyone to carry on")
        if wait_replicas == 0:
            # Sentinel demotes the woken primary (after about 8 s); it then copies the new
            # primary, and what it acknowledged meanwhile is gone.
            await wait_for(
                lambda: topology.role(old) == ("slave", "up"),
                seconds=25,
                what="Sentinel to demote the old primary",
            )
            await wait_for(progressed(idle, 2), seconds=15, what="C's people after the demotion")
    finally:
        stop_busy.set()
        stop_idle.set()
        await asyncio.wait_for(asyncio.gather(*drivers, *idle_drivers), timeout=10)

    lost = sum(p.lost for p in people)
    with capsys.disabled():
        print(
            f"\n[sentinel failover, wait_replicas={wait_replicas}] promoted in {promoted:.1f} s; "
            f"{figures(people)} (of which by the people on the old primary's connections: "
            f"{sum(p.lost for p in idle)})"
        )
    try:
        if wait_replicas == 0:
            assert lost > 0, "the old primary acknowledged turns that the failover discarded"
            return
        assert lost == 0
        reader = RedisStore.from_url(topology.url, timeout_seconds=1.0)
        try:
            for person in people:
                for key, told in person.told.items():
                    doc = await reader.load(key)
                    assert doc is not None, (person.name, key)
                    assert list(Session.from_document(doc).history) == told, (person.name, key)
        finally:
            await reader.close()
    finally:
        for store in stores:
            await store.close()


async def test_sentinel_primary_kill_9_and_restart_lose_no_acknowledged_answer(
    start_sentinel: Callable[[int], LocalSentinel], flow: Flow, engine_config: EngineConfig
) -> None:
    """Append-only persistence on the Sentinel-managed primary: kill -9 right after answers
    were acknowledged, start it again on the same port and folder, and every answer is there
    (whether it came back before Sentinel reacted or a replica, which had acknowledged them
    too, took over), and the conversation goes on."""
    topology = start_sentinel(1)
    store = RedisStore.from_url(topology.url, timeout_seconds=1.0)
    try:
        advisor = make_advisor(flow, store, engine_config, turn_timeout_seconds=1.5)
        key = new_key("W-" + uuid.uuid4().hex[:8])
        await say_until_acknowledged(advisor, key, None)
        acknowledged: list[str] = []
        for _ in range(5):
            result = await say_until_acknowledged(advisor, key, "1")
            acknowledged += [r.question for r in result.replies if isinstance(r, Answered)]
        primary = topology.node(topology.primary_port())
        primary.kill()
        primary.start()

        fresh = RedisStore.from_url(topology.url, timeout_seconds=0.5)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    doc = await fresh.load(key)
                    break
                except StoreUnavailable:
                    assert time.monotonic() < deadline, "the primary did not come back"
                    await asyncio.sleep(0.1)
            assert doc is not None
            assert list(Session.from_document(doc).history) == acknowledged
        finally:
            await fresh.close()
        for _ in range(20):  # the first client reconnects through the sentinel
            try:
                result = await say(advisor, key, "1")
                break
            except StoreUnavailable:
                await asyncio.sleep(0.1)
        else:
            pytest.fail("the first client did not reconnect within 20 tries")
        assert [r for r in result.replies if isinstance(r, Answered)]
    finally:
        await store.close()
