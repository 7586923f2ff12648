"""A member's side of a team assessment in Slack (issue 14): turns in their team session (posted
in their DM, kept under the team), handing their answers to the team at their summary, typed
answers in a DM going to the assessment asked last, and leaving the teams on `forget`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import team_texts as say
from bot.slack.delivery import Place
from bot.slack.render import value
from bot.slack.team_desk import DEFAULT_TITLE, TeamDelivery, TeamPlace, desk
from bot.slack.team_render import escape
from dialogs.replies import Ask, Reply, TurnResult
from dialogs.session import State
from dialogs.team_actions import typed_target
from dialogs.team_copy import copy_answers, copyable
from dialogs.team_session import finish, leave
from dialogs.turn import Click, SessionKey, Turn

if TYPE_CHECKING:
    from bot.slack.app import SlackAdvisor

__all__ = [
    "TEAM_COPY",
    "Offer",
    "copy_own",
    "forget_member",
    "forgot",
    "member_turn",
    "own_answers",
    "typed",
]

# The button on a member's first team question that copies in their own assessment's answers.
TEAM_COPY = "team_copy"


log = logging.getLogger(__name__)


async def typed(
    slack: SlackAdvisor, client: AsyncWebClient, place: Place, event_id: str, text: str
) -> bool:
    """A message typed in a DM goes to the assessment whose question was asked there last,
    a team's or the person's own; True when it went to a team's. With more than one open,
    the person is told which it went to.

    Whichever process the message reaches, the store says whether the person answers a team:
    the DM's list of teams (dialogs.team_index.TeamIndex), read only in workspaces that have
    teams at all (ActiveTeams: elsewhere one read of a marker per process every few seconds,
    not one per message). So in a workspace using team mode, a typed DM costs one small read
    more, of a key that does not exist for people in no team. (The personal session cannot
    carry the mark instead: the advisor often skips reading it, keeping the copy it committed
    last, so no read already made would see a join that another process handled.) When that
    read fails, the message goes to the person's own assessment, as before team mode: its
    turn meets the same store and says so."""
    the_desk = desk(slack)
    target = await typed_target(slack.advisor, the_desk, place.key, text)
    if target is None:
        return False
    team, chosen, several = target.team, target.joined, target.several
    if team is None or chosen is None:
        if several:
            await client.chat_postMessage(channel=place.channel, text=say.TYPED_OWN)
        return False
    title = team.title or DEFAULT_TITLE
    if several:
        text_note = say.TYPED_TEAM.format(title=escape(title))
        await client.chat_postMessage(channel=place.channel, text=text_note)
    member = TeamPlace(
        team=place.team,
        channel=place.channel,
        thread_ts="",
        user=place.user,
        ref=chosen.ref,
        title=title,
    )
    await member_turn(slack, client, member, event_id, text=text)
    return True


@dataclass(frozen=True, kw_only=True)
class Offer(TeamPlace):
    """A member who has just joined, and `own` answers of their own assessment (in this DM)
    that can fill their team session: their first team question offers to copy them."""

    own: int = 0


class OfferDelivery(TeamDelivery):
    """Team questions, the first one with "Start from my own answers" under it."""

    @classmethod
    def of(cls, slack: SlackAdvisor) -> OfferDelivery:
        return cls(advisor=slack.advisor, renderer=slack.renderer)

    def render_one(self, reply: Reply, place: Place) -> dict[str, Any]:
        payload = super().render_one(reply, place)
        blocks = payload.get("blocks") or []
        if not (isinstance(place, Offer) and place.own and isinstance(reply, Ask)):
            return payload
        if len(blocks) >= 50:  # Block Kit's most per message: the question comes first
            return payload
        tag = f"{place.ref.conversation}/{place.ref.thread}"
        button = {
            "type": "button",
            "action_id": TEAM_COPY,
            "text": {"type": "plain_text", "text": say.COPY_BUTTON.format(count=place.own)},
            "value": value(u=place.user, s=reply.stamp, t=tag),
        }
        offer = {"type": "actions", "block_id": TEAM_COPY, "elements": [button]}
        return {**payload, "blocks": [*blocks, offer]}


async def own_answers(slack: SlackAdvisor, dm: SessionKey) -> int:
    """How many answers of the person's own assessment in the DM `dm` (in progress or
    finished) a new team session of theirs could start from."""
    own = await slack.advisor.peek(dm)
    return len(copyable(slack.advisor.flow, own, None))


async def copy_own(
    slack: SlackAdvisor,
    client: AsyncWebClient,
    member: TeamPlace,
    *,
    own: SessionKey,
    event_id: str,
    clicked_ts: str,
    stamp: str,
) -> None:
    """ "Start from my own answers": the answers of the member's own assessment (`own`, their
    DM session) fill their team session's open questions, and they move on to the first one
    still open, or to their summary, which hands their answers to the team. The question the
    button was on says where its answer came from. A redelivered click does nothing."""
    copy = await copy_answers(
        slack.advisor, key=member.key, own=own, event_id=event_id, at=datetime.now(UTC)
    )
    result = copy.result
    if result.duplicate:
        return
    before = result.before
    if copy.answers and before is not None and before.stamp == stamp:
        # The button's own question (its message, whether or not the store has its id yet).
        closed = slack.renderer.closed(
            before.prompt, owner=member.user, in_thread=False, note=say.COPIED_NOTE
        )
        await client.chat_update(channel=member.channel, ts=clicked_ts, **closed)
        result = replace(result, before=None)
    await desk(slack).delivery.deliver(client, member, result)
    await hand_in(slack, client, member, event_id, result)


async def member_turn(
    slack: SlackAdvisor,
    client: AsyncWebClient,
    member: TeamPlace,
    event_id: str,
    *,
    text: str | None = None,
    click: Click | None = None,
    clicked_ts: str | None = None,
) -> TurnResult:
    """One engine turn in the member's team session; reaching the summary hands the answers
    to the team (again after an edit; a redelivered last click hands them over as well, in
    case the first delivery stopped between the two commits)."""
    advisor = slack.advisor
    at = datetime.now(UTC)
    turn = Turn(key=member.key, event_id=event_id, at=at, text=text, click=click)
    result = await advisor.handle(turn)
    delivery = OfferDelivery.of(slack) if isinstance(member, Offer) else desk(slack).delivery
    await delivery.deliver(client, member, result, clicked_ts=clicked_ts)
    await hand_in(slack, client, member, event_id, result)
    return result


async def hand_in(
    slack: SlackAdvisor,
    client: AsyncWebClient,
    member: TeamPlace,
    event_id: str,
    result: TurnResult,
) -> None:
    """A turn that reached the member's summary hands their answers to the team; the card
    is brought up to date and the member told where the results will show."""
    if result.state != State.DONE:
        return
    session = await slack.advisor.peek(member.key)
    if session is None or session.state != State.DONE:
        return
    the_desk = desk(slack)
    answers = dict(session.answers)
    change = await the_desk.book.change(
        member.ref,
        "fin:" + event_id,
        lambda t: finish(t, member.user, answers) if t else None,
    )
    if change.changed:
        before = change.before.seat(member.user) if change.before else None
        if before is not None and not before.finished:
            text = say.FINISHED.format(title=escape(member.title), channel=member.ref.conversation)
            await client.chat_postMessage(channel=member.channel, text=text)
        await the_desk.show(client, member.ref, change)  # the last to finish reveals


def forgot(result: TurnResult) -> bool:
    """Whether a turn deleted the person's data (their `forget`, confirmed)."""
    return any(getattr(r, "code", "") == "forgotten" for r in result.replies)


async def forget_member(
    slack: SlackAdvisor, client: AsyncWebClient, dm: Place, event_id: str
) -> None:
    """After a person's `forget` (which deleted their team sessions with the rest): their
    seats and answers leave the teams they answered in this DM, and each card says a member
    left."""
    the_desk = desk(slack)
    for joined in await the_desk.index.teams(dm.key):
        change = await the_desk.book.change(
            joined.ref, "forget:" + event_id, lambda t: leave(t, dm.user) if t else None
        )
        await the_desk.show(client, joined.ref, change)
