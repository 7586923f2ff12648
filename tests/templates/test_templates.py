"""Every reply renders through templates/console/; replies survive the duplicate cache."""

from __future__ import annotations

import typing

import jinja2
import pytest

from bot.check import sample_replies
from bot.render import Renderer, create_environment, plain
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow
from dialogs.replies import Forget, Notice, Reply

# Every reply a person can see (Forget is an effect the advisor replaces by a notice).
ALL_KINDS = {
    cls.__dataclass_fields__["kind"].default for cls in typing.get_args(Reply) if cls is not Forget
}


def test_sample_conversation_has_every_reply_kind(flow: Flow, costs: CostAssumptions) -> None:
    kinds = {r.kind for r in sample_replies(flow, costs)}
    assert kinds == ALL_KINDS


def test_every_reply_renders(flow: Flow, costs: CostAssumptions) -> None:
    renderer = Renderer(env=create_environment(), flow=flow, folder="console")
    for reply in sample_replies(flow, costs):
        text = renderer.render(f"{reply.kind}.txt.j2", r=reply)
        assert text.strip(), reply.kind


def test_templates_are_strict(flow: Flow) -> None:
    renderer = Renderer(env=create_environment(), flow=flow, folder="console")
    with pytest.raises(Exception) as caught:
        renderer.render("why.txt.j2")  # no `r`
    assert "templates/console/why.txt.j2" in str(caught.value)
    assert isinstance(caught.value.__cause__, jinja2.UndefinedError)


def test_echoed_text_cannot_drive_the_terminal(flow: Flow) -> None:
    renderer = Renderer(env=create_environment(), flow=flow, folder="console")
    evil = "\x1b[2J\x1b]0;pwned\x07 hi \u202egnp.exe"
    notice = Notice(code="invalid_choice", text="No match.", level="warning", echo=evil)
    out = renderer.render("notice.txt.j2", r=notice)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert plain("line one\nline\ttwo\x00\x9b") == "line one\nline\ttwo"
