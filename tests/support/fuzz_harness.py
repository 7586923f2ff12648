"""What the Slack and Teams fuzz tests run examples with and check them by: an event loop on a
thread of its own for synchronous hypothesis tests, the ERROR records logged meanwhile, and an
audit of every session document written (the strategies are in fuzz_strategies.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from redis import asyncio as aioredis

from dialogs.flow import Flow
from dialogs.session import Session
from dialogs.stores.base import KEY_PREFIX

T = TypeVar("T")


# -- running coroutines from a synchronous hypothesis test --------------------------------------


class LoopThread:
    """An event loop on a thread of its own; `run` waits for one coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Awaitable[T], timeout: float = 60.0) -> T:
        async def wrapped() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout)

    def close(self) -> None:
        self.run(self.loop.shutdown_default_executor())  # botbuilder's HTTP calls run there
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


# -- errors logged while a request was handled --------------------------------------------------


class ErrorRecords(logging.Handler):
    """Every ERROR (or worse) record, from any logger, while installed on the root logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._saved_level = logging.WARNING

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def install(self) -> ErrorRecords:
        root = logging.getLogger()
        self._saved_level = root.level
        if root.level > logging.ERROR or root.level == logging.NOTSET:
            root.setLevel(logging.WARNING)
        root.addHandler(self)
        return self

    def remove(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self._saved_level)

    def describe(self) -> list[str]:
        out = []
        for record in self.records:
            line = f"{record.name}: {record.getMessage()[:300]}"
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                line += f" [{type(exc).__name__}: {str(exc)[:200]}]"
            out.append(line)
        return out


# -- sessions -----------------------------------------------------------------------------------


async def session_keys(redis: aioredis.Redis) -> set[str]:
    return {str(k) async for k in redis.scan_iter(match=f"{KEY_PREFIX}:s:*", count=1000)}


class SessionAudit:
    """Checks every session document written since `start`, each time `problems` is called.

    Documents of people an example made up for itself (`retire`) cannot change afterwards, so
    each is checked once; everything else (ids the fuzz can repeat) is checked every time.
    """

    def __init__(self, redis: aioredis.Redis, flow: Flow) -> None:
        self.redis = redis
        self.flow = flow
        self.done: set[str] = set()
        self._retired: set[str] = set()

    async def start(self) -> SessionAudit:
        self.done = await session_keys(self.redis)  # not ours: written before the fuzz
        return self

    def retire(self, users: list[str]) -> None:
        self._retired.update(_key_part(u) for u in users)

    async def problems(self) -> list[str]:
        names = sorted((await session_keys(self.redis)) - self.done)
        problems: list[str] = []
        for start in range(0, len(names), 200):
            chunk = names[start : start + 200]
            for name, raw in zip(chunk, await self.redis.mget(chunk), strict=True):
                if raw is not None:
                    problems.extend(f"{name}: {p}" for p in document_problems(raw, self.flow))
        self.done.update(n for n in names if n.rsplit(":", 1)[-1] in self._retired)
        return problems


def _key_part(value: str) -> str:
    """As dialogs.stores.base escapes one part of a key."""
    return value.replace("%", "%25").replace(":", "%3A").replace("{", "%7B").replace("}", "%7D")


def document_problems(raw: str | bytes, flow: Flow) -> Iterator[str]:
    try:
        doc = json.loads(raw)
        session = Session.from_document(doc)
    except (ValueError, KeyError, TypeError) as exc:
        yield f"does not load: {type(exc).__name__}: {exc}"
        return
    if session.flow != flow.id:
        yield f"flow {session.flow!r} is not {flow.id!r}"
    for qid, value in session.answers.items():
        question = flow.question(qid)
        if question is None:
            yield f"answer to unknown question {qid!r}"
        elif question.input == "number":
            if not value.isdigit():
                yield f"{qid}: {value!r} is not a number"
        elif question.option(value) is None:
            yield f"{qid}: {value!r} is not an option id"
    if session.current is not None and flow.question(session.current) is None:
        yield f"current question {session.current!r} is unknown"
    for qid in (*session.skipped, *session.history):
        if flow.question(qid) is None:
            yield f"unknown question {qid!r} in skipped/history"


async def eventually(check: Callable[[], bool], within: float = 10.0) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


def clip(value: Any, size: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= size else text[:size] + f"...(+{len(text) - size})"
