"""What the Slack app says in its own words (the engine's replies come from templates/slack/)."""

from __future__ import annotations

from bot.adapter import ErrorTexts

USAGE = (
    "*/llm-advisor* walks you through building your own LLM versus using a hosted one.\n"
    "• `/llm-advisor` start or continue your assessment in a direct message\n"
    "• `/llm-advisor here` run it in a thread in this channel, visible to the channel\n"
    "• `/llm-advisor team [title]` decide as a team: each member answers privately, and the "
    "card in this channel shows where you disagree\n"
    "• `/llm-advisor status` your progress\n"
    "• `/llm-advisor results` your latest summary\n"
    "• `/llm-advisor restart` start over\n"
    "• `/llm-advisor forget` delete all your saved assessments in this workspace\n"
    "• `/llm-advisor export` a copy of your saved assessments, in our direct messages\n"
    "• `/llm-advisor help` this message\n"
    "You can also mention me in a channel to start in a thread."
)
ERRORS = ErrorTexts.marked(
    unavailable=":hourglass:",
    failed=":warning:",
    slow=(
        "Slack is answering slowly right now. What you sent is saved; if the next question "
        "does not show up, type `status`."
    ),
)
UNAVAILABLE = ERRORS.unavailable
SLOW = ERRORS.slow
FAILED = ERRORS.failed
FOREIGN = (
    "That assessment belongs to {who}. To get your own, mention me in a channel or type "
    "`/llm-advisor`."
)
UNREADABLE = "That button could not be read. Type `status` to see where you are."

# The slash command's acknowledgements and answers.
IN_DM = "Your assessment is waiting in our direct messages."
CONFIRM_IN_DM = "Check our direct messages to confirm {what}."
NO_SUMMARY = "No summary yet. Type `/llm-advisor` to continue your assessment."
WORKING_HERE = "<@{user}> is working through the build-vs-buy assessment here."
CANNOT_POST_HERE = (
    "I can't post in this channel. Invite me first (`/invite @LLM Advisor`) "
    "or type `/llm-advisor` to continue in a direct message."
)

# Sharing a summary in a channel.
NOTHING_TO_SHARE = "There is no finished summary to share yet."
CANNOT_SHARE = (
    "I can't post in <#{channel}>. Invite me there first (`/invite @LLM Advisor`), "
    "then share again."
)
SHARED = "Shared your summary in <#{channel}>."
