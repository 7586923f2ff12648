"""The team's cost chart in Slack (issue 14): uploaded once into the team card's thread when the
team is revealed, whichever way (the last member finishing, or the facilitator's Reveal) and
however often the reveal is delivered, to however many processes; once more when a settle
moves the consensus figures, and not for a settle that leaves them as they were. Over signed
HTTP with the stand-in Web API (its file upload steps counted) and a real Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest

from bot.chart import CAPTION
from bot.slack.team_render import TEAM_JOIN, TEAM_REVEAL, TEAM_SETTLE
from dialogs.stores.redis_store import RedisStore, create_redis_client
from dialogs.team_actions import TEAM_CHART_CAPTION, TEAM_CHART_UPDATED
from tests.bot.slack.conftest import SlackHarness, new_user, slack_settings, start_harness
from tests.bot.slack.team_rig import (
    CARD_WAIT,
    answer_all,
    card_value,
    click_card,
    latest_card,
    own_channel_in,
    start_team,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_files import Upload
from tests.support.slack_signing import block_actions_payload
from tests.support.slack_standin import Call, SlackStandIn

# The test's own channel (see team_rig.py), set by own_channel.
CHANNEL = "CTEAM"
UPLOAD_STEPS = ("files.getUploadURLExternal", "files.completeUploadExternal")
# Two members who differ on data sensitivity and budget: the consensus takes the strictest
# data rule (regulated) and the lower budget (under $10k).
ANAS = {**FULL_ANSWERS, "data_sensitivity": "public", "budget": "under_10k"}


@pytest.fixture(autouse=True)
def own_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    own_channel_in(monkeypatch, globals())


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


def team_charts(slack: SlackHarness, card: Call) -> list[Upload]:
    """The files shared into the team card's thread."""
    ts = card.result["ts"]
    return [u for u in slack.standin.files.shared if u.channel == CHANNEL and u.thread_ts == ts]


def upload_steps(slack: SlackHarness) -> tuple[int, int]:
    """How many times each of files_upload_v2's two API steps was called, in all channels."""
    first, last = UPLOAD_STEPS
    return len(slack.standin.calls_to(first)), len(slack.standin.calls_to(last))


def dm_charts(slack: SlackHarness, *users: str) -> bool:
    """Whether each member's own summary chart reached their DM."""
    shared = {u.channel for u in slack.standin.files.shared}
    return all("D" + user in shared for user in users)


async def join_all(slack: SlackHarness, card: Call, *users: str) -> None:
    for user in users:
        await click_card(slack, user, card, TEAM_JOIN)
        await slack.eventually(lambda user=user: slack.questions("D" + user), within=CARD_WAIT)


def reveal_body(slack: SlackHarness, user: str, card: Call) -> str:
    """One click on Reveal, as Slack delivers it (again, when it retries)."""
    payload = block_actions_payload(
        user_id=user,
        action_id=TEAM_REVEAL,
        value=card_value(card, TEAM_REVEAL),
        channel_id=CHANNEL,
        message_ts=card.result["ts"],
        trigger_id=slack.next_id("trig"),
    )
    return urlencode({"payload": json.dumps(payload)})


async def deliver(app: SlackHarness, body: str) -> None:
    status, _ = await app.post(body, content_type="application/x-www-form-urlencoded")
    assert status == 200


async def settle(slack: SlackHarness, user: str, card: Call, question: str, option: str) -> None:
    value = json.dumps({"q": question, "o": option}, separators=(",", ":"))
    payload = block_actions_payload(
        user_id=user,
        action_id=TEAM_SETTLE,
        value=None,
        channel_id=CHANNEL,
        message_ts=card.result["ts"],
        action_type="static_select",
        selected_option={"value": value, "text": {"type": "plain_text", "text": "x"}},
        trigger_id=slack.next_id("trig"),
    )
    await deliver(slack, urlencode({"payload": json.dumps(payload)}))


def told(slack: SlackHarness, user: str, words: str) -> int:
    return sum(words in c.payload["text"] for c in slack.ephemerals(user))


async def test_the_last_member_finishing_reveals_and_posts_one_chart(slack: SlackHarness) -> None:
    facilitator, ana = new_user(), new_user()
    card = await start_team(slack, facilitator, "team Charted")
    await join_all(slack, card, facilitator, ana)
    await answer_all(slack, facilitator, dict(FULL_ANSWERS))
    await answer_all(slack, ana, ANAS)
    await slack.eventually(
        lambda: "The team's advice" in latest_card(slack, card), within=CARD_WAIT
    )

    [chart] = await slack.eventually(lambda: team_charts(slack, card), within=CARD_WAIT)
    assert chart.initial_comment == TEAM_CHART_CAPTION != CAPTION
    assert chart.alt_txt and "tokens a month" in chart.alt_txt
    assert chart.data and chart.data.startswith(b"\x89PNG")
    # Each member's own summary chart went to their DM; the team's, once, to its thread.
    await slack.eventually(lambda: dm_charts(slack, facilitator, ana), within=CARD_WAIT)
    assert upload_steps(slack) == (3, 3)
    assert len(slack.posts(CHANNEL)) == 1  # the card; the chart is in its thread


async def test_a_redelivered_reveal_posts_one_chart_and_a_settle_that_moves_the_cost_one_more(
    slack: SlackHarness, other: SlackHarness
) -> None:
    facilitator, ana, ben = new_user(), new_user(), new_user()
    card = await start_team(slack, facilitator, "team Charted early")
    await join_all(slack, card, facilitator, ana, ben)
    await answer_all(slack, facilitator, dict(FULL_ANSWERS))
    await answer_all(slack, ana, ANAS)
    await slack.eventually(lambda: "Finished (2)" in latest_card(slack, card), within=CARD_WAIT)
    await slack.eventually(lambda: dm_charts(slack, facilitator, ana), within=CARD_WAIT)
    assert not team_charts(slack, card)  # nothing before the reveal
    before = upload_steps(slack)

    # Ben is still answering: the facilitator reveals, a click delivered to two processes at
    # once, then twice more (Slack's retries).
    body = reveal_body(slack, facilitator, card)
    await asyncio.gather(deliver(slack, body), deliver(other, body))
    await slack.eventually(
        lambda: "The team's advice" in latest_card(slack, card), within=CARD_WAIT
    )
    [first] = await slack.eventually(lambda: team_charts(slack, card), within=CARD_WAIT)
    assert first.initial_comment == TEAM_CHART_CAPTION
    assert first.alt_txt and "tokens a month" in first.alt_txt
    already = told(slack, facilitator, "revealed already")
    await deliver(other, body)
    await deliver(slack, body)
    await slack.eventually(
        lambda: told(slack, facilitator, "revealed already") >= already + 2, within=CARD_WAIT
    )
    assert len(team_charts(slack, card)) == 1
    assert upload_steps(slack) == (before[0] + 1, before[1] + 1)

    # A settle on the answer the consensus had already (the lower budget): same figures, no
    # chart. Settling data sensitivity on "public" allows hosted tiers: a new chart, once.
    await settle(slack, facilitator, card, "budget", "under_10k")
    await slack.eventually(
        lambda: "Settled: _Under $10k" in latest_card(slack, card), within=CARD_WAIT
    )
    await settle(slack, facilitator, card, "data_sensitivity", "public")
    charts = await slack.eventually(
        lambda: (found := team_charts(slack, card)) and len(found) >= 2 and found,
        within=CARD_WAIT,
    )
    assert [c.initial_comment for c in charts] == [TEAM_CHART_CAPTION, TEAM_CHART_UPDATED]
    assert charts[1].alt_txt != first.alt_txt  # other figures
    assert upload_steps(slack) == (before[0] + 2, before[1] + 2)
    assert len(slack.posts(CHANNEL)) == 1
    assert not slack.standin.card_problems
