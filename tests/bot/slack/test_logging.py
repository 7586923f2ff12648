"""What the Slack app logs when it starts: nothing to act on when nothing is wrong.

Settings arrive in the environment, as in a deployment, where Bolt also looks for them itself.
"""

from __future__ import annotations

import logging

import pytest

from bot.server import create_service
from bot.settings import Settings
from tests.bot.slack.conftest import SECRET, new_user
from tests.support.slack_signing import event_payload, message_event
from tests.support.slack_standin import SlackStandIn


async def test_start_up_over_http_and_socket_mode_warns_of_nothing(
    standin: SlackStandIn,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_API_URL": standin.base_url,
        "REDIS_URL": redis_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    service = await create_service(Settings.from_env(env), slack_socket=True, only="slack")
    try:
        assert service.platforms == ["slack", "slack-socket"]
        assert service.socket is not None
        await service.socket.connect()
        await standin.wait_for_connection()
        # The client Bolt built from the token reaches the stand-in: a turn goes through.
        user = new_user()
        event = event_payload(message_event(user, "hi", "D" + user), "EvLOG1")
        await standin.wait_for_ack(await standin.send_envelope("events_api", event))
        await standin.wait_for("chat.postMessage", count=2)  # the intro and question 1
    finally:
        await service.close()
    worth_reading = [
        f"{r.name} {r.levelname}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING
    ]
    assert worth_reading == []
    assert not any("will be unused" in r.getMessage() for r in caplog.records)
