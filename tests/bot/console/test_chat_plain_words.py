"""Plain words in the terminal chat: `help <term>`, and an updated summary that starts with
what changed."""

from __future__ import annotations

from tests.bot.console.test_chat import chat
from tests.support.answers import TYPED_ANSWERS


def test_help_term_and_what_changed_in_the_terminal() -> None:
    script = ["help lora", "help nonsense", *TYPED_ANSWERS, "edit team", "app", "cancel"]
    out = chat(script, columns=200).stdout
    assert "LoRA: Low-rank adaptation" in out
    assert "There is no plain-words entry for that yet" in out and "eval harness" in out
    updated = out[out.index("UPDATED SUMMARY") :]
    lines = updated.splitlines()
    assert lines[1] == "What changed"
    assert lines[2].startswith("  * ") and "->" in lines[2]
    assert "The advice stays the same." in updated or "How the advice moved" in updated
    assert "What changed" not in out[: out.index("UPDATED SUMMARY")]
