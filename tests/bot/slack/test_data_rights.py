"""Uninstalling the app, or revoking its tokens, deletes that workspace's sessions (over
Bolt's real HTTP path), and one log line gives the count and names no one."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest

from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, new_user
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


async def test_export_typed_in_a_dm_posts_the_assessment_as_json(slack: SlackHarness) -> None:
    """`export` through Bolt: a count, then the assessment as JSON text, then the question."""
    user = new_user()
    dm = "D" + user
    await slack.dm(user, "hello")
    await slack.next_question(dm, 0)
    await slack.dm(user, "export")

    def exported() -> list[dict[str, Any]] | None:
        found = []
        for call in slack.posts(dm):
            try:
                found.append(json.loads(str(call.payload.get("text", "")).replace("&amp;", "&")))
            except ValueError:
                continue
        return found or None

    items = await slack.eventually(exported)
    assert len(items) == 1 and items[0]["answers"] == {} and items[0]["state"] == "asking"
    texts = [str(c.payload.get("text", "")) for c in slack.posts(dm)]
    assert any("1 saved assessment in this workspace" in t for t in texts)


async def test_export_slash_command_posts_the_copy_in_the_dm(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await slack.next_question(dm, 0)
    status, body = await slack.command(user, "export")
    assert status == 200 and "direct messages" in body
    await slack.eventually(
        lambda: [c for c in slack.posts(dm) if "1 saved assessment" in c.payload["text"]]
    )
