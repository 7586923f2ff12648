"""What the benchmarks share: options, the Redis they run on, simulated users' inboxes, timings.

The side-by-side passes of the in-process benchmarks live in bench/duel.py, their cProfile
reports in bench/profiling.py; Redis round-trip counting in bench/redis_counting.py; the
server processes of the Slack benchmark in bench/processes.py.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Generic, TypeVar

from aiohttp import web

from bench.redis_counting import counting_store, round_trips
from dialogs.stores.redis_store import RedisStore
from tests.support.answers import FULL_ANSWERS
from tests.support.redis_server import RedisServer

__all__ = ["round_trips"]  # re-exported: bench_scale and the duel read it from here

# The assessment the tests give (its number question is typed: it has no answer buttons);
# an option missing from a question's buttons falls back to its first button.
ANSWERS: Final = FULL_ANSWERS
TYPED_ANSWER: Final = "2B"  # the number question (monthly_tokens) has no answer buttons
TURN_TIMEOUT_SECONDS: Final = 30.0
WARMUP_USERS: Final = 4
SIDES: Final = ("bare", "advisor")

Item = TypeVar("Item")
Sent = TypeVar("Sent")


class BenchError(RuntimeError):
    """A turn went wrong (an error message, a refused request, a timeout): the numbers would lie."""


# ---------------------------------------------------------------------------- options and serving


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@dataclass(frozen=True)
class BenchRedis:
    """The Redis a benchmark runs on: its URL, a label for the output, and the pid of the
    redis-server when the benchmark started it (None for REDIS_URL)."""

    url: str
    label: str
    pid: int | None


@contextmanager
def redis_server(*, appendonly: bool = True) -> Iterator[BenchRedis]:
    """REDIS_URL when set, else a private redis-server on a free port (never the shared 6379)."""
    given = os.environ.get("REDIS_URL", "").strip()
    if given:
        yield BenchRedis(
            given, "REDIS_URL (if shared, other clients' commands are counted too)", None
        )
        return
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as directory:
        server = RedisServer(directory=Path(directory), appendonly=appendonly).start()
        try:
            persistence = "append-only, fsync always" if appendonly else "no persistence"
            label = f"private redis-server on 127.0.0.1:{server.port} ({persistence})"
            assert server.process is not None
            yield BenchRedis(server.url, label, server.process.pid)
        finally:
            server.stop()


@contextmanager
def redis_url(*, appendonly: bool = True) -> Iterator[tuple[str, str]]:
    """`redis_server` as (url, label)."""
    with redis_server(appendonly=appendonly) as redis:
        yield redis.url, redis.label


def bench_store(url: str, *, timeout_seconds: float) -> RedisStore:
    """The production store for `url`; on a single server its client counts its round trips
    (bench/redis_counting.py), otherwise it is the production client itself."""
    return counting_store(url, timeout_seconds=timeout_seconds) or RedisStore.from_url(
        url, timeout_seconds=timeout_seconds
    )


def side_by_side_parser(
    *,
    prog: str,
    description: str,
    users: int,
    rounds: int = 2,
    concurrency: int = 10,
    profile_help: str,
) -> argparse.ArgumentParser:
    """The options of a benchmark that measures the advisor against a bare app (a parser, so
    a benchmark can add its own)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--users", type=positive, default=users, help=f"assessments per pass ({users})"
    )
    parser.add_argument(
        "--concurrency",
        type=positive,
        default=concurrency,
        help=f"users in flight at once ({concurrency})",
    )
    parser.add_argument(
        "--rounds",
        type=positive,
        default=rounds,
        help=f"measured passes of each side, alternated ({rounds})",
    )
    parser.add_argument("--profile", action="store_true", help=profile_help)
    return parser


async def serve(web_app: web.Application, path: str) -> tuple[web.AppRunner, str]:
    """The application behind aiohttp on a free loopback port; returns its runner and the URL
    of `path` on it."""
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}{path}"


# ---------------------------------------------------------------------------- simulated users


@dataclass(frozen=True)
class Seen(Generic[Item]):
    """One turn as a simulated user saw it: when the next question (or summary) was posted,
    when the turn's last call arrived (that post or the update of the answered message), and
    the post."""

    posted: float
    done: float
    post: Item


@dataclass
class Inbox(Generic[Item]):
    """What one simulated user's conversation received, each item with its arrival time.

    A turn is the update of the message being answered (when there is one) and the post of the
    next question or of the summary; subclasses say which items are which, and which are errors.
    """

    received: list[tuple[float, Item]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    cursor: int = 0

    def add(self, arrived: float, item: Item) -> None:
        self.received.append((arrived, item))
        self.changed.set()

    async def seen(self, updated: str | None) -> Seen[Item]:
        """Wait for one turn's items: the update of `updated` (when given) and the next question
        or summary post."""
        try:
            async with asyncio.timeout(TURN_TIMEOUT_SECONDS):
                while (found := self._scan(updated)) is None:
                    self.changed.clear()  # no await since the scan: no wake-up is lost
                    await self.changed.wait()
                return found
        except TimeoutError:
            seen = [self.glimpse(item) for _, item in self.received]
            raise BenchError(f"turn did not finish in {TURN_TIMEOUT_SECONDS}s: {seen}") from None

    async def turn(self, updated: str | None) -> tuple[float, Item]:
        """`seen`, as (when the turn's last call arrived, the post)."""
        found = await self.seen(updated)
        return found.done, found.post

    def _scan(self, updated: str | None) -> Seen[Item] | None:
        update_at: float | None = None if updated else 0.0
        update_index = post_index = -1
        post: tuple[float, Item] | None = None
        for index in range(self.cursor, len(self.received)):
            arrived, item = self.received[index]
            self.check(item)
            if update_at is None and self.is_update(item, updated):
                update_at, update_index = arrived, index
            elif post is None and self.is_post(item):
                post, post_index = (arrived, item), index
        if update_at is None or post is None:
            return None
        self.cursor = max(update_index, post_index) + 1
        return Seen(posted=post[0], done=max(update_at, post[0]), post=post[1])

    def check(self, item: Item) -> None:
        """Raise BenchError when the item shows the turn went wrong."""

    def is_update(self, item: Item, updated: str | None) -> bool:
        raise NotImplementedError

    def is_post(self, item: Item) -> bool:
        """A question or the summary."""
        raise NotImplementedError

    def glimpse(self, item: Item) -> object:
        """What a timeout's message shows of an item."""
        return item


@dataclass
class Assessment(Generic[Sent]):
    """One user's turns: each latency, and every question and answered message seen.

    `latencies` run to the turn's last call (the update or the post, whichever came later);
    `post_latencies` to the post of the next question or summary."""

    latencies: list[float] = field(default_factory=list)
    post_latencies: list[float] = field(default_factory=list)
    posts: list[Sent] = field(default_factory=list)
    updates: list[Sent] = field(default_factory=list)


# ---------------------------------------------------------------------------- timings


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True, kw_only=True)
class Timing:
    """Turns taken: how long they took together and each turn's latency."""

    turns: int
    seconds: float
    latencies: tuple[float, ...]

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.seconds if self.seconds > 0 else math.inf

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000


def ratio(a: float, b: float, *, suffix: str = "") -> str:
    return f"{a / b:.2f}{suffix}" if b > 0 else "n/a"
