"""The Slack manifests declare exactly the command, events, scopes and interactivity used:
manifest.json (the Slack CLI's, Socket Mode for `slack run`) and deploy/slack/ (production over
HTTP, and Socket Mode), each with the agent messaging experience (features.agent_view)."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.listeners.manifest import (
    AGENT_SCOPE,
    COMMAND,
    COMMAND_SCOPE,
    EVENTS,
    SUGGESTED_PROMPTS,
    WEB_API_SCOPES,
)

ROOT = Path(__file__).resolve().parents[3]
CLI_MANIFEST = ROOT / "manifest.json"
HTTP_MANIFEST = ROOT / "deploy" / "slack" / "manifest.yaml"
SOCKET_MANIFEST = ROOT / "deploy" / "slack" / "manifest.socket.yaml"
MANIFESTS = [CLI_MANIFEST, HTTP_MANIFEST, SOCKET_MANIFEST]
CALL = re.compile(r"client\.([a-z]+_[A-Za-z0-9_]+)\(")
# What Slack's manifest schema requires at the top, and of the features this app uses.
REQUIRED = ("display_information", "features", "oauth_config", "settings")


def load(path: Path) -> dict[str, Any]:
    text = path.read_text()
    data: dict[str, Any] = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return data


def test_every_web_api_call_in_the_adapter_has_a_known_scope() -> None:
    called = set()
    for source in (ROOT / "bot" / "slack").rglob("*.py"):
        called.update(CALL.findall(source.read_text()))
    assert called == set(WEB_API_SCOPES)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_matches_the_app(path: Path) -> None:
    manifest = load(path)
    assert all(key in manifest for key in REQUIRED)
    assert manifest["display_information"]["name"]
    events = {e for table in EVENTS.values() for e in table}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == events
    scopes = {s for table in EVENTS.values() for s in table.values() if s}
    scopes |= {s for s in WEB_API_SCOPES.values() if s} | {COMMAND_SCOPE}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == scopes
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [COMMAND]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_has_the_agent_experience_not_the_legacy_one(path: Path) -> None:
    features = load(path)["features"]
    assert "assistant_view" not in features
    agent = features["agent_view"]
    assert 0 < len(agent["agent_description"]) <= 255
    assert agent["suggested_prompts"] == [dict(p) for p in SUGGESTED_PROMPTS]
    assert len(agent["suggested_prompts"]) <= 4  # Slack shows at most four
    assert AGENT_SCOPE in load(path)["oauth_config"]["scopes"]["bot"]
    assert "app_context_changed" in load(path)["settings"]["event_subscriptions"]["bot_events"]


def test_every_manifest_asks_for_the_same_scopes_and_events() -> None:
    loaded = [load(p) for p in MANIFESTS]
    scopes = [sorted(m["oauth_config"]["scopes"]["bot"]) for m in loaded]
    events = [sorted(m["settings"]["event_subscriptions"]["bot_events"]) for m in loaded]
    assert scopes[0] == scopes[1] == scopes[2]
    assert events[0] == events[1] == events[2]
    assert [m["features"]["agent_view"] for m in loaded[1:]] == [
        loaded[0]["features"]["agent_view"]
    ] * 2


def test_http_and_socket_variants() -> None:
    http, socket, cli = (load(p) for p in (HTTP_MANIFEST, SOCKET_MANIFEST, CLI_MANIFEST))
    assert http["settings"]["socket_mode_enabled"] is False
    assert socket["settings"]["socket_mode_enabled"] is True
    url = http["settings"]["event_subscriptions"]["request_url"]
    assert url.endswith("/slack/events")
    assert http["settings"]["interactivity"]["request_url"] == url
    assert http["features"]["slash_commands"][0]["url"] == url
    for local in (socket, cli):
        assert "request_url" not in local["settings"]["event_subscriptions"]
        assert "request_url" not in local["settings"]["interactivity"]
        assert "url" not in local["features"]["slash_commands"][0]
    # `slack run` connects over Socket Mode: the CLI's manifest is the Socket Mode one.
    assert cli["settings"]["socket_mode_enabled"] is True
    assert cli["_metadata"]["major_version"] == 2


def test_the_slack_cli_finds_its_hooks_and_the_local_manifest() -> None:
    hooks = load(ROOT / ".slack" / "hooks.json")["hooks"]
    # slack-cli-hooks answers get-hooks (get-manifest reads manifest.json); our own start
    # hook runs the app over Socket Mode with the tokens the CLI puts in the environment.
    assert hooks["get-hooks"] == "python3 -m slack_cli_hooks.hooks.get_hooks"
    assert hooks["start"].split()[:3] == ["llm-advisor", "slack", "--socket"]
    config = load(ROOT / ".slack" / "config.json")
    assert config["manifest"]["source"] == "local"
    ignored = (ROOT / ".slack" / ".gitignore").read_text().split()
    assert "apps.dev.json" in ignored  # the CLI's per-developer app ids stay out of git
    assert CLI_MANIFEST.parent == (ROOT / ".ci").parent  # beside .ci/, where the CLI looks


def _modules(command: str) -> list[str]:
    """The modules a hook command runs with `python -m` (none for other commands)."""
    words = shlex.split(command)
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "-m"]


def test_the_slack_cli_hooks_run_from_the_extra() -> None:
    """With `pip install '.[slack-cli]'` (the test extra has it), every module .slack/hooks.json
    runs exists, and get-hooks names a get-manifest hook that hands the CLI our manifest.json."""
    pytest.importorskip("slack_cli_hooks", reason="the slack-cli extra is not installed")
    hooks = load(ROOT / ".slack" / "hooks.json")["hooks"]
    modules = [m for command in hooks.values() for m in _modules(command)]
    assert modules and all(importlib.util.find_spec(m) is not None for m in modules), modules

    def run(module: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", module],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout)

    given = run("slack_cli_hooks.hooks.get_hooks")["hooks"]
    [manifest_module] = _modules(given["get-manifest"])
    assert importlib.util.find_spec(manifest_module) is not None
    assert run(manifest_module) == load(CLI_MANIFEST)


def test_the_slack_cli_extra_is_locked() -> None:
    """The extra pins the hooks, uv.lock has them (and their slack-bolt is ours), and the
    container image's requirements leave them out."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [pin] = extras["optional-dependencies"]["slack-cli"]
    name, version = pin.split("==")
    assert name == "slack-cli-hooks"
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    assert packages[name]["version"] == version
    assert "slack-bolt" in {d["name"] for d in packages[name]["dependencies"]}
    project = packages["llm-advisor"]
    assert name in {d["name"] for d in project["optional-dependencies"]["slack-cli"]}
    assert name not in (ROOT / "deploy" / "requirements.txt").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "pip install '.[slack-cli]'" in readme and "uv sync --extra slack-cli" in readme
