"""Answered and closed question messages are rendered once per prompt, label and mention."""

from __future__ import annotations

from bot.render import create_environment
from bot.slack import render
from bot.slack.render import SlackRenderer
from dialogs.flow import Flow
from dialogs.turn import Answered


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
