"""Slack's agent messaging experience (features.agent_view): the Messages tab's suggested
prompts, and the status line a thread shows while a slow reply is being put together.

These need a paid plan or a developer sandbox. Where the workspace does not have them, Slack
answers the call with an error; the workspace is then remembered as without them (for this
process) and the app carries on as before. Nothing here ever fails a turn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import Recent

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Prompt:
    """A suggested prompt: its button's title, the message it sends as the person, what the
    advisor reads that message as (a command the engine knows), and a note said first."""

    title: str
    message: str
    means: str
    note: str = ""
    # The note carries the "Decide as a team" button (the App Home's: it opens the modal that
    # picks a channel and starts the team there, bot/slack/team_home.py).
    offers_team: bool = False


PROMPTS: tuple[Prompt, ...] = (
    Prompt(
        title="Should we build our own LLM?",
        message="Should we build our own LLM?",
        means="start",
    ),
    # A team assessment runs in a channel (bot/slack/listeners/team.py): the note's button
    # asks which one and starts it there, or the command does it from the channel; the
    # person's own assessment starts (or continues) meanwhile.
    Prompt(
        title="Start a team assessment",
        message="Start a team assessment",
        means="start",
        note=(
            "A team assessment runs in a channel: press the button to pick one, or type "
            "`/llm-advisor team` there. Each colleague joins from the card the bot posts. "
            "Here is your own in the meantime."
        ),
        offers_team=True,
    ),
    Prompt(title="Show my last result", message="Show my last result", means="results"),
    # The cost comparison needs the rest of the answers: the assessment starts, and its
    # volume question takes "2B" as typed.
    Prompt(
        title="What does it cost at 2B tokens a month?",
        message="What does it cost at 2B tokens a month?",
        means="start",
        note=(
            "The cost comparison comes with your summary, priced for your own answers. When "
            "you are asked how many tokens a month, type `2B`."
        ),
    ),
)
PROMPTS_TITLE = "Build or buy an LLM? Pick one, or just type."
_PROMPTS = {p.message.casefold(): p for p in PROMPTS}

# What Slack answers where the workspace (or the app's configuration) lacks the agent
# features: not on a paid plan or sandbox, agent_view not turned on, the scope not granted.
UNSUPPORTED = frozenset(
    {
        "feature_not_enabled",
        "not_allowed_token_type",
        "unknown_method",
        "method_not_supported_for_channel_type",
        "missing_scope",
        "team_not_allowed",
        "not_allowed",
        "access_denied",
    }
)
# What Slack answers a message holding the newer blocks (plan, task_card...) where the
# workspace does not have them: with any of the above, the workspace is without the features.
BLOCKS_REFUSED = frozenset({"invalid_blocks", "invalid_blocks_format"})
# Workspaces remembered as without the agent features, at most this many.
REMEMBERED_WORKSPACES = 4096

SUMMARY_STATUS = "is putting your summary together…"
SUMMARY_LOADING = (
    "Weighing your answers…",
    "Pricing the options…",
    "Drawing the cost chart…",
)


def prompt_for(text: str) -> Prompt | None:
    """The suggested prompt whose message `text` is, or None for anything else."""
    return _PROMPTS.get(text.strip().casefold())


class AgentFeatures:
    """The agent experience's calls, each tried once per workspace until Slack says no."""

    def __init__(self) -> None:
        self._without: Recent[str, bool] = Recent(REMEMBERED_WORKSPACES)

    def available(self, team: str) -> bool:
        return self._without.get(team) is None

    def unavailable(self, team: str, error: SlackApiError) -> None:
        """Note Slack's refusal; the workspace is remembered as without the features when the
        error says so (a passing fault is only logged)."""
        reason = str(error.response.get("error", ""))
        if reason in UNSUPPORTED:
            if self.available(team):
                log.info("workspace without Slack's agent features (%s): falling back", reason)
            self._without.put(team, True)
        else:
            log.warning("Slack agent feature call failed: %s", reason)

    def refused_blocks(self, team: str, error: SlackApiError) -> bool:
        """Whether Slack refused a message for its newer blocks (or for want of the features);
        if so the workspace is remembered as without them, and the message goes again as
        before."""
        reason = str(error.response.get("error", ""))
        if reason not in BLOCKS_REFUSED | UNSUPPORTED:
            return False
        if self.available(team):
            log.info("workspace refused the newer blocks (%s): falling back", reason)
        self._without.put(team, True)
        return True

    async def suggest(self, client: AsyncWebClient, *, team: str, channel: str) -> None:
        """Pin the suggested prompts to the top of the person's Messages tab (`channel`)."""
        if not self.available(team) or not channel:
            return
        prompts = [{"title": p.title, "message": p.message} for p in PROMPTS]
        try:
            await client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, title=PROMPTS_TITLE, prompts=prompts
            )
        except SlackApiError as exc:
            self.unavailable(team, exc)
        except Exception as exc:  # prompts are a convenience: the tab works without them
            log.warning("suggested prompts not set (%s)", type(exc).__name__)

    async def status(
        self, client: AsyncWebClient, *, team: str, channel: str, thread_ts: str, text: str
    ) -> bool:
        """Show `text` as the thread's status line ("" clears it); whether Slack took it."""
        # A clear goes out even if another call has just found the features missing: this
        # status was shown, so it must not stay.
        if not (channel and thread_ts) or (text and not self.available(team)):
            return False
        loading = list(SUMMARY_LOADING) if text else None
        try:
            await client.assistant_threads_setStatus(
                channel_id=channel, thread_ts=thread_ts, status=text, loading_messages=loading
            )
        except SlackApiError as exc:
            self.unavailable(team, exc)
            return False
        except Exception as exc:  # a status line is never worth failing the turn for
            # A clear that fails is harmless: Slack removes a status itself once the app
            # replies in the thread (the summary is posted by then) or two minutes after.
            level = logging.WARNING if text else logging.INFO
            log.log(level, "thread status not set (%s): carried on without it", type(exc).__name__)
            return False
        return True
