"""What the Teams bot says about team assessments (issue 14), in its own words (what both
platforms say alike is in dialogs.team_texts, re-exported here). Plain text:
whatever a person typed (a title, a name) reaches a card only through a TextRun."""

from __future__ import annotations

from dialogs.team_texts import *  # noqa: F403 (the wording both platforms share, as say.NAME)

JOINED = (
    "You joined the team assessment \u201c{title}\u201d. Answer the questions below; a typed "
    "answer goes to whichever assessment asked last in this chat. Nobody sees your answers "
    "until the team's are revealed{anonymous}."
)
WATCHING = "{who} is watching \u201c{title}\u201d; observers see the results, they do not answer."
ALREADY_REVEALED = "The answers of \u201c{title}\u201d are revealed already."
FINISHED = (
    "Your answers to \u201c{title}\u201d are in. The team's results show on the team card in "
    "the channel once everyone has finished or the facilitator reveals them."
)
REMINDER = (
    "A reminder from {facilitator}: the team assessment \u201c{title}\u201d is waiting for your "
    "answers. Your next question is above in this chat."
)
OBSERVERS_DONT_ANSWER = "You are watching this team assessment: observers do not answer."
NOT_A_MEMBER = "You are not answering this team assessment; join it from its card first."
UNREADABLE = "That could not be read. The team card in the channel shows where things stand."
QUESTION_CONTEXT = "Team assessment: "
TYPED_TEAM = (
    "Taken as your answer to the team assessment \u201c{title}\u201d (its question is the latest)."
)
CANNOT_REACH = (
    "I could not open a chat with {who}. Make sure the app is installed for them, then try again."
)
SOMEONE = "someone"
COPIED_NOTE = "(from your own assessment)"
