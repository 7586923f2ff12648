"""The session store port and the key layout shared by every store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from dialogs.turn import SessionKey

KEY_PREFIX = "adv"


class Commit(StrEnum):
    APPLIED = "applied"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, kw_only=True)
class CommitOutcome:
    """What a commit did. A commit re-sent after a lost reply answers as the first one did.
    On a conflict, `current` is the stored document (None: no session), so the turn can step
    again without another read. Applied: `recorded` is the stamp and message id of the question
    on screen as the stored session had them recorded (see `SessionStore.record`), if any."""

    status: Commit
    current: dict[str, Any] | None = None
    recorded: tuple[str, str] | None = None


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


def team_key(key: SessionKey) -> str:
    """The key of the team assessment of thread `key.thread` in `key`'s conversation (the
    user part is left empty: a team belongs to no one person, so one member's `forget` leaves
    it, while the workspace's goes with the rest). The conversation's hash tag, like the
    members' team sessions: the team and its members' answers share one Cluster slot."""
    return f"{KEY_PREFIX}:t:{hash_tag(key)}:{_part(key.thread)}:"


def claim_key(key: SessionKey, name: str) -> str:
    """The key of a one-time claim `name` (see `SessionStore.claim`) in `key`'s conversation:
    the same hash tag, and the person's kind of key, so `forget` takes it with the rest."""
    return f"{KEY_PREFIX}:o:{hash_tag(key)}:{_part(key.thread + '/' + name)}:{_part(key.user)}"


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


def workspace_pattern(platform: str, workspace: str) -> str:
    """A SCAN pattern for every key of one workspace or tenant (any conversation, any person)."""
    tag = "{" + ":".join(_part(p).translate(_GLOB) for p in (platform, workspace)) + ":*}"
    return f"{KEY_PREFIX}:?:{tag}:*"


def is_workspace_key(name: str, platform: str, workspace: str) -> bool:
    """Exact test of what `workspace_pattern` matches, for stores without glob matching."""
    tag = "{" + ":".join(_part(p) for p in (platform, workspace)) + ":"
    head, _, rest = name.partition(":")
    kind, _, rest = rest.partition(":")
    return head == KEY_PREFIX and len(kind) == 1 and rest.startswith(tag)


def is_session_key(name: str) -> bool:
    return name.startswith(f"{KEY_PREFIX}:s:")


class SessionStore(Protocol):
    """Where sessions live: nine methods (and two for team assessments). `commit` is an
    atomic compare-and-set in one round trip: it applies `document` (whose "version" is
    `expected_version + 1`) only when the stored version is still `expected_version` (0: no
    session yet), the stored document carries the "commit" nonce `expected_commit` (when
    given: versions start again at 1 after `forget`, and a copy read earlier must not pass for
    a new session), and `event_id` is not among the stored document's recent events.

    (Keys of kinds "r" and "m", written by versions before 0.2 for cached replies and screen
    notes, are no longer written; they expire, and `forget` deletes them with the rest.)
    """

    async def load(self, key: SessionKey) -> dict[str, Any] | None: ...

    async def commit(
        self,
        key: SessionKey,
        *,
        expected_version: int,
        document: Mapping[str, Any],
        event_id: str,
        ttl_seconds: int,
        expected_commit: str = "",
    ) -> CommitOutcome: ...

    async def record(self, key: SessionKey, *, stamp: str, message_id: str) -> bool:
        """Write `message_id` into the stored session's screen while it names question `stamp`
        with no message yet (see dialogs.screen); version and TTL unchanged. Whether it did.
        A later commit whose document names the same question without an id keeps it, and
        says so in `CommitOutcome.recorded` (its copy may predate the record)."""
        ...

    async def claim(self, key: SessionKey, name: str, *, ttl_seconds: int) -> bool:
        """Claim `name` for `key` once (SET NX with a TTL): True for the first claim, False
        while an earlier one lives. For actions a platform may replay, such as a slash
        command opening a thread: one trigger, one action."""
        ...

    async def forget(self, *, platform: str, workspace: str, user: str) -> int:
        """Delete every session of one person in one workspace or tenant; return how many."""
        ...

    async def forget_workspace(self, *, platform: str, workspace: str) -> int:
        """Delete every session and key of one workspace or tenant (the app was uninstalled
        or its tokens revoked); return how many sessions."""
        ...

    async def sessions_of(
        self, *, platform: str, workspace: str, user: str
    ) -> list[dict[str, Any]]:
        """Every stored session document of one person in one workspace or tenant (export)."""
        ...

    async def load_team(self, key: SessionKey) -> dict[str, Any] | None:
        """The team assessment document of thread `key.thread` (see `team_key`), if any."""
        ...

    async def commit_team(
        self,
        key: SessionKey,
        *,
        expected_version: int,
        document: Mapping[str, Any],
        event_id: str,
        ttl_seconds: int,
    ) -> CommitOutcome:
        """`commit`'s compare-and-set, version and event rules, the same script, applied to the
        team document at `team_key(key)` (dialogs.team_session)."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
