"""What the Slack stand-in's own tests (test_slack_standin*.py, test_slack_signing.py) share: the
signing secret, the stand-in as a fixture, a slack_sdk Web API client on it, and small Block Kit
builders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.slack_signing import sign
from tests.support.slack_standin import PROXY_ENV_VARS, SlackStandIn

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WAIT = 5.0


@pytest.fixture
async def standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlackStandIn]:
    for name in PROXY_ENV_VARS:  # slack_sdk would route loopback calls through a proxy
        monkeypatch.delenv(name, raising=False)
    async with SlackStandIn() as server:
        yield server


def web_client(
    standin: SlackStandIn, *, retry: Sequence[AsyncRetryHandler] = (), timeout: int = 5
) -> AsyncWebClient:
    return AsyncWebClient(
        base_url=standin.base_url,
        token="xoxb-test",
        timeout=timeout,
        retry_handlers=list(retry),
    )


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(action_id: str, text: str = "Yes", value: str = "yes") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def signed(body: str, secret: str = SECRET) -> dict[str, str | Sequence[str]]:
    return dict(sign(body, secret))
