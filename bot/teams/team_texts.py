"""What the Teams bot says about team assessments (issue 14), in its own words. Plain text:
whatever a person typed (a title, a name) reaches a card only through a TextRun."""

from __future__ import annotations

DEFAULT_TITLE = "Build or buy, as a team"
GONE = "This team assessment is no longer available (it may have expired)."
CLOSED = "This team assessment is closed."
FACILITATOR_ONLY = "Only {who}, who started this team assessment, can {what}."
JOINED = (
    "You joined the team assessment \u201c{title}\u201d. Answer the questions below; a typed "
    "answer goes to whichever assessment asked last in this chat. Nobody sees your answers "
    "until the team's are revealed{anonymous}."
)
ANONYMOUS_NOTE = ", and then without your name"
WATCHING = "{who} is watching \u201c{title}\u201d; observers see the results, they do not answer."
ALREADY_REVEALED = "The answers of \u201c{title}\u201d are revealed already."
FINISHED = (
    "Your answers to \u201c{title}\u201d are in. The team's results show on the team card in "
    "the channel once everyone has finished or the facilitator reveals them."
)
NOTHING_TO_REVEAL = "Nobody has finished yet, so there is nothing to reveal."
REVEALED_ALREADY = "The answers are revealed already."
REMINDED = "Reminded {count} of those still answering."
NOBODY_TO_REMIND = "Everyone still answering has been reminded within the last hour."
EVERYONE_DONE = "Everyone has finished; there is nobody to remind."
REMINDER = (
    "A reminder from {facilitator}: the team assessment \u201c{title}\u201d is waiting for your "
    "answers. Your next question is above in this chat."
)
OBSERVERS_DONT_ANSWER = "You are watching this team assessment: observers do not answer."
NOT_A_MEMBER = "You are not answering this team assessment; join it from its card first."
SETTLED = "The team goes with that answer; the card is updated."
UNREADABLE = "That could not be read. The team card in the channel shows where things stand."
QUESTION_CONTEXT = "Team assessment: "
TYPED_TEAM = (
    "Taken as your answer to the team assessment \u201c{title}\u201d (its question is the latest)."
)
TYPED_OWN = "Taken as your answer to your own assessment (its question is the latest)."
CANNOT_REACH = (
    "I could not open a chat with {who}. Make sure the app is installed for them, then try again."
)
FACILITATOR_WHAT = {
    "reveal": "reveal the answers",
    "remind": "send reminders",
    "close": "close it",
    "settle": "settle a disagreement",
}
SOMEONE = "someone"
COPY_BUTTON = "Start from my own answers ({count} answered)"
COPIED_NOTE = "(from your own assessment)"
