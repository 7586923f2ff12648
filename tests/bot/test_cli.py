"""The command line as a person uses it: real processes, real stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.answers import FULL_ANSWERS, TYPED_ANSWERS
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def run(
    args: list[str], stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "REDIS_URL"))}
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd or ROOT,
        timeout=120,
        check=False,
    )


def typed_answers(order: list[str]) -> str:
    return "\n".join(order) + "\n"


# The typed transcript, starting with the stage's name and answering the third question by number.
ORDER = ["live", "core", "3", *TYPED_ANSWERS[3:]]


def test_chat_walks_the_whole_framework_on_embedded_defaults(tmp_path: Path) -> None:
    result = run(["chat"], stdin=typed_answers(ORDER), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ladder" in out and "Commands you can type" in out  # the intro
    assert "[1/16] Where is the product" in out
    assert "YOUR SUMMARY" in out
    assert "Fine-tune an open model" in out
    assert "Cost parity only counts if the cheaper model matches quality on your own evals" in out
    assert "Traceback" not in out + result.stderr


def test_chat_commands_and_edit_after_summary(tmp_path: Path) -> None:
    script = [
        "help",
        "why",
        "live",
        "back",
        "live",
        "status",
        "banana",
        *ORDER[1:],
        "edit team",
        "app",
        "cancel",
    ]
    result = run(["chat"], stdin=typed_answers(script), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Why we ask:" in out and "Progress: 1 of" in out
    assert "Valid choices: 1) Nice to have" in out
    assert "UPDATED SUMMARY" in out and "Stopped." in out


def test_chat_resumes_a_named_session_from_redis(redis_url: str, tmp_path: Path) -> None:
    name = "resume-" + uuid.uuid4().hex[:6]
    env = {"REDIS_URL": redis_url}
    first = run(["chat", "--session", name], stdin="live\ncore\n", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"llm-advisor chat --session {name}" in first.stdout
    second = run(["chat", "--session", name], stdin="status\n", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Welcome back" in second.stdout
    assert "[3/16] With a good prompt" in second.stdout
    assert "Value of a better answer: A core product feature" in second.stdout


def test_chat_with_redis_down_says_progress_is_kept(tmp_path: Path) -> None:
    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    result = run(["chat"], stdin="live\n", env=env, cwd=tmp_path)
    assert result.returncode == 0
    assert "briefly unavailable" in result.stdout and "progress is kept" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def write_answers(tmp_path: Path, answers: dict[str, object]) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    return path


def test_assess_json(tmp_path: Path) -> None:
    result = run(["assess", "--answers", str(write_answers(tmp_path, dict(FULL_ANSWERS)))])
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["flow"] == "llm-build-vs-buy" and data["recommendation"]["depth"] == "fine_tune"
    assert data["cost"]["monthly_tokens"] == 2_000_000_000
    assert "monthly_tokens" not in data["answers"]


def test_assess_markdown_from_stdin() -> None:
    result = run(
        ["assess", "--answers", "-", "--format", "markdown"], stdin=json.dumps(FULL_ANSWERS)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Fine-tune an open model")
    assert (
        "## What would change the advice" in result.stdout and "## Cost comparison" in result.stdout
    )


def test_assess_reports_every_problem_with_exit_2_and_no_stdout(tmp_path: Path) -> None:
    answers: dict[str, object] = {
        k: v for k, v in FULL_ANSWERS.items() if k not in ("budget", "gpus")
    }
    answers["stage"] = "unicorn"
    answers["mood"] = "great"
    result = run(["assess", "--answers", str(write_answers(tmp_path, answers))])
    assert result.returncode == 2
    assert result.stdout == ""
    err = result.stderr
    assert "stage: unknown option 'unicorn'" in err
    assert "mood: unknown question" in err
    assert "budget: missing answer" in err and "gpus: missing answer" in err


def test_assess_partial_treats_missing_as_skipped(tmp_path: Path) -> None:
    answers = {
        "stage": "idea",
        "value": "nice_to_have",
        "current_gap": "not_tried",
        "data_sensitivity": "public",
    }
    result = run(["assess", "--partial", "--answers", str(write_answers(tmp_path, answers))])
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "budget" in data["skipped"] and "stage" not in data["skipped"]
    assert data["recommendation"]["depth"] == "prompting"


def test_assess_bad_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for args in (["--answers", str(bad)], ["--answers", str(tmp_path / "nope.json")]):
        result = run(["assess", *args])
        assert result.returncode == 2 and result.stdout == "" and "error:" in result.stderr


def test_check_passes_on_defaults() -> None:
    result = run(["check"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all sound" in result.stdout
    assert "session retention: 30 days" in result.stdout


def test_check_reports_every_problem_with_file_and_field(tmp_path: Path) -> None:
    flow = (ROOT / "dialogs" / "flows" / "build_vs_buy.yaml").read_text()
    broken = tmp_path / "flow.yaml"
    broken.write_text(
        flow.replace("assume: app_devs", "assume: wizards").replace("version: 1", "version: zero")
    )
    env = {"ADVISOR_FLOW_FILE": str(broken), "ADVISOR_SESSION_TTL_DAYS": "forever"}
    result = run(["check"], env=env)
    assert result.returncode == 1
    out = result.stdout
    assert "environment: ADVISOR_SESSION_TTL_DAYS: must be a whole number" in out
    assert f"{broken}: flow.version: must be a whole number" in out
    assert f"{broken}: question team.assume: must name one of the question's options" in out


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REDIS_URL", "http://nope", "REDIS_URL: must start with redis://"),
        ("ADVISOR_SESSION_TTL_DAYS", "0", "ADVISOR_SESSION_TTL_DAYS: must be between"),
        ("ADVISOR_SESSION_CACHE", "-1", "ADVISOR_SESSION_CACHE: must be between"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(
    name: str, value: str, message: str
) -> None:
    result = run(["chat"], env={name: value})
    assert result.returncode == 2
    assert message in result.stderr


def test_forget_in_the_terminal(tmp_path: Path) -> None:
    result = run(["chat"], stdin="live\nforget\nyes\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cannot be undone" in result.stdout and "Deleted 1 saved assessment" in result.stdout


@pytest.mark.parametrize(
    ("args", "missing", "absent"),
    [
        (["slack"], "SLACK_SIGNING_SECRET", "MICROSOFT_APP_ID"),
        (["teams"], "MICROSOFT_APP_ID", "SLACK_"),
    ],
    ids=["slack", "teams"],
)
def test_serving_one_platform_names_only_what_it_misses(
    args: list[str], missing: str, absent: str
) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "TEAMS_DEV_MODE": "false"}
    env |= {n: "" for n in ("SLACK_SIGNING_SECRET", "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD")}
    result = run([*args, "--port", str(free_port())], env=env)
    assert result.returncode == 2, result.stderr
    assert missing in result.stderr and absent not in result.stderr
    assert "Traceback" not in result.stderr
