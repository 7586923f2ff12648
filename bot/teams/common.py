"""The SDK-neutral half of the Teams adapters: where a session lives (Place), the typed text and
what a card button's data asks for. No botbuilder or Agents SDK import here: both Teams adapters
(bot/teams/ on botbuilder, bot/teams_agents/ on the Microsoft 365 Agents SDK) share it, reading
the same activity fields by name (both SDKs model the Bot Framework activity alike)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.feedback import Vote
from bot.text import clean
from dialogs.turn import Click, SessionKey

FOREIGN = (
    "That card belongs to someone else's assessment. To get your own, mention me in the channel "
    "or message me directly."
)
UNREADABLE = "That card could not be read. Type status to see where you are."
MENTION = re.compile(r"<at>.*?</at>", re.DOTALL)
COMMANDS = {"back", "skip", "yes", "no", "restart", "start", "edit", "describe", "steps"}


@dataclass(frozen=True, kw_only=True)
class Place:
    """Where a session lives in Teams: a personal chat, or one thread of a channel."""

    tenant: str
    conversation: str
    thread: str
    user: str
    user_name: str

    @property
    def key(self) -> SessionKey:
        return SessionKey(
            platform="teams",
            workspace=self.tenant,
            conversation=self.conversation,
            thread=self.thread,
            user=self.user,
        )

    @property
    def in_thread(self) -> bool:
        return bool(self.thread)


def place_of(activity: Any) -> Place:
    """The place of an activity of either SDK (the fields are read by name)."""
    conversation = activity.conversation
    base, _, thread = str(conversation.id or "").partition(";messageid=")
    channel_data: dict[str, Any] = (
        activity.channel_data if isinstance(activity.channel_data, dict) else {}
    )
    tenant_info = channel_data.get("tenant")
    tenant = (
        getattr(conversation, "tenant_id", None)
        or (tenant_info.get("id") if isinstance(tenant_info, dict) else None)
        or "unknown-tenant"
    )
    sender = activity.from_property
    user = str(getattr(sender, "aad_object_id", None) or sender.id)
    if getattr(conversation, "conversation_type", None) == "personal":
        thread = ""
    return Place(
        tenant=str(tenant),
        conversation=base,
        thread=thread,
        user=user,
        user_name=str(sender.name or ""),
    )


def member_place(place: Place, member: Any) -> Place:
    """The personal-chat place of a member just added (the welcome is theirs)."""
    return Place(
        tenant=place.tenant,
        conversation=place.conversation,
        thread="",
        user=str(getattr(member, "aad_object_id", None) or member.id),
        user_name=str(member.name or ""),
    )


def typed_text(text: str | None) -> str:
    """The message text without @mentions (Teams wraps them in <at> tags), made storable."""
    return clean(MENTION.sub("", str(text or "")).strip())


@dataclass(frozen=True, kw_only=True)
class Submitted:
    """What an Action.Submit's data asks for: a plain reply (`notice`), the assessment opened
    (`start`), a step of the engine (`click`) or a vote."""

    notice: str | None = None
    start: bool = False
    click: Click | None = None
    vote: Vote | None = None
    stamp: str = ""


def read_submit(value: object, place: Place) -> Submitted:
    """A card button's data (templates/teams/): bound to its owner and to its card's stamp."""
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return Submitted(notice=UNREADABLE)
    if value.get("u") != place.user:
        return Submitted(notice=FOREIGN)
    if "vote" in value:
        if value["vote"] not in tuple(Vote):
            return Submitted(notice=UNREADABLE)
        return Submitted(vote=Vote(value["vote"]), stamp=value.get("s", ""))
    command = value.get("cmd")
    if command is not None:
        if command not in COMMANDS:
            return Submitted(notice=UNREADABLE)
        if command == "start":
            return Submitted(start=True)
        # Bound to the card it was on: a button without a stamp (or an old one) is stale.
        if command == "edit":
            command = f"edit {value.get('question', '')}".strip()
        return Submitted(click=Click(command=command, stamp=value.get("s", "")))
    q, o, s = value.get("q"), value.get("o"), value.get("s")
    o = o or value.get(f"o.{q}")  # an intake review's change control: one input per answer
    if not (q and o and s):
        return Submitted(notice=UNREADABLE)
    return Submitted(click=Click(question=q, option=o, stamp=s))


#: What an HTTP header value may not hold: control characters other than tab.
_NOT_IN_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def header_safe(value: str) -> bool:
    """Whether a reply can name this conversation id: botbuilder sends it in the
    `x-ms-conversation-id` header; on both SDKs an id outside latin-1 or with control characters
    is not one Teams sends, and gets a 400."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return not _NOT_IN_HEADER.search(value) and not value[:1].isspace()
