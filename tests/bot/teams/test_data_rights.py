"""Removing the app (installationUpdate, action "remove") deletes sessions over botbuilder's
real HTTP path: from a team, the tenant's; from a personal scope, that person's. One log line
gives the count and names no one."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from dialogs.turn import SessionKey
from tests.bot.teams.conftest import TeamsHarness
from tests.support.teams_activities import (
    conversation_update_members_added,
    new_aad_object_id,
    new_channel_id,
    new_user_id,
)


async def seed(teams: TeamsHarness, tenant: str, users: list[str]) -> list[SessionKey]:
    keys = [
        SessionKey(platform="teams", workspace=tenant, conversation="a:" + u, thread="", user=u)
        for u in users
    ]
    for k in keys:
        await teams.advisor.store.commit(
            k,
            expected_version=0,
            document={"version": 1, "seen": ["e"]},
            event_id="e",
            ttl_seconds=600,
        )
    return keys


def removal(
    teams: TeamsHarness, tenant: str, *, action: str, aad: str, personal: bool
) -> dict[str, Any]:
    team = new_channel_id()
    activity = conversation_update_members_added(
        user_id=new_user_id(),
        aad_object_id=aad,
        conversation_id="a:1" + uuid.uuid4().hex if personal else team,
        service_url=teams.connector.service_url,
        scope="personal" if personal else "channel",
        team_id=None if personal else team,
        tenant_id=tenant,
    )
    del activity["membersAdded"]
    activity["channelData"].pop("eventType", None)
    return {**activity, "type": "installationUpdate", "action": action}


async def test_removing_the_app_from_a_team_deletes_the_tenants_sessions(
    teams: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tenant, other = str(uuid.uuid4()), str(uuid.uuid4())
    gone = await seed(teams, tenant, ["A1", "A2", "A3"])
    kept = await seed(teams, other, ["A1"])

    status = await teams.post(removal(teams, tenant, action="remove", aad="A1", personal=False))

    assert status in (200, 201, 202)
    assert all([await teams.advisor.store.load(k) is None for k in gone])
    assert await teams.advisor.store.load(kept[0]) is not None
    lines = [r.getMessage() for r in caplog.records if "installationUpdate" in r.getMessage()]
    assert len(lines) == 1 and "deleted 3 sessions" in lines[0] and tenant not in lines[0]


async def test_removing_the_personal_app_deletes_that_persons_sessions(
    teams: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tenant = str(uuid.uuid4())
    me, someone = new_aad_object_id(), new_aad_object_id()
    mine = await seed(teams, tenant, [me])
    theirs = await seed(teams, tenant, [someone])

    status = await teams.post(removal(teams, tenant, action="remove", aad=me, personal=True))

    assert status in (200, 201, 202)
    assert await teams.advisor.store.load(mine[0]) is None
    assert await teams.advisor.store.load(theirs[0]) is not None
    lines = [r.getMessage() for r in caplog.records if "installationUpdate" in r.getMessage()]
    assert len(lines) == 1 and "deleted 1 sessions" in lines[0] and me not in lines[0]


async def test_an_upgrade_deletes_nothing(teams: TeamsHarness) -> None:
    tenant = str(uuid.uuid4())
    keys = await seed(teams, tenant, ["A1"])
    activity = removal(teams, tenant, action="remove-upgrade", aad="A1", personal=False)
    status = await teams.post(activity)
    assert status in (200, 201, 202)
    assert await teams.advisor.store.load(keys[0]) is not None
