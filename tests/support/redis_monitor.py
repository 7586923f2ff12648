"""What clients send to a Redis server, read with MONITOR (commands a Lua script runs are
marked `lua` by the server and kept apart)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Self

from redis import asyncio as aioredis


@dataclass(frozen=True)
class Seen:
    name: str  # e.g. "EVALSHA"
    text: str  # the whole command line as MONITOR shows it
    by_script: bool


@dataclass
class CommandLog:
    url: str
    seen: list[Seen] = field(default_factory=list)
    _client: aioredis.Redis | None = None
    _task: asyncio.Task[None] | None = None

    async def start(self) -> Self:
        self._client = aioredis.Redis.from_url(self.url, decode_responses=True)
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._listen(ready))
        await asyncio.wait_for(ready.wait(), 5)
        return self

    async def _listen(self, ready: asyncio.Event) -> None:
        assert self._client is not None
        async with self._client.monitor() as monitor:
            ready.set()
            async for info in monitor.listen():
                command = str(info["command"])
                name = command.split(" ", 1)[0].upper()
                self.seen.append(Seen(name, command, info["client_type"] == "lua"))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    def sent(self, containing: str) -> list[str]:
        """The names of the commands clients sent that mention `containing` (not a script's)."""
        return [s.name for s in self.seen if not s.by_script and containing in s.text]

    async def settle(self, containing: str, *, quiet: float = 0.2, within: float = 5.0) -> None:
        """Wait until no new command mentioning `containing` arrived for `quiet` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        count = -1
        while loop.time() < deadline:
            now = len(self.sent(containing))
            if now == count:
                return
            count = now
            await asyncio.sleep(quiet)
