"""The package works when installed (not run from the checkout): templates and flow are found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_installed_wheel_runs_from_another_directory(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    target = tmp_path / "site"
    wheel = next(wheels.glob("llm_advisor-*.whl"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "REDIS_URL"))}
    # Only the installed copy and the dependencies are importable, not the checkout.
    deps = [p for p in sys.path if p and "site-packages" in p]
    env["PYTHONPATH"] = os.pathsep.join([str(target), *deps])
    check = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path[:0] = sys.argv[1].split(':');"
            "import bot, templates; from bot.cli import main; sys.exit(main(['check']))",
            env["PYTHONPATH"],
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "all sound" in check.stdout
    answers = elsewhere / "a.json"
    answers.write_text(
        json.dumps(
            {
                "stage": "idea",
                "value": "nice_to_have",
                "current_gap": "not_tried",
                "data_sensitivity": "public",
            }
        )
    )
    assess = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path[:0] = sys.argv[1].split(':');"
            "import bot; assert str(bot.__file__).startswith(sys.argv[2]), bot.__file__;"
            "from bot.cli import main; sys.exit(main(['assess', '--partial', '--answers', 'a.json',"
            " '--format', 'markdown']))",
            env["PYTHONPATH"],
            str(target),
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert assess.returncode == 0, assess.stderr
    assert assess.stdout.startswith("# Prompt a strong hosted model")
