"""Terminal adapter: lines in, turns to the engine, replies rendered from templates/console/."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.adapter import Boundary, ErrorTexts
from bot.chart import draw_chart
from bot.render import Renderer, wrap
from dialogs.advisor import Advisor
from dialogs.replies import Notice, Reply, Summary, TurnResult
from dialogs.turn import SessionKey, Turn

ERRORS = ErrorTexts.marked(unavailable="!", failed="!")
BYE = "Bye. {kept}"
# The shared "cancelled" text promises the answers are kept; without REDIS_URL they end with
# the process, which a stopped terminal chat is about to do.
STOPPED_IN_MEMORY = (
    "Stopped. Your answers were kept in memory only, so they end with this program; "
    "set REDIS_URL to keep them between runs."
)
MIN_WIDTH = 20

log = logging.getLogger(__name__)


ReadLine = Callable[[], Awaitable[str | None]]
Write = Callable[[str], None]
Width = Callable[[], int]


def terminal_width() -> int:
    """COLUMNS if set, else the terminal's width, else 80 (stdout is a file or a pipe)."""
    return max(shutil.get_terminal_size((80, 24)).columns, MIN_WIDTH)


async def read_stdin_line() -> str | None:
    """Read one line without blocking the event loop; None at end of input."""
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return None if line == "" else line.rstrip("\r\n")


def chart_folder(user: str) -> Path:
    """The person's own folder for charts in the temporary directory (made private on first
    use; OSError if something else, or someone else's, is there)."""
    folder = Path(tempfile.gettempdir()) / ("llm-advisor-" + re.sub(r"[^A-Za-z0-9_.-]", "_", user))
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise OSError(f"{folder} is not a folder of this user's")
    return folder


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
        width: Width = terminal_width,
    ) -> None:
        self.advisor = advisor
        self.renderer = renderer
        self.key = key
        self.read_line = read_line
        self.write = write
        self.persistent = persistent
        self.width = width

    def say(self, text: str, width: int | None = None) -> None:
        """Write text folded to the terminal's width (read afresh: terminals get resized)."""
        self.write(wrap(text, width or self.width()))

    def show(self, replies: tuple[Reply, ...]) -> None:
        width = self.width()
        for reply in replies:
            if reply.kind in ("ask", "summary"):
                self.write("")
            shown = self.truthful(reply)
            self.say(self.renderer.render(f"{shown.kind}.txt.j2", r=shown, width=width), width)

    def truthful(self, reply: Reply) -> Reply:
        """The reply, with the shared "answers are kept" promise corrected on a memory store."""
        if isinstance(reply, Notice) and reply.code == "cancelled" and not self.persistent:
            return replace(reply, text=STOPPED_IN_MEMORY)
        return reply

    async def turn(self, text: str | None) -> TurnResult | None:
        """One turn, shown; None when it failed (the person was told why)."""
        event = Turn(key=self.key, event_id=uuid.uuid4().hex, at=datetime.now(UTC), text=text)
        async with Boundary(
            platform="console", where=lambda: self.key.conversation, show=self._say, texts=ERRORS
        ):
            result = await self.advisor.handle(event)
            self.show(result.replies)
            await self.show_charts(result.replies)
            return result
        return None

    async def show_charts(self, replies: tuple[Reply, ...]) -> None:
        """After a summary, the path of its cost chart, a PNG drawn in a worker thread (a
        terminal shows no pictures), one per session name. Never fails the turn."""
        for reply in replies:
            if not isinstance(reply, Summary):
                continue
            chart = await draw_chart(self.advisor.engine.costs, reply.assessment.get("cost"))
            if chart is None:
                continue
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", self.key.conversation)[:64]
            try:
                path = chart_folder(self.key.user) / f"{name}-{chart.filename}"
                path.write_bytes(chart.png)
            except OSError as exc:
                log.warning("cost chart not written: %s", exc)
                continue
            self.say(self.renderer.render("chart.txt.j2", path=str(path), chart=chart))

    async def _say(self, text: str) -> None:
        self.say(text)

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
                self.say(BYE.format(kept=kept))
                return 0
            result = await self.turn(line)
            if result is not None and result.state == "cancelled":
                return 0
