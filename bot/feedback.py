"""Was the advice useful? Two buttons under the summary, counted in /metrics by recommendation
(depth and hosting ids, never user text), so operators learn where the advice misses.

One vote per person per summary: the vote is claimed in the store (through the advisor, as a
share is) under the summary's stamp, so a second click, a platform's replay or another process
seeing the same click count once; a click on a summary that has since been updated or replaced
counts not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from dialogs.advisor import Advisor
from dialogs.turn import SessionKey


class Vote(StrEnum):
    USEFUL = "useful"
    NOT_USEFUL = "not_useful"


class Outcome(StrEnum):
    COUNTED = "counted"
    REPEATED = "repeated"
    OUTDATED = "outdated"


TEXTS = {
    Outcome.COUNTED: "Thanks for telling us. It shows where the advice works and where it misses.",
    Outcome.REPEATED: "Your vote on this summary is already counted.",
    Outcome.OUTDATED: (
        "That summary is no longer your current one (an answer has changed since), so the "
        "vote was not counted. Use the buttons on your latest summary."
    ),
}

#: Told a vote: the recommendation's depth and hosting ids, and the vote.
Count = Callable[[str, str, Vote], None]


async def cast(
    advisor: Advisor, key: SessionKey, *, stamp: str, vote: Vote, count: Count | None
) -> Outcome:
    """Count `vote` on the summary stamped `stamp`, once, if it is the person's current one."""
    session = await advisor.peek(key)
    summary = advisor.summary(session) if session is not None else None
    if summary is None or not stamp or summary.stamp != stamp:
        return Outcome.OUTDATED
    ttl = advisor.engine.session_ttl_seconds + 86400
    if not await advisor.once(key, f"feedback:{stamp}", ttl_seconds=ttl):
        return Outcome.REPEATED
    if count is not None:
        rec = summary.assessment["recommendation"]
        count(str(rec["depth"]), str(rec["hosting"]), vote)
    return Outcome.COUNTED
