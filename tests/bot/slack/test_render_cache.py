"""Question messages are rendered once per layout, answered ones once per prompt, label and
mention; what each person gets equals a fresh render."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.check import sample_replies
from bot.render import create_environment
from bot.slack import render
from bot.slack.render import SlackRenderer
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow
from dialogs.replies import Answered, Ask
from tests.support.payloads import walk


def answered(**fields: str) -> Answered:
    base = {"question": "stage", "prompt": "Where are you?", "option": "live", "label": "Live"}
    return Answered(**{**base, "stamp": "s1", **fields})


def test_the_answered_template_reads_only_prompt_label_and_prefix(flow: Flow) -> None:
    """What the cache key rests on: other fields of the reply do not reach the message."""
    template = create_environment().get_template("slack/answered.json.j2")
    one = template.render(r=answered(), owner_prefix="<@U1> ", labels={})
    other = template.render(
        r=answered(question="other", option="x", stamp="s9"), owner_prefix="<@U1> ", labels={}
    )
    assert one == other
    assert template.render(r=answered(label="Scale"), owner_prefix="<@U1> ", labels={}) != one


def test_cached_messages_equal_fresh_ones_and_callers_cannot_change_them(flow: Flow) -> None:
    cached = SlackRenderer(env=create_environment(), flow=flow)
    for in_thread in (False, True, True):
        for reply in (answered(), answered(stamp="s2"), answered(label="Scale <b>")):
            fresh = SlackRenderer(env=create_environment(), flow=flow)
            got = cached.reply(reply, owner="U1", in_thread=in_thread)
            assert got == fresh.reply(reply, owner="U1", in_thread=in_thread)
            got["text"] = "changed by a caller"
            got["blocks"] = []
    assert cached.reply(answered(), owner="U1", in_thread=False)["text"] != "changed by a caller"
    closed = cached.closed("Where are you?", owner="U2", in_thread=True, note="(moved on)")
    assert "<@U2>" in closed["blocks"][0]["text"]["text"]
    assert "(moved on)" in closed["text"]


def test_the_cache_stays_bounded(flow: Flow) -> None:
    renderer = SlackRenderer(env=create_environment(), flow=flow)
    for i in range(render.ANSWERED_CACHE_SIZE + 50):
        renderer.reply(answered(label=f"label {i}"), owner="U1", in_thread=False)
    assert len(renderer._answered) == render.ANSWERED_CACHE_SIZE


def sample_ask(flow: Flow, costs: CostAssumptions) -> Ask:
    return next(r for r in sample_replies(flow, costs) if isinstance(r, Ask))


def without_values(message: dict[str, Any]) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(message))
    for node in walk(copy):
        if "value" in node:
            node["value"] = "<value>"
    return copy


def test_the_ask_template_puts_stamp_and_owner_only_in_button_values(
    flow: Flow, costs: CostAssumptions
) -> None:
    ask = sample_ask(flow, costs)
    one = SlackRenderer(env=create_environment(), flow=flow)
    two = SlackRenderer(env=create_environment(), flow=flow)
    first = one.reply(ask, owner="U1", in_thread=False)
    second = two.reply(replace(ask, stamp="other"), owner="U2", in_thread=False)
    assert first != second
    assert without_values(first) == without_values(second)


def test_cached_questions_equal_fresh_ones_for_every_owner_stamp_and_layout(
    flow: Flow, costs: CostAssumptions
) -> None:
    ask = sample_ask(flow, costs)
    cached = SlackRenderer(env=create_environment(), flow=flow)
    variants = [
        ask,
        replace(ask, stamp="s2"),
        replace(ask, current=ask.options[1].id, current_label=ask.options[1].label),
        replace(ask, position=ask.position + 1),  # a Back button
        replace(ask, skippable=not ask.skippable),
    ]
    for owner in ("U1", "U2"):
        for in_thread in (False, True):
            for reply in variants:
                fresh = SlackRenderer(env=create_environment(), flow=flow)
                got = cached.reply(reply, owner=owner, in_thread=in_thread)
                assert got == fresh.reply(reply, owner=owner, in_thread=in_thread)
                got["blocks"][-1]["elements"][0]["value"] = "changed by a caller"
                got["blocks"].clear()
    again = cached.reply(ask, owner="U1", in_thread=False)
    assert again == SlackRenderer(env=create_environment(), flow=flow).reply(
        ask, owner="U1", in_thread=False
    )
    # Four layouts (a new stamp is not one), each in a DM (shared by both owners) and in a
    # thread (where the message mentions its owner).
    assert len(cached._asks) == 4 * 3


@given(st.dictionaries(st.sampled_from("qosu"), st.text(max_size=30), max_size=4))
def test_button_values_are_compact_json(fields: dict[str, str]) -> None:
    assert render.value(**fields) == json.dumps(fields, separators=(",", ":"))
