"""The optional intake model (issue 16) against a local stand-in OpenAI-compatible server:
valid JSON is used, invalid ids and answers without evidence are dropped, a slow or failing
server falls back to the rules, and the text is sent only when a model is configured."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.intake_model import ModelSettings, describe, request_body
from dialogs.flow import Flow
from dialogs.intake import extract
from tests.support.openai_standin import OpenAIStandIn as StandIn
from tests.support.openai_standin import answers, openai_standin

ROOT = Path(__file__).resolve().parents[2]
TEXT = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k"
)


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    async with openai_standin() as server:
        yield server


def settings(standin: StandIn, timeout: float = 4.0) -> ModelSettings:
    return ModelSettings(url=standin.url, model="m1", api_key="k1", timeout_seconds=timeout)


async def test_valid_json_is_used(flow: Flow, standin: StandIn) -> None:
    standin.content = answers(
        value=("core_feature", "fintech"),
        data_sensitivity=("regulated", "personal data under GDPR"),
        monthly_tokens=(300_000_000, "300M tokens a month"),
    )
    intake, source = await describe(flow, TEXT, settings(standin))
    assert source == "model"
    assert intake.answers() == {
        "value": "core_feature",
        "data_sensitivity": "regulated",
        "monthly_tokens": "300000000",
        "volume": "10m_500m",  # from the figure
    }
    assert intake.found["data_sensitivity"].evidence == "personal data under GDPR"
    assert "stage" in intake.open and "value" not in intake.open
    sent = standin.requests[0]
    assert sent["model"] == "m1" and sent["messages"][1]["content"] == TEXT
    assert "data_sensitivity" in sent["messages"][0]["content"]
    assert standin.headers[0]["Authorization"] == "Bearer k1"


async def test_invalid_ids_and_answers_without_evidence_are_dropped(
    flow: Flow, standin: StandIn
) -> None:
    standin.content = (
        "```json\n"
        + answers(
            stage=("mvp", "MVP"),
            team=("wizards", "two ML engineers"),  # not an option
            nonsense=("x", "fintech"),  # not a question
            gpus=("none", "we have no GPUs at all"),  # not the person's words
            budget=("10k_100k", ""),  # no evidence
            volume=("over_10b", "about 300M tokens a month"),
            monthly_tokens=(300_000_000, "300M tokens"),  # disagrees with the range: dropped
        )
        + "\n```"
    )
    intake, source = await describe(flow, TEXT, settings(standin))
    assert source == "model"
    assert intake.answers() == {"stage": "mvp", "volume": "over_10b"}


@pytest.mark.parametrize("mode", ["slow", "error", "not json", "wrong shape"])
async def test_a_slow_or_failing_server_falls_back_to_the_rules(
    flow: Flow, standin: StandIn, mode: str
) -> None:
    if mode == "slow":
        standin.delay = 1.5
    elif mode == "error":
        standin.status = 500
    elif mode == "not json":
        standin.content = "Sure! Here are the answers: stage is mvp"
    else:
        standin.content = '["stage", "mvp"]'
    intake, source = await describe(flow, TEXT, settings(standin, timeout=0.3))
    rules = extract(flow, TEXT)
    assert standin.requests  # it was asked
    if mode == "wrong shape":  # valid JSON of no use: nothing from the model, nothing invented
        assert source == "model" and intake.found == {}
    else:
        assert source == "rules" and intake.answers() == rules.answers()


async def test_the_text_is_sent_only_when_configured(flow: Flow, standin: StandIn) -> None:
    intake, source = await describe(flow, TEXT, None)
    assert source == "rules" and intake.answers() == extract(flow, TEXT).answers()
    assert standin.requests == []


def test_the_request_names_every_question_and_option(flow: Flow) -> None:
    body = request_body(flow, "hello", "m")
    system = body["messages"][0]["content"]
    for q in flow.questions:
        assert f"- {q.id}:" in system
        for o in q.options:
            assert f"{o.id} = {o.label}" in system
    assert body["response_format"] == {"type": "json_object"} and body["temperature"] == 0


def test_the_endpoint() -> None:
    base = ModelSettings(url="http://h:8000/v1/", model="m")
    assert base.endpoint == "http://h:8000/v1/chat/completions" and base.host == "h:8000"
    full = ModelSettings(url="https://u:secret@api.example/v1/chat/completions", model="m")
    assert full.host == "api.example"
    assert full.endpoint == "https://u:secret@api.example/v1/chat/completions"


async def run_cli(args: list[str], stdin: str, env: dict[str, str]) -> tuple[int, str, str]:
    """`llm-advisor` in a subprocess, awaited (the stand-in keeps serving meanwhile)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "REDIS_URL"))}
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        base.pop(name, None)
    base["PYTHONPATH"] = str(ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**base, **env},
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_assess_describe_uses_the_configured_model(standin: StandIn) -> None:
    standin.content = answers(stage=("live", "MVP live"))
    env = {"ADVISOR_LLM_URL": standin.url, "ADVISOR_LLM_MODEL": "m1"}
    code, out, err = await run_cli(["assess", "--describe", "-"], TEXT, env)
    assert code == 0, err
    assert json.loads(out)["extracted"] == {"stage": {"answer": "live", "evidence": "MVP live"}}
    assert f"read by the model at {standin.url.split('/')[2]}" in err
    assert standin.requests[0]["messages"][1]["content"] == TEXT
    assert "Authorization" not in standin.headers[0]  # no key configured, none sent


async def test_assess_describe_without_a_model_sends_nothing(standin: StandIn) -> None:
    code, out, err = await run_cli(["assess", "--describe", "-"], TEXT, {})
    assert code == 0 and "note:" not in err
    assert json.loads(out)["extracted"]["stage"]["answer"] == "mvp"
    assert standin.requests == []


async def test_half_a_model_configuration_is_refused_naming_it() -> None:
    code, _, err = await run_cli(["check"], "", {"ADVISOR_LLM_URL": "http://127.0.0.1:9/v1"})
    assert code != 0 and "ADVISOR_LLM_MODEL" in err + _


async def test_check_says_where_descriptions_go() -> None:
    env = {"ADVISOR_LLM_URL": "http://127.0.0.1:9/v1", "ADVISOR_LLM_MODEL": "m1"}
    _, out, err = await run_cli(["check"], "", env)
    said = out + err
    assert "free-text intake: descriptions are sent to the model m1 at 127.0.0.1:9" in said
    assert "typed in the chat or given to assess --describe" in said
    assert "at most 5 per person every 10 minutes, then the rules read them" in said
    _, out, err = await run_cli(["check"], "", {})
    assert "free-text intake: rules only (descriptions stay on this service)" in out + err
