"""What the bot says about team assessments (issue 14) the same way on every platform, in its
own words. Plain text with no markup: each platform's team_texts adds what needs its markup
(a title in bold, a channel link) and re-exports these."""

from __future__ import annotations

__all__ = [
    "ANONYMOUS_NOTE",
    "CARD_ANONYMOUS",
    "CARD_NAMED",
    "CLOSED",
    "COPY_BUTTON",
    "DEFAULT_TITLE",
    "EVERYONE_DONE",
    "FACILITATOR_ONLY",
    "FACILITATOR_WHAT",
    "GONE",
    "NOBODY_TO_REMIND",
    "NOTHING_TO_REVEAL",
    "REMINDED",
    "REVEALED_ALREADY",
    "SETTLED",
    "TYPED_OWN",
    "left_note",
]

DEFAULT_TITLE = "Build or buy, as a team"
GONE = "This team assessment is no longer available (it may have expired)."
CLOSED = "This team assessment is closed."
FACILITATOR_ONLY = "Only {who}, who started this team assessment, can {what}."
# What only the facilitator can do, by the card's control.
FACILITATOR_WHAT = {
    "reveal": "reveal the answers",
    "remind": "send reminders",
    "close": "close it",
    "settle": "settle a disagreement",
}
ANONYMOUS_NOTE = ", and then without your name"
NOTHING_TO_REVEAL = "Nobody has finished yet, so there is nothing to reveal."
REVEALED_ALREADY = "The answers are revealed already."
REMINDED = "Reminded {count} of those still answering."
NOBODY_TO_REMIND = "Everyone still answering has been reminded within the last hour."
EVERYONE_DONE = "Everyone has finished; there is nobody to remind."
SETTLED = "The team goes with that answer; the card is updated."
TYPED_OWN = "Taken as your answer to your own assessment (its question is the latest)."
COPY_BUTTON = "Start from my own answers ({count} answered)"
# The team card's line on who sees what.
CARD_ANONYMOUS = "Answers are anonymous, to everyone including the facilitator."
CARD_NAMED = "Names are shown next to answers once they are revealed."


def left_note(count: int) -> str:
    """The card's note on members who left (empty when none did)."""
    if not count:
        return ""
    return " One member left." if count == 1 else f" {count} members left."
