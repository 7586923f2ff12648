"""Uninstalling the app, or revoking its tokens, deletes that workspace's sessions (over
Bolt's real HTTP path), and one log line gives the count and names no one."""

from __future__ import annotations

import logging
import uuid

import pytest

from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness
from tests.support.slack_signing import event_body


async def seed(slack: SlackHarness, team: str, users: list[str]) -> list[SessionKey]:
    keys = [
        SessionKey(platform="slack", workspace=team, conversation="D" + u, thread="", user=u)
        for u in users
    ]
    for k in keys:
        await slack.advisor.store.commit(
            k,
            expected_version=0,
            document={"version": 1, "seen": ["e"]},
            event_id="e",
            ttl_seconds=600,
        )
    return keys


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}},
    ],
    ids=lambda e: e["type"],
)
async def test_leaving_a_workspace_deletes_its_sessions_and_logs_the_count(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, event: dict[str, object]
) -> None:
    caplog.set_level(logging.INFO)
    team, other = "T" + uuid.uuid4().hex[:8], "T" + uuid.uuid4().hex[:8]
    gone = await seed(slack, team, ["U1", "U2", "U3"])
    kept = await seed(slack, other, ["U1"])

    body = event_body({**event, "event_ts": "1700000000.000100"}, slack.next_id("Ev"), team)
    status, _ = await slack.post(body, content_type="application/json")

    assert status == 200
    line = await slack.eventually(
        lambda: next(
            (r.getMessage() for r in caplog.records if r.getMessage().startswith(event["type"])),
            None,
        )
    )
    assert "deleted 3 sessions" in line and team not in line and "U1" not in line
    assert all([await slack.advisor.store.load(k) is None for k in gone])
    assert await slack.advisor.store.load(kept[0]) is not None
