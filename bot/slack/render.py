"""Replies to Block Kit, through templates/slack/: values go through `tojson`, output is parsed."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from json.encoder import encode_basestring_ascii as escape
from typing import Any

import jinja2

from bot.render import JsonRenderer, Recent
from dialogs.flow import Flow
from dialogs.intake_dialog import ASK_AGAIN
from dialogs.recovery import LOST_CODE
from dialogs.replies import Answered, Ask, IntakeReview, Intro, Notice, Reply, Summary

# Button action ids; every one has a handler in bot/slack/app.py (a test keeps them in step).
ANSWER_PREFIX = "answer_"
COMMAND_ACTIONS = {
    "cmd_back": "back",
    "cmd_skip": "skip",
    "cmd_yes": "yes",
    "cmd_no": "no",
    "summary_restart": "restart",
    # The intro's two ways in (issue 16).
    "cmd_describe": "describe",
    "cmd_steps": "steps",
}
SUMMARY_EDIT = "summary_edit"
SUMMARY_SHARE = "summary_share"
HOME_START = "home_start"


@dataclass(frozen=True, kw_only=True)
class Button:
    action_id: str
    text: str
    value: str
    style: str | None = None


def value(**fields: str) -> str:
    """A button's value: compact JSON of short string fields (each escaped by the C encoder;
    the same text as json.dumps with separators=(",", ":"))."""
    return "{" + ",".join(f'"{name}":{escape(text)}' for name, text in fields.items()) + "}"


# The review card's rows, at most (Slack allows 50 blocks a message), and the characters of
# blocks its rows may take (Slack refuses messages of about 12,000; the rest of the card needs
# about 1,500): each row's text (its evidence cut to REVIEW_EVIDENCE, REVIEW_ROW for the block
# around it), then the change controls in order while they fit; a row past it shows none.
MAX_REVIEW_ROWS = 40
REVIEW_BUDGET = 10_000
REVIEW_EVIDENCE = 150
REVIEW_ROW = 160


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Rendered messages kept, at most, of each kind. An answered (or closed) question depends only
# on its prompt, label and @-mention prefix; a question on everything but its stamp and its
# owner, which reach only the buttons' values. A few hundred of each cover a flow in DMs.
ANSWERED_CACHE_SIZE = 2048
ASK_CACHE_SIZE = 2048
# What an Ask's message is rendered from, the stamp aside (new fields join automatically).
_ASK_LAYOUT_FIELDS = tuple(f.name for f in fields(Ask) if f.name != "stamp")


class SlackRenderer(JsonRenderer):
    def __init__(self, *, env: jinja2.Environment, flow: Flow) -> None:
        super().__init__(env=env, flow=flow, folder="slack")
        self._answered: Recent[tuple[str, str, str], dict[str, Any]] = Recent(ANSWERED_CACHE_SIZE)
        self._asks: Recent[tuple[object, ...], dict[str, Any]] = Recent(ASK_CACHE_SIZE)

    def _render(self, name: str, **context: Any) -> dict[str, Any]:
        return self.render_json(name, **context)[0]

    @staticmethod
    def prefix(owner: str | None) -> str:
        return f"<@{owner}> " if owner else ""

    def reply(self, reply: Reply, *, owner: str, in_thread: bool) -> dict[str, Any]:
        """Block Kit message payload (`text` and `blocks`) for one reply."""
        prefix = self.prefix(owner if in_thread else None)
        if isinstance(reply, Answered):
            return self._answered_message(reply.prompt, reply.label, prefix)
        if isinstance(reply, Ask):
            return self._ask_message(reply, owner, prefix)
        context: dict[str, Any] = {"r": reply, "owner_prefix": prefix, "buttons": []}
        if isinstance(reply, Notice) and reply.code in ("confirm_restart", "confirm_forget"):
            context["buttons"] = [
                Button(
                    action_id="cmd_yes",
                    text="Yes, delete them"
                    if reply.code == "confirm_forget"
                    else "Yes, start over",
                    value=value(u=owner, s=reply.stamp),
                    style="danger",
                ),
                Button(
                    action_id="cmd_no", text="Keep my answers", value=value(u=owner, s=reply.stamp)
                ),
            ]
        elif isinstance(reply, IntakeReview):  # issue 16: confirm, change one, or drop them
            confirm = value(u=owner, s=reply.stamp)
            context["buttons"] = [
                Button(action_id="cmd_yes", text="Confirm all", value=confirm, style="primary"),
                Button(action_id="cmd_no", text="Drop all", value=confirm),
            ]
            context["rows"] = self.review_rows(reply, owner)
            context["evidence_limit"] = REVIEW_EVIDENCE
        elif isinstance(reply, Intro) and reply.stamp:  # issue 16: the two ways in
            ways = value(u=owner, s=reply.stamp)
            context["buttons"] = [
                Button(
                    action_id="cmd_describe",
                    text="Describe your situation",
                    value=ways,
                    style="primary",
                ),
                Button(action_id="cmd_steps", text="Answer step by step", value=ways),
            ]
        elif isinstance(reply, Notice) and reply.code == LOST_CODE:
            # The session is gone: the App Home's start button opens a fresh one (in the DM).
            start = Button(action_id=HOME_START, text="Start again", value=value(u=owner))
            context["buttons"] = [start]
        elif isinstance(reply, Summary):
            context["owner_value"] = value(u=owner, s=reply.stamp)
            context["actions_block"] = "summary_actions:" + value(u=owner, s=reply.stamp)
            context["edit_options"] = [
                {"text": a.short, "value": value(q=a.question)} for a in reply.answers
            ]
            context["shareable"] = True
        payload = self._render(f"{reply.kind}.json.j2", **context)
        return fitted(payload) if isinstance(reply, Summary) else payload

    def _ask_message(self, ask: Ask, owner: str, prefix: str) -> dict[str, Any]:
        """ask.json.j2, rendered once per layout (a test holds the stamp and the owner to the
        buttons' values); each caller gets its own copy of the answers block, values filled."""
        buttons = self.ask_buttons(ask, owner)
        key = (*(getattr(ask, name) for name in _ASK_LAYOUT_FIELDS), prefix)
        layout = self._asks.get(key)
        if layout is None:
            layout = self._render("ask.json.j2", r=ask, owner_prefix=prefix, buttons=buttons)
            self._asks.put(key, layout)
        return _with_values(layout, [b.value for b in buttons])

    def ask_buttons(self, ask: Ask, owner: str) -> list[Button]:
        buttons = [
            Button(
                action_id=f"{ANSWER_PREFIX}{o.number}",
                text=o.label,
                value=value(q=ask.question, o=o.id, s=ask.stamp, u=owner),
                style="primary" if o.id == ask.current else None,
            )
            for o in ask.options
        ]
        if ask.position > 1:
            buttons.append(
                Button(action_id="cmd_back", text="← Back", value=value(u=owner, s=ask.stamp))
            )
        if ask.skippable:
            buttons.append(
                Button(action_id="cmd_skip", text="Skip", value=value(u=owner, s=ask.stamp))
            )
        return buttons

    def review_rows(self, review: IntakeReview, owner: str) -> list[dict[str, Any]]:
        """One row per understood answer, with its change control: a menu of the question's
        options, or (a figure) a button that asks it. They travel the answer buttons' path
        (`ANSWER_PREFIX`, question and option); owner and stamp ride once in the block id."""
        rows = []
        items = review.items[:MAX_REVIEW_ROWS]
        # What the rows' text takes first; the controls get what is left, in order.
        left = REVIEW_BUDGET - sum(
            len(i.short) + len(i.label) + min(len(i.evidence), REVIEW_EVIDENCE) + REVIEW_ROW
            for i in items
        )
        for n, item in enumerate(items, 1):
            question = self.flow.question(item.question)
            if question is None:
                continue
            control: dict[str, Any] | None
            if question.options:
                control = {
                    "type": "static_select",
                    "action_id": f"{ANSWER_PREFIX}{n}",
                    "placeholder": {"type": "plain_text", "text": "Change"},
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": _short(o.label, 75)},
                            "value": value(q=question.id, o=o.id),
                        }
                        for o in question.options[:100]
                        if o.id != item.option
                    ],
                }
            else:
                control = {
                    "type": "button",
                    "action_id": f"{ANSWER_PREFIX}{n}",
                    "text": {"type": "plain_text", "text": "Change"},
                    "value": value(q=question.id, o=ASK_AGAIN),
                }
            cost = len(json.dumps(control, ensure_ascii=False))
            if cost > left:
                control = None  # the message would grow too big: `change` is typed for this one
            else:
                left -= cost
            rows.append(
                {
                    "item": item,
                    "block_id": f"review_{n}:" + value(u=owner, s=review.stamp),
                    "control": control,
                }
            )
        return rows

    def closed(self, prompt: str, *, owner: str, in_thread: bool, note: str) -> dict[str, Any]:
        """A question message that is no longer current: its buttons go away."""
        return self._answered_message(prompt, note, self.prefix(owner if in_thread else None))

    def _answered_message(self, prompt: str, label: str, prefix: str) -> dict[str, Any]:
        """answered.json.j2, which reads only these three (a test holds it to that), rendered
        once per distinct three. Each caller gets its own top-level dict; the blocks inside
        are shared and nothing downstream changes them."""
        key = (prompt, label, prefix)
        payload = self._answered.get(key)
        if payload is None:
            gone = Answered(question="", prompt=prompt, option="", label=label, stamp="")
            payload = self._render("answered.json.j2", r=gone, owner_prefix=prefix)
            self._answered.put(key, payload)
        return dict(payload)

    def shared(self, summary: Summary, *, sharer: str) -> dict[str, Any]:
        return self._render("shared.json.j2", r=summary, owner_prefix=f"Shared by <@{sharer}>: ")

    def home(self, summary: Summary | None) -> dict[str, Any]:
        return self._render(
            "home.json.j2",
            r=summary,
            owner_prefix="",
            title=self.flow.title,
            intro=self.flow.intro,
        )


# Slack refuses messages of about 12,000 characters of blocks (shared engineering notes). A summary
# over this budget (an updated one starts with what changed) first drops the line that repeats
# the answers (the "Change an answer" menu and `status` list them too).
SUMMARY_BLOCKS_BUDGET = 11_900
_DROPPABLE = ("*Your answers:*",)


def blocks_size(blocks: list[dict[str, Any]]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))


def fitted(message: dict[str, Any]) -> dict[str, Any]:
    """The summary message, its droppable context lines left out while it is over budget."""
    blocks = list(message["blocks"])
    for prefix in _DROPPABLE:
        if blocks_size(blocks) <= SUMMARY_BLOCKS_BUDGET:
            break
        blocks = [b for b in blocks if not _context_starting(b, prefix)]
    return {**message, "blocks": blocks}


def _context_starting(block: dict[str, Any], prefix: str) -> bool:
    elements = block.get("elements") if block.get("type") == "context" else None
    if not isinstance(elements, list) or not elements or not isinstance(elements[0], dict):
        return False
    return str(elements[0].get("text", "")).startswith(prefix)


def _with_values(message: dict[str, Any], values: list[str]) -> dict[str, Any]:
    """A copy of a question message whose answer buttons carry `values`, in order; the other
    blocks are shared, as nothing downstream changes them."""
    blocks = list(message["blocks"])
    for i, block in enumerate(blocks):
        if block.get("block_id") == "answers":
            elements = block["elements"]
            if len(elements) != len(values):
                raise ValueError("ask.json.j2 renders one element per button, in order")
            filled = [{**e, "value": v} for e, v in zip(elements, values, strict=True)]
            blocks[i] = {**block, "elements": filled}
    return {**message, "blocks": blocks}
