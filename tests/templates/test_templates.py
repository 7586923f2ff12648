"""Every reply renders through templates/console/; replies survive the duplicate cache."""

from __future__ import annotations

import typing

import jinja2
import pytest

from bot.check import sample_replies
from bot.render import Renderer, create_environment, plain, plural
from dialogs.cost import CostAssumptions
from dialogs.flow import Flow
from dialogs.replies import Export, Forget, Notice, Reply, Status
from dialogs.wording import plurals

# Every reply a person can see (Forget and Export are effects the advisor replaces by notices).
ALL_KINDS = {
    cls.__dataclass_fields__["kind"].default
    for cls in typing.get_args(Reply)
    if cls not in (Forget, Export)
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


def test_plural_counts_its_noun() -> None:
    assert plural(1, "question") == "1 question"
    assert plural(0, "question") == "0 questions"
    assert plural(2, "child", "children") == "2 children"
    assert plurals("Deleted 1 saved assessment(s); 12 file(s) and some note(s).") == (
        "Deleted 1 saved assessment; 12 files and some notes."
    )


@pytest.mark.parametrize(
    ("count", "expected"), [(1, "1 saved assessment "), (3, "3 saved assessments ")]
)
def test_counted_messages_read_as_plurals(flow: Flow, count: int, expected: str) -> None:
    notice = Notice(code="forgotten", text=flow.message("forgotten", count=count))
    for folder, name in (("console", "notice.txt.j2"), ("slack", "notice.json.j2")):
        renderer = Renderer(env=create_environment(), flow=flow, folder=folder)
        out = renderer.render(name, r=notice, owner_prefix="", buttons=[])
        assert f"Deleted {expected}of yours" in out and "(s)" not in out, folder


def test_status_counts_in_words(flow: Flow) -> None:
    renderer = Renderer(env=create_environment(), flow=flow, folder="console")
    one = Status(
        answered_count=0, total=1, state="asking", current_prompt=None, answers=(), skipped=()
    )
    assert renderer.render("status.txt.j2", r=one).startswith("Progress: 0 of 1 question done.")


def test_restart_confirmation_reads_right_for_one_answer(flow: Flow) -> None:
    renderer = Renderer(env=create_environment(), flow=flow, folder="console")
    text = flow.message("confirm_restart", count=1)
    out = renderer.render("notice.txt.j2", r=Notice(code="confirm_restart", text=text))
    assert "1 answers" not in out and "(1 so far)" in out
