"""`llm-advisor check` loads the glossary behind `help <term>` and names what is wrong in it."""

from __future__ import annotations

from bot.check import run_checks


async def test_check_reports_the_glossary() -> None:
    problems, notes = await run_checks({})
    assert not [p for p in problems if "glossary" in p.file]
    assert any(n.startswith("glossary: ") and "dialogs/glossary.yaml" in n for n in notes)
