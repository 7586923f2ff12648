"""The session store port and the key layout shared by every store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from dialogs.turn import SessionKey

KEY_PREFIX = "adv"
# The replies of a session's last turn are kept only as long as a platform may redeliver that
# turn (Slack retries within minutes, Teams within seconds), not for the session's lifetime:
# a summary's replies are several KB and would otherwise dominate a stored session's size.
REPLY_CACHE_SECONDS = 900


class Commit(StrEnum):
    APPLIED = "applied"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"


# A claimed question not recorded as posted within this time is taken to be orphaned (its
# turn died between commit and post) and may be claimed again. Longer than any post takes,
# retries included.
CLAIM_TAKEOVER_SECONDS = 60


@dataclass(frozen=True, kw_only=True)
class NoteClaim:
    """Take the screen note for question `stamp` unless it already names `stamp` (another turn
    shows, or is showing, that question). Done by the commit that applies, in the same atomic
    step. The note written names the stamp, no message yet, the prompt, the commit's `nonce`,
    the time, and, as "was", the stamp, message id and prompt of the message on screen.

    An unrecorded claim for the same stamp is taken over when it was made by one of the commits
    in `orphans` (whose outcome this process never learned) or is older than
    CLAIM_TAKEOVER_SECONDS."""

    stamp: str
    prompt: str
    nonce: str
    orphans: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CommitOutcome:
    """What a commit did.

    Applied: `note` is the screen note as it was before this commit's claim (None: there was
    none) and `claim` the note the claim wrote (None: not claimed). A commit re-sent after a
    lost reply answers as the first one did. Conflict: `current` is the stored document (None:
    no session), so the turn can step again without another read.
    """

    status: Commit
    note: str | None = None
    claim: str | None = None
    current: dict[str, Any] | None = None


def _part(value: str) -> str:
    """Escape the characters the key layout uses, so no user-supplied id can forge a key."""
    return value.replace("%", "%25").replace(":", "%3A").replace("{", "%7B").replace("}", "%7D")


def hash_tag(key: SessionKey) -> str:
    """Platform, workspace and conversation: every key of one conversation shares a slot."""
    return "{" + ":".join(_part(p) for p in (key.platform, key.workspace, key.conversation)) + "}"


def _tail(key: SessionKey) -> str:
    return f"{hash_tag(key)}:{_part(key.thread)}:{_part(key.user)}"


def session_key(key: SessionKey) -> str:
    return f"{KEY_PREFIX}:s:{_tail(key)}"


def replies_key(key: SessionKey) -> str:
    return f"{KEY_PREFIX}:r:{_tail(key)}"


def commit_keys(key: SessionKey) -> tuple[str, str, str]:
    """The session's, its cached replies' and its screen note's keys (one escape for all)."""
    tail = _tail(key)
    return f"{KEY_PREFIX}:s:{tail}", f"{KEY_PREFIX}:r:{tail}", f"{KEY_PREFIX}:m:{tail}"


_GLOB = str.maketrans({c: f"\\{c}" for c in "*?[]\\"})


def person_pattern(platform: str, workspace: str, user: str) -> str:
    """A SCAN pattern for every key of one person in one workspace (any conversation, thread)."""
    tag = "{" + ":".join(_part(p).translate(_GLOB) for p in (platform, workspace)) + ":*}"
    return f"{KEY_PREFIX}:?:{tag}:*:{_part(user).translate(_GLOB)}"


def is_persons_key(name: str, platform: str, workspace: str, user: str) -> bool:
    """Exact test of what `person_pattern` matches, for stores without glob matching."""
    tag = "{" + ":".join(_part(p) for p in (platform, workspace)) + ":"
    head, _, rest = name.partition(":")
    kind, _, rest = rest.partition(":")
    return (
        head == KEY_PREFIX
        and len(kind) == 1
        and rest.startswith(tag)
        and rest.endswith(":" + _part(user))
    )


def ref_key(key: SessionKey) -> str:
    """A small note an adapter keeps beside a session (e.g. which message shows the question)."""
    return f"{KEY_PREFIX}:m:{_tail(key)}"


class SessionStore(Protocol):
    """Where sessions live. `commit` is an atomic compare-and-set that records the event id.

    `commit` applies `document` (whose "version" is `expected_version + 1`) only when the stored
    version is still `expected_version` (0: no session yet) and the event id is not among the
    stored document's recent events; it also keeps the replies of that event for a redelivery
    and, given a `claim`, takes the screen note (see NoteClaim). With `expected_commit` the
    stored document must also carry that "commit" nonce: versions start again at 1 after
    `forget`, and a copy read earlier must not pass for a new session. One round trip.
    """

    async def load(self, key: SessionKey) -> dict[str, Any] | None: ...

    async def commit(
        self,
        key: SessionKey,
        *,
        expected_version: int,
        document: Mapping[str, Any],
        event_id: str,
        replies: Sequence[Mapping[str, Any]],
        ttl_seconds: int,
        claim: NoteClaim | None = None,
        expected_commit: str = "",
    ) -> CommitOutcome: ...

    async def cached_replies(
        self, key: SessionKey, event_id: str
    ) -> list[dict[str, Any]] | None: ...

    async def delete(self, key: SessionKey) -> None: ...

    async def forget(self, *, platform: str, workspace: str, user: str) -> int:
        """Delete every session of one person in one workspace or tenant; return how many."""
        ...

    async def put_ref(self, key: SessionKey, value: str, ttl_seconds: int) -> None: ...

    async def get_ref(self, key: SessionKey) -> str | None: ...

    async def replace_ref(
        self, key: SessionKey, *, expected: str, value: str | None, ttl_seconds: int
    ) -> bool:
        """Put `value` (None: remove the note) only while the note is still `expected`;
        whether it did."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
