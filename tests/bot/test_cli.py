"""The command line as a person uses it: real processes, real stdin and stdout."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli import build_parser
from dialogs.flow import Flow
from tests.support.answers import FULL_ANSWERS, TYPED_ANSWERS
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def run(
    args: list[str], stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "REDIS_URL"))}
    base["PYTHONPATH"] = str(ROOT)
    base["COLUMNS"] = "1000"  # the transcript unwrapped (tests/bot/console test the wrapping)
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


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The parser and, depth first, every sub-command's, each with the words that reach it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def test_every_command_and_option_says_what_it_does() -> None:
    found = dict(commands(build_parser()))
    assert ("assess",) in found and ("admin", "forget") in found
    for path, parser in found.items():
        assert parser.description, f"llm-advisor {' '.join(path)} --help has no description"
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                listed = {a.dest: a.help for a in action._choices_actions}
                assert listed.keys() == action.choices.keys(), path
                assert all(listed.values()), f"a sub-command of {path} has no one-line summary"
            elif action.option_strings:
                described = action.help not in (None, "", argparse.SUPPRESS)
                assert described, f"{' '.join(path)} {'/'.join(action.option_strings)}: no help"


def test_help_lists_each_command_with_its_summary_and_version_prints_it() -> None:
    result = run(["--help"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for path, _ in commands(build_parser()):
        if len(path) == 1:  # a top-level command: its name, then its summary
            [at] = [i for i, line in enumerate(lines) if line.split()[:1] == [path[0]]]
            summary = " ".join(lines[at].split()[1:]) or lines[at + 1].strip()
            assert summary, f"{path[0]} has no summary in llm-advisor --help"
    result = run(["--version"])
    assert result.returncode == 0 and result.stdout == f"llm-advisor {version('llm-advisor')}\n"


def typed_answers(order: list[str]) -> str:
    return "\n".join(order) + "\n"


# The typed transcript, starting with the stage's name and answering the third question by number.
ORDER = ["live", "core", "3", *TYPED_ANSWERS[3:]]


def test_chat_walks_the_whole_framework_on_embedded_defaults(tmp_path: Path) -> None:
    result = run(["chat"], stdin=typed_answers(ORDER), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ladder" in out and "Commands you can type" in out  # the intro
    assert "[1/24] Where is the product" in out
    assert "YOUR SUMMARY" in out
    assert "Fine-tune an open-weight model" in out
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
    assert "[3/24] With a good prompt" in second.stdout
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
    assert result.stdout.startswith("# Fine-tune an open-weight model")
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


def test_assess_says_what_to_do_about_a_null_answer(tmp_path: Path, flow: Flow) -> None:
    answers: dict[str, object] = {**FULL_ANSWERS, "budget": None}
    result = run(["assess", "--answers", str(write_answers(tmp_path, answers))])
    assert result.returncode == 2 and result.stdout == ""
    budget = flow.question("budget")
    assert budget is not None
    ids = ", ".join(o.id for o in budget.options)
    assert result.stderr == (
        f"error: budget: no answer given (null); use an option id ({ids}) "
        "or leave it out with --partial\n"
    )
    # With --partial a null is an answer left out.
    result = run(["assess", "--partial", "--answers", str(write_answers(tmp_path, answers))])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["skipped"] == ["budget"]


def test_assess_says_how_to_go_on_without_an_answer(tmp_path: Path) -> None:
    answers = {k: v for k, v in FULL_ANSWERS.items() if k != "gpus"}
    result = run(["assess", "--answers", str(write_answers(tmp_path, answers))])
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: gpus: missing answer (")
    assert line.endswith(
        "use an option id (none, serverless, reserved, on_prem) or leave it out with --partial"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "is empty: expected a JSON object of question id to option id"),
        ("  \n", "is empty: expected a JSON object of question id to option id"),
        (
            '{"stage": "live",}',
            "is not valid JSON (Expecting property name enclosed in double "
            "quotes at line 1 column 18): expected a JSON object of question id to option id",
        ),
    ],
    ids=["empty", "blank", "trailing-comma"],
)
def test_assess_says_what_an_unreadable_file_should_hold(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "answers.json"
    path.write_text(content)
    result = run(["assess", "--answers", str(path)])
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {path} {problem}")
    assert "Expecting value" not in result.stderr


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
    ("name", "value", "note"),
    [
        ("ADVISOR_SESSION_TTL_DAYS", "abc", "session retention:"),
        ("REDIS_URL", "http://nope", "session store:"),
    ],
)
def test_check_notes_only_what_is_in_force(name: str, value: str, note: str) -> None:
    result = run(["check"], env={name: value})
    assert result.returncode == 1
    assert note not in result.stdout, "the default of a malformed variable is not in force"
    assert f"problem: environment: {name}: " in result.stdout


def test_check_says_once_that_redis_did_not_answer() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = run(["check"], env={"REDIS_URL": url})
    assert result.returncode == 1
    assert f"session store: redis at {url}" in result.stdout
    [problem] = [line for line in result.stdout.splitlines() if line.startswith("problem:")]
    assert problem.startswith("problem: environment: REDIS_URL: redis did not answer: ")
    assert problem.count("answer") == 1


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
