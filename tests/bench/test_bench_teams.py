"""The Teams benchmark's bare bot, in its own process as bench_teams runs it: on each SDK a click
updates the replied-to card and posts the question card, the advisor's own cards, on the stand-in
Bot Connector."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bench.processes import ServerProcess
from bench.teams_sides import NO_CHART_ANSWERS, Client, Person
from bot.teams.server import MESSAGES_PATH
from tests.support.redis_server import free_port
from tests.support.slack_standin import PROXY_ENV_VARS
from tests.support.teams_connector import TeamsConnector

ANSWERED = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Answered: yes"}],
}
QUESTION = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Question 2 of 24"}],
    "actions": [{"type": "Action.Submit", "title": "Yes", "data": {"q": "stage", "o": "yes"}}],
}


@pytest.fixture
async def connector(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TeamsConnector]:
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    async with TeamsConnector() as server:
        yield server


@pytest.mark.parametrize("sdk", ["botbuilder", "agents"])
async def test_the_bare_bot_updates_the_card_and_posts_the_next(
    sdk: str, tmp_path: Path, connector: TeamsConnector
) -> None:
    payloads = tmp_path / "payloads.json"
    payloads.write_text(json.dumps({"question": QUESTION, "answered": ANSWERED}))
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare_teams", "--sdk", sdk, "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if k not in PROXY_ENV_VARS}
    server = ServerProcess(
        "bare", [*argv, "--payloads", str(payloads)], env, port, tmp_path / "bare.log"
    )
    server.start()
    try:
        await server.ready("/healthz")
        async with aiohttp.ClientSession() as http:
            client = Client(
                http=http, url=server.url(MESSAGES_PATH), service_url=connector.service_url
            )
            person = Person()
            await client.click(person, {"q": "stage", "o": "yes"}, "1700000000001")
        await connector.wait_for(
            lambda: connector.sent(person.conversation) and connector.updates("1700000000001")
        )
    finally:
        assert server.stop() == 0
    [update] = connector.updates("1700000000001")
    [post] = connector.sent(person.conversation)
    assert update.cards == [ANSWERED]
    assert post.cards == [QUESTION]


def test_the_no_chart_answers_leave_the_volume_unknown() -> None:
    assert NO_CHART_ANSWERS["volume"] == "unknown"
    assert "monthly_tokens" not in NO_CHART_ANSWERS
