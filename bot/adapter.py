"""What the Slack, Teams and console adapters share: where a session lives, the error texts,
and the one error boundary around a turn.

Each adapter only knows how to show a text; which text, and what gets logged, is decided here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from dialogs.errors import StoreUnavailable
from dialogs.turn import SessionKey

log = logging.getLogger(__name__)

UNAVAILABLE = (
    "The advisor is briefly unavailable (its session store did not answer). Your progress is "
    "kept; please try again in a minute."
)
FAILED = "Something went wrong on our side. Your progress is kept; please try again."
SLOW = (
    "The chat service is answering slowly right now. What you sent is saved; if the next "
    "question does not show up, type `status`."
)


class SlowPlatform(Exception):
    """A platform call timed out: it may or may not have been carried out (a question posted
    late is found, not posted again, by the next turn; see bot.delivery)."""


class Place(Protocol):
    """Where a session lives on a platform; each adapter's delivery module has its own."""

    @property
    def key(self) -> SessionKey: ...

    @property
    def in_thread(self) -> bool: ...


@dataclass(frozen=True, kw_only=True)
class ErrorTexts:
    """The error texts as one platform shows them (the wording stays the shared one)."""

    unavailable: str = UNAVAILABLE
    failed: str = FAILED
    slow: str = SLOW

    @classmethod
    def marked(cls, *, unavailable: str, failed: str, slow: str = SLOW) -> ErrorTexts:
        """The shared wording behind a platform's marks (an emoji, a "!"); `slow` may name
        the platform."""
        return cls(
            unavailable=f"{unavailable} {UNAVAILABLE}",
            failed=f"{failed} {FAILED}",
            slow=f"{unavailable} {slow}",
        )


TEXTS = ErrorTexts()


@dataclass(frozen=True, kw_only=True)
class ApiErrors:
    """A platform's API errors: known failures, logged in one line without a traceback."""

    types: tuple[type[Exception], ...]
    #: The HTTP status (if any) and the platform's short reason, for the log line.
    describe: Callable[[Exception], tuple[int | None, str]]
    #: Called with the status of each one that ends a turn (a metrics counter), if given.
    count: Callable[[int | None], None] | None = None


Show = Callable[[str], Awaitable[None]]


class Boundary:
    """`async with Boundary(...):` around a turn: a failure inside is logged in one line (with
    the traceback only when unexpected), then shown to the person with `show`, then swallowed.

    Afterwards `text` is what the person was told, or None when the turn went through.
    `where` names the conversation by pseudonym and is worked out only when something failed.
    """

    def __init__(
        self,
        *,
        platform: str,
        where: Callable[[], str],
        show: Show | None = None,
        api: ApiErrors | None = None,
        texts: ErrorTexts = TEXTS,
    ) -> None:
        self.platform = platform
        self.where = where
        self.show = show
        self.api = api
        self.texts = texts
        self.text: str | None = None

    async def __aenter__(self) -> Boundary:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> bool:
        if not isinstance(error, Exception):
            return False  # success, or a cancellation or interrupt that must go on up
        where = self.where()
        self.text = self.classify(error, where)
        if self.show is not None:
            try:
                await self.show(self.text)
            except Exception as exc:
                if self.api is not None and isinstance(exc, self.api.types):
                    status, reason = self.api.describe(exc)
                    log.error(
                        "%s: could not tell conversation %s about the failure: %s (%s)",
                        self.platform,
                        where,
                        status,
                        reason,
                    )
                else:
                    log.exception(
                        "%s: could not tell conversation %s about the failure",
                        self.platform,
                        where,
                    )
        return True

    def classify(self, error: Exception, where: str) -> str:
        """Log the failure once and pick the text that explains it."""
        if isinstance(error, StoreUnavailable):
            log.warning("%s: store unavailable in conversation %s: %s", self.platform, where, error)
            return self.texts.unavailable
        if isinstance(error, SlowPlatform):
            log.warning("%s: %s in conversation %s", self.platform, error, where)
            return self.texts.slow
        if self.api is not None and isinstance(error, self.api.types):
            status, reason = self.api.describe(error)
            if self.api.count is not None:
                self.api.count(status)
            done = _noted(error)
            if done:  # the platform's call said what failed (bot.teams.delivery.with_retries)
                log.error(
                    "%s: %s in conversation %s: %s (%s)", self.platform, done, where, status, reason
                )
            else:
                log.error(
                    "%s: api error %s (%s) in conversation %s", self.platform, status, reason, where
                )
            return self.texts.failed
        log.error("%s: turn failed in conversation %s", self.platform, where, exc_info=error)
        return self.texts.failed


def _noted(error: BaseException) -> str:
    """The notes (PEP 678) a platform's call added to its error, such as "send failed"."""
    return "; ".join(str(n) for n in getattr(error, "__notes__", ()))
