""" "Decide as a team" on the App Home (issue 14). The Home tab has no channel, so the button opens
a modal asking for one (and an optional title, and whether answers are anonymous); submitting
it starts the team there as `/llm-advisor team [anonymous] [title]` does (the same
bot.slack.listeners.team.post_card and keep_team). A channel the app may not post in is
refused in the modal itself, saying to invite the app.

Unlike a slash command's trigger, a submission is not claimed once: Slack does not redeliver
view submissions (the person sees an error and may press Start again), and a claim would also
refuse the same modal submitted again once the app is invited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import team_texts as say
from bot.slack.delivery import Place
from bot.slack.listeners.team import Opening, keep_team, post_card
from bot.slack.payloads import CHANNEL_ID, as_obj, as_text, team_id

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

HOME_TEAM = "home_team"  # the App Home's button
TEAM_VIEW = "team_start"  # the modal's callback id
CHANNEL_BLOCK, CHANNEL_ACTION = "team_channel", "channel"
TITLE_BLOCK, TITLE_ACTION = "team_title", "title"
NAMES_BLOCK, NAMES_ACTION = "team_names", "names"
NAMED, ANONYMOUS = "named", "anonymous"
TITLE_CHARS = 140


def _text(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def offer(note: str) -> dict[str, Any]:
    """A message saying `note`, with the Home tab's "Decide as a team" button under it (a
    suggested prompt's answer in the Messages tab): the click opens the same modal."""
    button = {
        "type": "button",
        "action_id": HOME_TEAM,
        "text": _text(say.MODAL_TITLE),
        "value": "team",
    }
    return {
        "text": note,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": note}},
            {"type": "actions", "block_id": "team_offer", "elements": [button]},
        ],
    }


def team_modal() -> dict[str, Any]:
    """The modal: the channel (public or private, where the app is invited), an optional title,
    and names shown or anonymous."""
    names = [
        {"text": _text(say.MODAL_NAMED), "value": NAMED},
        {"text": _text(say.MODAL_ANONYMOUS), "value": ANONYMOUS},
    ]
    return {
        "type": "modal",
        "callback_id": TEAM_VIEW,
        "title": _text(say.MODAL_TITLE),
        "submit": _text(say.MODAL_SUBMIT),
        "close": _text(say.MODAL_CLOSE),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": say.MODAL_INTRO}},
            {
                "type": "input",
                "block_id": CHANNEL_BLOCK,
                "label": _text(say.MODAL_CHANNEL),
                "element": {
                    "type": "conversations_select",
                    "action_id": CHANNEL_ACTION,
                    "placeholder": _text(say.MODAL_CHANNEL_HINT),
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
            },
            {
                "type": "input",
                "block_id": TITLE_BLOCK,
                "optional": True,
                "label": _text(say.MODAL_TITLE_LABEL),
                "element": {
                    "type": "plain_text_input",
                    "action_id": TITLE_ACTION,
                    "max_length": TITLE_CHARS,
                    "placeholder": _text(say.MODAL_TITLE_HINT),
                },
            },
            {
                "type": "input",
                "block_id": NAMES_BLOCK,
                "label": _text(say.MODAL_NAMES),
                "element": {
                    "type": "radio_buttons",
                    "action_id": NAMES_ACTION,
                    "initial_option": names[0],
                    "options": names,
                },
            },
        ],
    }


async def open_modal(slack: SlackAdvisor, body: dict[str, Any], client: AsyncWebClient) -> None:
    """The Home tab's "Decide as a team": the modal, opened with the click's trigger."""
    trigger = as_text(body.get("trigger_id"))
    if trigger:
        await client.views_open(trigger_id=trigger, view=team_modal())


def _field(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    return as_obj(as_obj(values.get(block)).get(action))


async def on_submitted(
    slack: SlackAdvisor, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
) -> None:
    """Start the team in the channel picked; the modal closes once its card is posted, or
    says why it cannot be (no channel picked, the app not in it). The card is posted before
    the acknowledgement, as the modal must know whether it could be."""
    view = as_obj(body.get("view"))
    values = as_obj(as_obj(view.get("state")).get("values"))
    channel = as_text(_field(values, CHANNEL_BLOCK, CHANNEL_ACTION).get("selected_conversation"))
    title = as_text(_field(values, TITLE_BLOCK, TITLE_ACTION).get("value")).strip()
    names = as_obj(_field(values, NAMES_BLOCK, NAMES_ACTION).get("selected_option"))
    user = as_text(as_obj(body.get("user")).get("id"))
    if not user:
        await ack()
        return
    if not CHANNEL_ID.match(channel) or channel.startswith("D"):
        await ack(response_action="errors", errors={CHANNEL_BLOCK: say.MODAL_PICK_CHANNEL})
        return
    here = Place(team=team_id(body), channel=channel, thread_ts="", user=user)
    opening = Opening(
        here=here,
        anonymous=as_text(names.get("value")) == ANONYMOUS,
        title=" ".join(title.split())[:TITLE_CHARS],
        event_id="view:" + (as_text(view.get("id")) or as_text(body.get("trigger_id"))),
    )
    acked = False

    async def work() -> None:
        nonlocal acked
        posted = await post_card(slack, client, opening)
        acked = True
        if posted is None:
            errors = {CHANNEL_BLOCK: say.MODAL_INVITE}
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await keep_team(slack, opening, posted)

    try:
        await slack.safely(client, None, work)
    finally:
        if not acked:  # something failed before the card was posted: the modal says so
            await ack(response_action="errors", errors={CHANNEL_BLOCK: say.MODAL_FAILED})
