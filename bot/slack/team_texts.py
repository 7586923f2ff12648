"""What the Slack app says about team assessments (issue 14), in its own words (what both
platforms say alike is in dialogs.team_texts, re-exported here; what needs mrkdwn is here)."""

from __future__ import annotations

from dialogs.team_texts import *  # noqa: F403 (the wording both platforms share, as say.NAME)

IN_A_CHANNEL = (
    "A team assessment runs in a channel: type `/llm-advisor team` there (optionally with a "
    "title, and `anonymous` first to keep everyone's answers anonymous)."
)
JOINED = (
    "You joined the team assessment *{title}* in <#{channel}>. Answer the questions below; "
    "a typed answer goes to whichever assessment asked last here. Nobody sees your answers "
    "until the team's are revealed{anonymous}."
)
WATCHING = "You are watching *{title}*. The card in the channel shows the results once revealed."
ALREADY_REVEALED = "The answers of *{title}* are revealed already; you can still watch the card."
FINISHED = (
    "Your answers to *{title}* are in. The team's results show on the card in <#{channel}> "
    "once everyone has finished or the facilitator reveals them."
)
REMINDER = (
    "A reminder from <@{facilitator}>: the team assessment *{title}* in <#{channel}> is waiting "
    "for your answers. Your next question is above in this conversation."
)
NOT_FOR_TEAM = "That works on your own assessments; team answers show on the team card."
QUESTION_CONTEXT = "Team assessment: *{title}*"
TYPED_TEAM = "Taken as your answer to the team assessment *{title}* (its question is the latest)."
HISTORY = "*Team assessments in this channel*, newest first:\n{lines}"
NO_HISTORY = "No team assessments in this channel yet. Start one with `/llm-advisor team`."
COPIED_NOTE = "Started from your own answers"
MODAL_TITLE = "Decide as a team"
MODAL_SUBMIT = "Start"
MODAL_CLOSE = "Cancel"
MODAL_INTRO = (
    "The team card goes to the channel you pick. Everyone who joins answers the same questions "
    "in a direct message; the card shows where you disagree once all have finished."
)
MODAL_CHANNEL = "Channel"
MODAL_CHANNEL_HINT = "Pick a channel I am in"
MODAL_TITLE_LABEL = "Title"
MODAL_TITLE_HINT = "Support bot: build or buy?"
MODAL_NAMES = "Names"
MODAL_NAMED = "Show who answered what"
MODAL_ANONYMOUS = "Anonymous, to everyone including you"
MODAL_PICK_CHANNEL = "Pick a public or private channel."
MODAL_INVITE = (
    "I cannot post in that channel. Invite me first (type /invite @LLM Advisor there), "
    "then press Start again."
)
MODAL_FAILED = "Something went wrong while starting the team. Please try again in a moment."
