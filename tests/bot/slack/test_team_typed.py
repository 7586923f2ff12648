"""Typed answers in a DM reach a member's team in every process (issue 14): two apps (two Bolt
apps, each with its own advisor and Redis client, as two processes behind a load balancer) on
one Redis; the member joins through one and types to the other. A workspace without teams pays
no read per typed DM for it, as Redis's own MONITOR shows."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from redis import asyncio as aioredis

from dialogs.stores.base import team_key
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.team_session import TeamRef
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, new_user, slack_settings, start_harness
from tests.support.slack_signing import (
    block_actions_payload,
    event_body,
    message_event,
    slash_command_body,
)
from tests.support.slack_standin import SlackStandIn

CARD_WAIT = 20.0


@pytest.fixture
async def other(standin: SlackStandIn, redis_url: str) -> AsyncIterator[SlackHarness]:
    """A second app on the same Redis and stand-in: another process."""
    store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=2.0))
    harness, runner, http = await start_harness(standin, slack_settings(standin, redis_url), store)
    try:
        yield harness
    finally:
        if harness.drainer is not None:
            await harness.drainer.drain(30.0)
        await runner.cleanup()
        await http.close()
        await store.close()


def workspace() -> str:
    """A workspace of this test's own: no other test's team marks it."""
    return "T" + uuid.uuid4().hex[:8].upper()


async def dm(app: SlackHarness, team: str, user: str, text: str) -> None:
    body = event_body(message_event(user, text, "D" + user), app.next_id("Ev"), team_id=team)
    status, _ = await app.post(body, content_type="application/json")
    assert status == 200


async def command(app: SlackHarness, team: str, user: str, text: str, channel: str) -> None:
    body = slash_command_body(
        text=text,
        user_id=user,
        channel_id=channel,
        team_id=team,
        trigger_id=app.next_id("trig"),
        response_url=app.standin.response_url(app.next_id("r")),
    )
    status, _ = await app.post(body, content_type="application/x-www-form-urlencoded")
    assert status == 200


async def join(app: SlackHarness, team: str, user: str, card_ts: str, channel: str) -> None:
    payload = block_actions_payload(
        user_id=user,
        action_id="team_join",
        value="{}",
        channel_id=channel,
        message_ts=card_ts,
        team_id=team,
        trigger_id=app.next_id("trig"),
    )
    body = urlencode({"payload": json.dumps(payload)})
    status, _ = await app.post(body, content_type="application/x-www-form-urlencoded")
    assert status == 200


async def test_a_typed_answer_reaches_the_team_whichever_process_takes_it(
    slack: SlackHarness, other: SlackHarness
) -> None:
    """App B first sees the workspace without teams (a typed DM of someone else), then the
    team starts and the member joins through app A at once: the first team question waits
    until B would look again, so the member's typed answer to B goes to the team."""
    team, channel = workspace(), "C" + uuid.uuid4().hex[:8].upper()
    facilitator, ana, bystander = new_user(), new_user(), new_user()
    await dm(other, team, bystander, "hi")  # B: no teams in this workspace (for a moment)
    await slack.eventually(lambda: slack.questions("D" + bystander))

    await command(slack, team, facilitator, "team Typed across processes", channel)
    card = await slack.eventually(lambda: (slack.posts(channel) or [None])[0])
    await join(slack, team, ana, card.result["ts"], channel)
    first = await slack.next_question("D" + ana, 0)
    assert "Team assessment" in json.dumps(first.payload["blocks"])

    await dm(other, team, ana, "live")  # typed to the other process
    ref = TeamRef(platform="slack", workspace=team, conversation=channel, thread=card.result["ts"])
    await slack.next_question("D" + ana, 1)
    member = await other.advisor.peek(ref.member_key(ana))
    assert member is not None and member.answers == {"stage": "live"}
    own = SessionKey(platform="slack", workspace=team, conversation="D" + ana, user=ana)
    assert await other.advisor.peek(own) is None  # no assessment of her own was started

    # Her own assessment, started through B after the team's question was asked: a typed
    # answer goes to the one asked last, and B says which.
    await command(other, team, ana, "", channel)
    await slack.eventually(lambda: len(slack.questions("D" + ana)) == 3)
    await dm(other, team, ana, "1")
    await slack.eventually(
        lambda: any(
            "Taken as your answer to your own assessment" in c.payload.get("text", "")
            for c in slack.posts("D" + ana)
        )
    )
    mine = await other.advisor.peek(own)
    assert mine is not None and mine.answers == {"stage": "idea"}
    member = await slack.advisor.peek(ref.member_key(ana))
    assert member is not None and member.answers == {"stage": "live"}


async def commands_seen(monitor: aioredis.client.Monitor, into: list[str]) -> None:
    with suppress(asyncio.CancelledError):
        while True:
            found = await monitor.next_command()
            into.append(str(found.get("command", "")))


async def test_typed_dms_in_a_workspace_without_teams_read_no_list_of_teams(
    slack: SlackHarness, redis_url: str
) -> None:
    """In a workspace without teams, typed DMs read the team marker (at most once every few
    seconds per process: tests/dialogs/test_team_index.py) and nobody's list of teams; once a
    team has started there, a typed DM reads the person's list (one small read, of a key that
    does not exist for people in no team)."""
    team, ana = workspace(), new_user()
    where = SessionKey(platform="slack", workspace=team, conversation="", user="")
    marker = team_key(replace(where, thread="teams"))
    teams_of_ana = team_key(replace(where, conversation="D" + ana, thread=f"open-teams/{ana}"))
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    seen: list[str] = []
    try:
        async with client.monitor() as monitor:
            watching = asyncio.create_task(commands_seen(monitor, seen))
            await asyncio.sleep(0.1)
            await dm(slack, team, ana, "hi")
            await slack.eventually(lambda: slack.questions("D" + ana))
            for i, text in enumerate(("live", "core", "status")):
                await dm(slack, team, ana, text)
                await slack.eventually(lambda i=i: len(slack.posts("D" + ana)) >= 3 + i)
            await asyncio.sleep(0.2)
            before = list(seen)

            channel = "C" + uuid.uuid4().hex[:8].upper()
            await command(slack, team, new_user(), "team Marked", channel)
            await slack.eventually(lambda: slack.posts(channel))  # marked before it is posted
            await dm(slack, team, ana, "help")
            await slack.eventually(lambda: len(slack.posts("D" + ana)) >= 6)
            await asyncio.sleep(0.2)
            watching.cancel()
            await watching
    finally:
        await client.aclose()
    read = [c for c in before if c.upper().startswith("GET ")]
    assert any(marker in c for c in read)
    assert not any(teams_of_ana in c for c in read)
    after = [c for c in seen[len(before) :] if c.upper().startswith("GET ")]
    assert any(teams_of_ana in c for c in after)
    own = await slack.advisor.peek(replace(where, conversation="D" + ana, user=ana))
    assert own is not None and own.answers == {"stage": "live", "value": "core_feature"}
