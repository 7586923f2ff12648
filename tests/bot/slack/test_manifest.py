"""The Slack manifests declare exactly the command, events, scopes and interactivity used."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.listeners.manifest import COMMAND, COMMAND_SCOPE, EVENTS, WEB_API_SCOPES

ROOT = Path(__file__).resolve().parents[3]
MANIFESTS = [
    ROOT / "deploy" / "slack" / "manifest.yaml",
    ROOT / "deploy" / "slack" / "manifest.socket.yaml",
]
CALL = re.compile(r"client\.([a-z]+_[A-Za-z0-9_]+)\(")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_every_web_api_call_in_the_adapter_has_a_known_scope() -> None:
    called = set()
    for source in (ROOT / "bot" / "slack").rglob("*.py"):
        called.update(CALL.findall(source.read_text()))
    assert called == set(WEB_API_SCOPES)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_matches_the_app(path: Path) -> None:
    manifest = load(path)
    events = {e for table in EVENTS.values() for e in table}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == events
    scopes = {s for table in EVENTS.values() for s in table.values() if s}
    scopes |= {s for s in WEB_API_SCOPES.values() if s} | {COMMAND_SCOPE}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == scopes
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [COMMAND]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_http_and_socket_variants() -> None:
    http, socket = (load(p) for p in MANIFESTS)
    assert http["settings"]["socket_mode_enabled"] is False
    assert socket["settings"]["socket_mode_enabled"] is True
    url = http["settings"]["event_subscriptions"]["request_url"]
    assert url.endswith("/slack/events")
    assert http["settings"]["interactivity"]["request_url"] == url
    assert http["features"]["slash_commands"][0]["url"] == url
    assert "request_url" not in socket["settings"]["event_subscriptions"]
