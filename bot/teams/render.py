"""Replies to Adaptive Cards (version 1.5) through templates/teams/, parsed and size-checked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jinja2

from bot.render import JsonRenderer
from dialogs.errors import RenderError
from dialogs.flow import Flow
from dialogs.recovery import LOST_CODE
from dialogs.replies import Answered, Ask, IntakeReview, Intro, Notice, Reply, Summary

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_CARD_BYTES = 25_000  # Teams refuses cards over 28 KB; stay well inside it
# The bytes an intake review's rows may take (the rest of the card needs about 3,000): each
# row's text (its evidence cut to REVIEW_EVIDENCE, REVIEW_ROW for the block around it), then the
# change controls (REVIEW_CONTROL for the show card around each) in order while they fit.
REVIEW_BUDGET = 20_000
REVIEW_EVIDENCE = 300
REVIEW_ROW = 200
REVIEW_CONTROL = 250


@dataclass(frozen=True, kw_only=True)
class SubmitButton:
    title: str
    data: dict[str, str]
    style: str | None = None


class TeamsRenderer(JsonRenderer):
    def __init__(self, *, env: jinja2.Environment, flow: Flow) -> None:
        super().__init__(env=env, flow=flow, folder="teams")

    def _render(self, name: str, **context: Any) -> dict[str, Any]:
        card, size = self.render_json(name, **context)
        if size > MAX_CARD_BYTES:
            raise RenderError(
                f"templates/teams/{name}: card is {size} bytes, over {MAX_CARD_BYTES}"
            )
        return card

    def card(self, reply: Reply, *, owner: str, owner_name: str, in_thread: bool) -> dict[str, Any]:
        prefix = f"{owner_name}: " if in_thread and owner_name else ""
        context: dict[str, Any] = {"r": reply, "owner_prefix": prefix, "buttons": []}
        if isinstance(reply, Ask):
            context["option_buttons"] = [
                SubmitButton(
                    title=o.label,
                    data={"q": reply.question, "o": o.id, "s": reply.stamp, "u": owner},
                    style="positive" if o.id == reply.current else None,
                )
                for o in reply.options
            ]
            nav = []
            if reply.position > 1:
                nav.append(
                    SubmitButton(title="← Back", data={"cmd": "back", "u": owner, "s": reply.stamp})
                )
            if reply.skippable:
                nav.append(
                    SubmitButton(title="Skip", data={"cmd": "skip", "u": owner, "s": reply.stamp})
                )
            context["nav_buttons"] = nav
        elif isinstance(reply, Notice) and reply.code in ("confirm_restart", "confirm_forget"):
            context["buttons"] = [
                SubmitButton(
                    title="Yes, delete them"
                    if reply.code == "confirm_forget"
                    else "Yes, start over",
                    data={"cmd": "yes", "u": owner, "s": reply.stamp},
                    style="destructive",
                ),
                SubmitButton(
                    title="Keep my answers", data={"cmd": "no", "u": owner, "s": reply.stamp}
                ),
            ]
        elif isinstance(reply, IntakeReview):  # issue 16: confirm, change one, or drop them
            context["buttons"] = [
                SubmitButton(
                    title="Confirm all",
                    data={"cmd": "yes", "u": owner, "s": reply.stamp},
                    style="positive",
                ),
                SubmitButton(title="Drop all", data={"cmd": "no", "u": owner, "s": reply.stamp}),
            ]
            context["rows"] = self.review_rows(reply, owner)
            context["evidence_limit"] = REVIEW_EVIDENCE
        elif isinstance(reply, Notice) and reply.code == LOST_CODE:
            # The session is gone: the start button opens a fresh one here.
            context["buttons"] = [
                SubmitButton(title="Start again", data={"cmd": "start", "u": owner})
            ]
        elif isinstance(reply, Intro):
            context["start_button"] = None
            if reply.stamp:  # issue 16: the two ways in
                ways = {"u": owner, "s": reply.stamp}
                context["buttons"] = [
                    SubmitButton(
                        title="Describe your situation",
                        data={"cmd": "describe", **ways},
                        style="positive",
                    ),
                    SubmitButton(title="Answer step by step", data={"cmd": "steps", **ways}),
                ]
        elif isinstance(reply, Summary):
            context["edit_choices"] = [
                {"title": a.short, "value": a.question} for a in reply.answers
            ]
            context["edit_data"] = {"cmd": "edit", "u": owner, "s": reply.stamp}
            context["restart_data"] = {"cmd": "restart", "u": owner, "s": reply.stamp}
        return self._render(f"{reply.kind}.json.j2", **context)

    def review_rows(self, review: IntakeReview, owner: str) -> list[dict[str, Any]]:
        """One row per understood answer, with its change control (an Action.ShowCard holding
        the question's options, or a field for a figure, and a submit). The input is named
        `o.<question>` and the submit carries the question, owner and stamp: it arrives as
        an answer click (bot.teams.common.read_submit), bound to this showing."""
        rows = []
        # What the rows' text takes first; the controls get what is left, in order.
        left = REVIEW_BUDGET - sum(
            len(i.short) + len(i.label) + min(len(i.evidence), REVIEW_EVIDENCE) + REVIEW_ROW
            for i in review.items
        )
        for item in review.items:
            question = self.flow.question(item.question)
            if question is None:
                continue
            name = f"o.{question.id}"
            field: dict[str, Any] | None
            if question.options:
                field = {
                    "type": "Input.ChoiceSet",
                    "id": name,
                    "label": question.short,
                    "style": "compact",
                    "value": item.option,
                    "choices": [{"title": o.label, "value": o.id} for o in question.options],
                }
            else:
                field = {
                    "type": "Input.Number",
                    "id": name,
                    "label": f"{question.short} (tokens a month)",
                    "min": 1,
                }
            data = {"q": question.id, "s": review.stamp, "u": owner}
            cost = len(json.dumps({"field": field, "data": data})) + REVIEW_CONTROL
            if cost > left:
                field = None  # the card would grow too big: `change` is typed for this one
            else:
                left -= cost
            rows.append({"item": item, "field": field, "data": data})
        return rows

    def welcome(self, intro: Intro, *, owner: str) -> dict[str, Any]:
        """The card sent when the app is installed: the intro and a start button."""
        return self._render(
            "intro.json.j2", r=intro, owner_prefix="", start_button={"cmd": "start", "u": owner}
        )

    def answered(self, reply: Answered) -> dict[str, Any]:
        return self._render("answered.json.j2", r=reply, owner_prefix="")

    def closed(self, prompt: str) -> dict[str, Any]:
        gone = Answered(question="", prompt=prompt, option="", label="(moved on)", stamp="")
        return self.answered(gone)
