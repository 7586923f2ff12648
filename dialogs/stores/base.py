"""The session store port and the key layout shared by every store."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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


def _part(value: str) -> str:
    """Escape the characters the key layout uses, so no user-supplied id can forge a key."""
    return value.replace("%", "%25").replace(":", "%3A").replace("{", "%7B").replace("}", "%7D")


def hash_tag(key: SessionKey) -> str:
    """Platform, workspace and conversation: every key of one conversation shares a slot."""
    return "{" + ":".join(_part(p) for p in (key.platform, key.workspace, key.conversation)) + "}"


def session_key(key: SessionKey) -> str:
    return f"{KEY_PREFIX}:s:{hash_tag(key)}:{_part(key.thread)}:{_part(key.user)}"


def replies_key(key: SessionKey) -> str:
    return f"{KEY_PREFIX}:r:{hash_tag(key)}:{_part(key.thread)}:{_part(key.user)}"


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


def ref_stamp(raw: str | None) -> str | None:
    """The question stamp a screen note names (notes are JSON with a "stamp")."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    stamp = data.get("stamp") if isinstance(data, dict) else None
    return stamp if isinstance(stamp, str) else None


def ref_key(key: SessionKey) -> str:
    """A small note an adapter keeps beside a session (e.g. which message shows the question)."""
    return f"{KEY_PREFIX}:m:{hash_tag(key)}:{_part(key.thread)}:{_part(key.user)}"


class SessionStore(Protocol):
    """Where sessions live. `commit` is an atomic compare-and-set that records the event id.

    `commit` applies `document` (whose "version" is `expected_version + 1`) only when the stored
    version is still `expected_version` (0: no session yet) and the event id is not among the
    stored document's recent events; it also keeps the replies of that event for a redelivery.
    """

    async def load(self, key: SessionKey) -> dict[str, Any] | None: ...

    async def load_with_ref(self, key: SessionKey) -> tuple[dict[str, Any] | None, str | None]:
        """The session document and the adapter's note, in one round trip."""
        ...

    async def commit(
        self,
        key: SessionKey,
        *,
        expected_version: int,
        document: Mapping[str, Any],
        event_id: str,
        replies: Sequence[Mapping[str, Any]],
        ttl_seconds: int,
    ) -> Commit: ...

    async def cached_replies(
        self, key: SessionKey, event_id: str
    ) -> list[dict[str, Any]] | None: ...

    async def delete(self, key: SessionKey) -> None: ...

    async def forget(self, *, platform: str, workspace: str, user: str) -> int:
        """Delete every session of one person in one workspace or tenant; return how many."""
        ...

    async def put_ref(self, key: SessionKey, value: str, ttl_seconds: int) -> None: ...

    async def get_ref(self, key: SessionKey) -> str | None: ...

    async def claim_ref(
        self, key: SessionKey, *, stamp: str, value: str, ttl_seconds: int
    ) -> tuple[bool, str | None]:
        """Atomically take the note for showing question `stamp`, unless it already names that
        stamp (someone showed or is showing it). Returns whether it was taken, and the note it
        replaced (for `release_ref` when the post then fails)."""
        ...

    async def release_ref(
        self, key: SessionKey, *, claimed: str, previous: str | None, ttl_seconds: int
    ) -> None:
        """Put back `previous` if the note is still the `claimed` one."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
