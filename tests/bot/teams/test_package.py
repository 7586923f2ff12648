"""The Teams app package: manifest valid against the Teams schema, icons, command lists."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from bot.teams.package import png_size
from dialogs.commands import ALIASES, COMMANDS
from tests.support.schemas import validate_teams_manifest

ROOT = Path(__file__).resolve().parents[3]
APP_ID = "0b6f7b42-3a1c-4d7e-9f57-2c1a9e6d4b10"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_teams_package_builds_a_valid_app(tmp_path: Path) -> None:
    out = tmp_path / "advisor.zip"
    result = run("teams-package", "--app-id", APP_ID, "--out", str(out))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        assert png_size(package.read("color.png")) == (192, 192)
        assert png_size(package.read("outline.png")) == (32, 32)
    assert validate_teams_manifest(manifest) == []
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    scopes = {tuple(c["scopes"]) for c in manifest["bots"][0]["commandLists"]}
    assert scopes == {("personal",), ("team",)}


def test_manifest_commands_are_commands_the_bot_knows() -> None:
    manifest = json.loads((ROOT / "deploy" / "teams" / "manifest.json").read_text())
    for command_list in manifest["bots"][0]["commandLists"]:
        for command in command_list["commands"]:
            assert command["title"] in COMMANDS or command["title"] in ALIASES, command


def test_bad_app_id_and_missing_icons_are_reported(tmp_path: Path) -> None:
    result = run(
        "teams-package",
        "--app-id",
        "not-a-guid",
        "--out",
        str(tmp_path / "x.zip"),
        "--source",
        str(tmp_path),
    )
    assert result.returncode == 2
    assert "--app-id" in result.stderr and "manifest.json: file: is missing" in result.stderr
    assert "color.png" in result.stderr and not (tmp_path / "x.zip").exists()
