"""The terminal chat with a description (issue 16): the intro offers both ways in, the review
shows each answer with the words it came from, one correction, then only the open questions,
and the summary says which answers came from the description."""

from __future__ import annotations

import asyncio
import os
import re
import sys

from tests.bot.console.test_chat import ROOT, chat
from tests.support.openai_standin import answers, openai_standin

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


def test_the_intro_lists_both_ways_in_and_the_prompt_says_the_text_stays_here() -> None:
    result = chat(["describe", "start", "quit"], columns=100)
    out = " ".join(result.stdout.split())
    assert "Choose a way in, at any question:" in out
    assert "describe describe your situation in a few sentences of your own" in out
    assert "start answer step by step, from the question below" in out
    assert "Your description stays on this service: it is read here, by rules" in out


async def run_chat(lines: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """`llm-advisor chat` in a subprocess, awaited (a stand-in server keeps serving meanwhile)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "REDIS_URL"))}
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "COLUMNS"):
        base.pop(name, None)
    base.update(PYTHONPATH=str(ROOT), COLUMNS="200")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "chat",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**base, **env},
        cwd=ROOT,
    )
    stdin = "".join(f"{line}\n" for line in lines).encode()
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_a_configured_model_reads_the_description_in_the_terminal() -> None:
    async with openai_standin() as model:
        model.content = answers(stage=("live", "MVP live"))
        env = {"ADVISOR_LLM_URL": model.url, "ADVISOR_LLM_MODEL": "m1"}
        code, out, err = await run_chat(["describe", PARAGRAPH, "yes", "quit"], env)
    assert code == 0, err
    said = " ".join(out.split())
    host = model.url.split("/")[2]
    assert f"Your description will be read by the model m1 at {host}" in said
    assert 'Stage: Live with steady usage <- "MVP live"' in said
    assert "Using 1 answer from your description." in said
    assert model.texts == [PARAGRAPH]
    assert PARAGRAPH not in err  # the text is never logged (ADVISOR_LOG_DEBUG_TEXT is unset)
