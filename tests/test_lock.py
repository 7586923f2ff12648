"""Installs are reproducible: uv.lock agrees with pyproject.toml, and the container image's
deploy/requirements.txt is the runtime part of that lock (refresh both with scripts/lock)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UV = Path(sys.executable).with_name("uv")
EXPORT = ("export", "--locked", "--no-dev", "--no-emit-project", "--format", "requirements-txt")


def uv(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(UV), *args, "--quiet"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


pytestmark = pytest.mark.skipif(not UV.exists(), reason="uv is installed with the test extra")


def test_the_lock_agrees_with_pyproject() -> None:
    checked = uv("lock", "--check")
    assert checked.returncode == 0, checked.stderr


def test_a_dependency_change_without_a_new_lock_is_caught(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy2(ROOT / name, tmp_path / name)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"jinja2>=3.1,<4"', '"jinja2>=3.0,<4"'))
    checked = uv("lock", "--check", cwd=tmp_path)
    assert checked.returncode != 0


def test_the_image_installs_the_locked_runtime_dependencies() -> None:
    exported = uv(*EXPORT, "--no-header")
    assert exported.returncode == 0, exported.stderr
    written = (ROOT / "deploy" / "requirements.txt").read_text()
    assert written == exported.stdout, "deploy/requirements.txt is stale: run scripts/lock"
    assert "--hash=sha256:" in written


def test_the_lock_covers_the_agents_extra_and_the_image_leaves_it_out() -> None:
    """The Agents SDK adapter (TEAMS_SDK=agents) is an optional extra: locked, in the test
    environment, and not in the default image's requirements."""
    lock = (ROOT / "uv.lock").read_text()
    for name in ("microsoft-agents-hosting-aiohttp", "microsoft-agents-hosting-msteams"):
        assert f'name = "{name}"' in lock
    assert 'name = "microsoft-agents-hosting-teams"' not in lock  # the deprecated package
    written = (ROOT / "deploy" / "requirements.txt").read_text()
    assert "microsoft-agents" not in written
