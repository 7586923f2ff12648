"""The terminal chat as a person reads it: folded to the terminal's width, words whole, and
honest about what `cancel` keeps."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console.chat import ConsoleChat, console_key
from bot.render import Renderer, create_environment, wrap
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.stores.memory import MemoryStore
from tests.conftest import make_advisor
from tests.support.answers import TYPED_ANSWERS

ROOT = Path(__file__).resolve().parents[3]

# Every kind of reply, the typed answers, an edit after the summary, then cancel.
SCRIPT = [
    "help",
    "why",
    "live",
    "back",
    "live",
    "status",
    "banana",
    "core",
    *TYPED_ANSWERS[2:],
    "edit team",
    "app",
    "results",
    "cancel",
]
COUNTER = re.compile(r"^\[(\d+)/(\d+)\] ", re.MULTILINE)


def chat(
    lines: list[str], *, columns: int | None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`llm-advisor chat` with stdout a pipe, as a test sees it; COLUMNS as given."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ADVISOR_", "REDIS_URL")) and k not in ("COLUMNS", "LINES")
    }
    base["PYTHONPATH"] = str(ROOT)
    if columns is not None:
        base["COLUMNS"] = str(columns)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result


def words(text: str) -> list[str]:
    """The words in order; the summary's "=====" rules are drawn to the width, so left out."""
    return [w for w in text.split() if set(w) != {"="}]


@pytest.fixture(scope="module")
def unfolded() -> str:
    """The same transcript on a terminal wide enough that nothing is folded."""
    return chat(SCRIPT, columns=10_000).stdout


@pytest.mark.parametrize("width", [60, 120])
def test_transcript_is_folded_to_the_terminal_width(width: int, unfolded: str) -> None:
    out = chat(SCRIPT, columns=width).stdout
    assert any(len(line) > width for line in unfolded.splitlines())  # there was folding to do
    too_long = [line for line in out.splitlines() if len(line) > width]
    assert too_long == []
    # Folding only moves line breaks: every word arrives whole and in order ("abov" / "e" not).
    assert words(out) == words(unfolded)
    assert "YOUR SUMMARY" in out and "UPDATED SUMMARY" in out


def test_piped_output_without_columns_is_folded_to_80(unfolded: str) -> None:
    out = chat(SCRIPT, columns=None).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert words(out) == words(unfolded)


def test_counter_total_holds_through_the_follow_up_question() -> None:
    out = chat(["live", "core", *TYPED_ANSWERS[2:]], columns=None).stdout
    shown = [(int(p), int(t)) for p, t in COUNTER.findall(out)]
    assert [p for p, _ in shown] == list(range(1, 25))
    assert {t for _, t in shown} == {24}  # "[7/24]" then "[8/24]", never "[7/23]" to "[8/24]"


def test_counter_total_shrinks_when_the_follow_up_is_ruled_out() -> None:
    order = ["live", "core", *TYPED_ANSWERS[2:6], "not sure", *TYPED_ANSWERS[8:]]
    out = chat(order, columns=None).stdout
    shown = [(int(p), int(t)) for p, t in COUNTER.findall(out)]
    assert [p for p, _ in shown] == list(range(1, 24))
    assert [t for _, t in shown] == [24] * 7 + [23] * 16


def test_cancel_on_the_memory_store_does_not_promise_to_keep_answers() -> None:
    out = chat(["live", "cancel"], columns=None).stdout
    assert "send any message to carry on" not in out
    assert "in memory only" in out and "set REDIS_URL" in out


def test_cancel_with_redis_keeps_the_shared_text(redis_url: str) -> None:
    out = chat(["live", "cancel"], columns=None, env={"REDIS_URL": redis_url}).stdout
    assert "Stopped. Your answers are kept; send any message to carry on" in out
    assert "in memory only" not in out


def scripted_chat(
    flow: Flow, config: EngineConfig, lines: list[str], width: int
) -> tuple[ConsoleChat, list[str]]:
    """A chat on the memory store reading `lines`, its output collected, at a fixed width."""
    out: list[str] = []
    script = iter(lines)

    async def read_line() -> str | None:
        return next(script, None)

    chat = ConsoleChat(
        advisor=make_advisor(flow, MemoryStore(), config),
        renderer=Renderer(env=create_environment(), flow=flow, folder="console"),
        key=console_key("width", user="tester"),
        read_line=read_line,
        write=out.append,
        persistent=False,
        width=lambda: width,
    )
    return chat, out


async def test_the_chat_folds_every_reply_to_its_width(
    flow: Flow, engine_config: EngineConfig
) -> None:
    narrow_chat, narrow = scripted_chat(flow, engine_config, SCRIPT, 44)
    wide_chat, wide = scripted_chat(flow, engine_config, SCRIPT, 10_000)
    assert await narrow_chat.run() == 0 and await wide_chat.run() == 0
    text = "\n".join(narrow)
    assert max(len(line) for line in text.splitlines()) <= 44
    assert words(text) == words("\n".join(wide))


def test_wrap_hangs_continuations_under_the_text_and_keeps_commands_whole() -> None:
    text = (
        "  1) Prompting a strong hosted model is good enough for most of what you need\n"
        "[10/24] What explanations do users, auditors or regulators need?\n"
        "Bye. Your answers are kept; run `llm-advisor chat --session my-team` to continue."
    )
    assert wrap(text, 40).splitlines() == [
        "  1) Prompting a strong hosted model is",
        "     good enough for most of what you",
        "     need",
        "[10/24] What explanations do users,",
        "        auditors or regulators need?",
        "Bye. Your answers are kept; run",
        "`llm-advisor chat --session my-team` to",
        "continue.",
    ]


def test_wrap_leaves_a_word_longer_than_the_width_whole() -> None:
    long = "x" * 30
    assert wrap(f"see {long} here", 20).splitlines() == ["see", long, "here"]
    assert wrap("short\n\n  kept", 20) == "short\n\n  kept"
