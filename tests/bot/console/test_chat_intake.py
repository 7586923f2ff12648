"""The terminal chat with a description (issue 16): the intro offers both ways in, the review
shows each answer with the words it came from, one correction, then only the open questions,
and the summary says which answers came from the description."""

from __future__ import annotations

import re

from tests.bot.console.test_chat import chat

PARAGRAPH = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k"
)


def test_a_described_assessment_to_the_summary() -> None:
    # describe, the paragraph, one correction, confirm, then the first option at every open
    # question (more 1s than needed: after the summary they only get a hint).
    result = chat(["describe", PARAGRAPH, "change team", "4", "yes", *["1"] * 20], columns=100)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())  # unfolded
    assert "Two ways in: answer the questions step by step, or type describe" in out
    assert "Describe your situation in a few sentences" in out
    assert (
        'Data sensitivity: Regulated (health, finance, personal data) <- "personal data under GDPR"'
        in out
    )
    assert 'Budget: $10k to $100k, one to three months <- "budget around $50k"' in out
    assert "Still to ask (17): Value of a better answer" in out
    assert "Team skills: ML engineers with MLOps (your change)" in out
    assert "Using 7 answers from your description." in out
    asked = re.findall(r"\[\d+/\d+\] ([^?]+\?)", result.stdout.split("Using 7 answers")[1])
    prompts = set(asked)
    assert "Where is the product or use case today?" not in prompts
    assert "What budget and time do you have for a first production version?" not in prompts
    assert "How much is a better answer worth to you?" in prompts
    assert "YOUR SUMMARY" in out
    assert (
        "From your description: Stage, Data sensitivity, Monthly volume, Exact monthly tokens, "
        "GPUs and operations, Budget"
    ) in out
    assert "Traceback" not in result.stderr
