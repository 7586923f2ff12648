"""Simulated members of a Slack team assessment (issue 14), as Slack sends their requests: the
facilitator's `/llm-advisor team`, each member's Join on the card, and each member's clicks
through their team questions in their DM, every request possibly to another app process.

Shared by bench/bench_team.py (one process) and the three-process load test
(tests/bot/slack/test_team_load.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bench import slack_standin
from bench.common import TYPED_ANSWER, BenchError, Seen
from bench.slack_standin import answer_buttons, is_question, is_summary, message_of
from bench.slack_users import Assessment, Client
from bot.slack import team_texts
from bot.slack.team_render import TEAM_JOIN
from tests.support.slack_signing import slash_command_body
from tests.support.slack_standin import Call

FORM: Final = "application/x-www-form-urlencoded"
SKIP: Final = "cmd_skip"
# What the bot may post in a member's DM besides questions and the summary: its own notes.
NOTES: Final = tuple(t.split("{", 1)[0] for t in (team_texts.JOINED, team_texts.FINISHED))


class MemberInbox(slack_standin.Inbox):
    """A member's DM: their team questions, their summary, and the bot's notes (joined,
    finished), which are text alone; anything else without blocks is an error message."""

    def check(self, call: Call) -> None:
        text = str(call.payload.get("text", ""))
        note = call.method == "chat.postMessage" and text.startswith(NOTES)
        if call.method == "chat.postEphemeral" or not (call.payload.get("blocks") or note):
            raise BenchError(f"the app answered with {call.method}: {text!r}")

    def is_post(self, call: Call) -> bool:
        return call.method == "chat.postMessage" and (is_question(call) or is_summary(call))


class CardInbox(slack_standin.Inbox):
    """The team's channel: the card's post, then its updates, in the order they arrived."""

    def check(self, call: Call) -> None:
        """Anything may arrive here (ephemerals to people clicking the card)."""

    def is_post(self, call: Call) -> bool:
        return call.method == "chat.postMessage"

    def calls(self, method: str) -> list[Call]:
        return [c for _, c in self.received if c.method == method]


@dataclass(frozen=True)
class TeamCard:
    """A team as its card shows it: the channel, the card's post and what the channel got."""

    channel: str
    post: Call
    inbox: CardInbox

    @property
    def ts(self) -> str:
        return str(self.post.result["ts"])

    def button(self, action_id: str) -> tuple[str, str]:
        for block in self.post.payload.get("blocks", []):
            for element in block.get("elements", []):
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return action_id, str(element["value"])
        raise BenchError(f"no {action_id} button on the team card")

    def updates(self) -> list[Call]:
        """The card's updates, in arrival order."""
        return [c for c in self.inbox.calls("chat.update") if c.payload.get("ts") == self.ts]

    def posts(self) -> list[Call]:
        return self.inbox.calls("chat.postMessage")

    def latest(self) -> dict[str, Any]:
        updates = self.updates()
        return (updates[-1] if updates else self.post).payload


@dataclass
class Member:
    """One member: their DM's inbox, the turns of their answers, and what they clicked."""

    user: str
    inbox: MemberInbox
    joined: Seen[Call] | None = None  # the join's turn: their first team question
    join_latency: float = 0.0
    turns: Assessment = field(default_factory=Assessment)
    answers: dict[str, str] = field(default_factory=dict)  # question -> option clicked

    @property
    def channel(self) -> str:
        return "D" + self.user


async def start_team(client: Client, facilitator: str, channel: str, title: str) -> TeamCard:
    """The facilitator's `/llm-advisor team <title>` in `channel`; returns the card."""
    inbox = CardInbox()
    client.standin.inboxes[channel] = inbox
    body = slash_command_body(
        text=f"team {title}",
        user_id=facilitator,
        channel_id=channel,
        trigger_id=f"trig-{uuid.uuid4().hex}",
        response_url=client.standin.response_url(uuid.uuid4().hex[:8]),
    )
    client.post(body, FORM)
    seen = await inbox.seen(None)
    client.check()
    return TeamCard(channel, seen.post, inbox)


async def join(client: Client, card: TeamCard, user: str) -> Member:
    """`user` clicks Join on the card; returns once their first team question is posted."""
    member = Member(user, MemberInbox())
    client.standin.inboxes[member.channel] = member.inbox
    began = client.click(user, card.channel, card.button(TEAM_JOIN), card.ts, message_of(card.post))
    member.joined = await member.inbox.seen(None)
    client.check()
    member.join_latency = member.joined.done - began
    return member


async def answer_all(
    clients: Sequence[Client],
    member: Member,
    answers: Mapping[str, str],
    *,
    offset: int = 0,
    typed: bool = False,
) -> Member:
    """Click through the member's team questions up to their summary, each click to the next
    of `clients` (starting at `offset`). The number question has no buttons: typed (to the
    process that took the member's last click) when `typed`, else skipped with its button."""
    if member.joined is None:
        raise BenchError(f"{member.user} has not joined")
    seen, last = member.joined, clients[offset % len(clients)]
    for n in range(1000):
        post = seen.post
        if is_summary(post):
            member.turns.posts.append(post)
            return member
        ts = str(post.result["ts"])
        buttons, skip = answer_buttons(post), None
        client = clients[(offset + n) % len(clients)]
        if buttons:
            first = next(iter(buttons.values()))
            qid, action_id, value = buttons.get(answers.get(first[0], ""), first)
            member.answers[qid] = json.loads(value)["o"]
            began = client.click(member.user, member.channel, (action_id, value), ts, post.payload)
        elif typed:
            client = last
            began = client.dm(member.user, member.channel, TYPED_ANSWER)
        else:
            skip = skip_button(post)
            began = client.click(member.user, member.channel, skip, ts, post.payload)
        # A skipped question's buttons come off only when its message id was recorded before
        # the click (bot/delivery.py, close): a turn to another process may not know it yet.
        seen = await member.inbox.seen(None if skip else ts)
        client.check()
        member.turns.latencies.append(seen.done - began)
        member.turns.post_latencies.append(seen.posted - began)
        last = client
    raise BenchError(f"{member.user} was asked over 1000 questions")


def skip_button(question: Call) -> tuple[str, str]:
    for block in question.payload.get("blocks", []):
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == SKIP:
                return SKIP, str(element["value"])
    raise BenchError("a question without answer buttons has no Skip button either")
