"""Terminal adapter: lines in, turns to the engine, replies rendered from templates/console/."""

from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.adapter import Boundary, ErrorTexts
from bot.render import Renderer
from dialogs.advisor import Advisor
from dialogs.replies import Reply, TurnResult
from dialogs.turn import SessionKey, Turn

ERRORS = ErrorTexts.marked(unavailable="!", failed="!")
BYE = "Bye. {kept}"


ReadLine = Callable[[], Awaitable[str | None]]
Write = Callable[[str], None]


async def read_stdin_line() -> str | None:
    """Read one line without blocking the event loop; None at end of input."""
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return None if line == "" else line.rstrip("\r\n")


def console_key(session: str, user: str | None = None) -> SessionKey:
    return SessionKey(
        platform="console",
        workspace="local",
        conversation=session,
        thread="",
        user=user or getpass.getuser(),
    )


class ConsoleChat:
    """One terminal conversation. Its `turn` method is the adapter's single error boundary."""

    def __init__(
        self,
        *,
        advisor: Advisor,
        renderer: Renderer,
        key: SessionKey,
        read_line: ReadLine,
        write: Write,
        persistent: bool,
    ) -> None:
        self.advisor = advisor
        self.renderer = renderer
        self.key = key
        self.read_line = read_line
        self.write = write
        self.persistent = persistent

    def show(self, replies: tuple[Reply, ...]) -> None:
        for reply in replies:
            if reply.kind in ("ask", "summary"):
                self.write("")
            self.write(self.renderer.render(f"{reply.kind}.txt.j2", r=reply))

    async def turn(self, text: str | None) -> TurnResult | None:
        """One turn, shown; None when it failed (the person was told why)."""
        event = Turn(key=self.key, event_id=uuid.uuid4().hex, at=datetime.now(UTC), text=text)
        async with Boundary(
            platform="console", where=lambda: self.key.conversation, show=self._say, texts=ERRORS
        ):
            result = await self.advisor.handle(event)
            self.show(result.replies)
            return result
        return None

    async def _say(self, text: str) -> None:
        self.write(text)

    async def run(self) -> int:
        await self.turn(None)
        while True:
            self.write("")
            line = await self.read_line()
            if line is None:
                name = self.key.conversation
                kept = (
                    f"Your answers are kept; run `llm-advisor chat --session {name}` to continue."
                    if self.persistent
                    else "(Answers were kept in memory only; set REDIS_URL to keep them.)"
                )
                self.write(BYE.format(kept=kept))
                return 0
            result = await self.turn(line)
            if result is not None and result.state == "cancelled":
                return 0
