"""Messages typed to the app: in a DM, in a thread it runs, and @mentions in channels."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.agent import Prompt, prompt_for
from bot.slack.delivery import Place
from bot.slack.listeners import team as team_mode
from bot.slack.payloads import MENTION, as_text, mentions, team_id
from bot.slack.team_home import offer
from bot.text import clean

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

log = logging.getLogger(__name__)


def note_message(prompt: Prompt) -> dict[str, Any]:
    """What a suggested prompt says before it starts: its note, with the team button if any."""
    return offer(prompt.note) if prompt.offers_team else {"text": prompt.note}


async def on_message(
    slack: SlackAdvisor,
    body: dict[str, Any],
    event: dict[str, Any],
    client: AsyncWebClient,
    bot_user: str,
) -> None:
    """A typed answer or command: any DM, or a reply in a thread that holds an assessment.
    A reply that mentions this bot is app_mention's; mentions of other people are ordinary
    text (taken out of the answer)."""
    if event.get("subtype") or event.get("bot_id"):
        return  # edits, joins, bot posts: not a person typing an answer
    if not (as_text(event.get("user")) and as_text(event.get("channel"))):
        log.warning("message event without a user or channel: ignored")
        return
    text = clean(str(event.get("text") or ""))
    team = team_id(body) or str(event.get("team", ""))
    channel = str(event.get("channel", ""))
    user = str(event["user"])
    event_id = str(body.get("event_id") or event.get("client_msg_id") or event.get("ts"))
    typed_ts = as_text(event.get("ts"))
    if event.get("channel_type") == "im":
        # A suggested prompt of the Messages tab sends its message as the person: read it as
        # the command it stands for, after its note if it has one (bot.slack.agent.PROMPTS).
        prompt = prompt_for(text)
        text = prompt.means if prompt else text
        place = Place(team=team, channel=channel, thread_ts="", user=user)
        # Typed in a thread of the DM (the Messages tab threads what the person sends): a
        # summary this turn brings is streamed there (bot.slack.delivery).
        dm_thread = as_text(event.get("thread_ts")) or None

        async def typed() -> None:  # a team question asked last takes it (listeners/team.py)
            if prompt and prompt.note:
                await slack.delivery.post(client, place, note_message(prompt))
            if not await team_mode.typed(slack, client, place, event_id, text):
                await _typed(
                    slack,
                    client,
                    place,
                    event_id=event_id,
                    text=text,
                    typed_ts=typed_ts,
                    dm_thread=dm_thread,
                )

        await slack.safely(client, place, typed)
        return
    thread = event.get("thread_ts")
    if not thread or mentions(text, bot_user):
        return  # top-level channel chatter, or a mention of this bot that app_mention handles
    text = MENTION.sub("", text).strip()
    place = Place(team=team, channel=channel, thread_ts=str(thread), user=user)

    async def work() -> None:
        if await slack.advisor.peek(place.key) is not None:
            await _typed(slack, client, place, event_id=event_id, text=text, typed_ts=typed_ts)

    await slack.safely(client, place, work)


async def _typed(
    slack: SlackAdvisor,
    client: AsyncWebClient,
    place: Place,
    *,
    event_id: str,
    text: str,
    typed_ts: str,
    dm_thread: str | None = None,
) -> None:
    await slack.turn(
        client, place, event_id, text=text, typed_ts=typed_ts or None, dm_thread=dm_thread
    )


async def on_mention(
    slack: SlackAdvisor, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
) -> None:
    """An @mention opens (or shows) the person's assessment in that thread; with text after
    it, in a thread that has one, the text is their answer."""
    user = as_text(event.get("user"))
    if not user or not as_text(event.get("channel")) or event.get("bot_id"):
        return
    thread = str(event.get("thread_ts") or event.get("ts") or "")
    place = Place(
        team=team_id(body), channel=str(event.get("channel", "")), thread_ts=thread, user=user
    )
    text = MENTION.sub("", clean(str(event.get("text") or ""))).strip()
    event_id = str(body.get("event_id") or event.get("ts"))

    async def work() -> None:
        known = await slack.advisor.peek(place.key) is not None
        await slack.turn(client, place, event_id, text=text if known and text else None)

    await slack.safely(client, place, work)


def register(app: AsyncApp, slack: SlackAdvisor) -> None:
    # Bolt passes listener arguments by name, so each listener declares the ones it uses.
    @app.event("message")
    async def message(
        body: dict[str, Any],
        event: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await on_message(slack, body, event, client, as_text(context.bot_user_id))

    @app.event("app_mention")
    async def app_mention(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_mention(slack, body, event, client)
