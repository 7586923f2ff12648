"""Was it useful? The summary's two buttons, counted in /metrics by recommendation, once per
person and summary, through Bolt's real HTTP path."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_advisor
from bot.feedback import TEXTS, Outcome
from bot.observe import Metrics
from bot.slack.delivery import Place
from bot.slack.server import add_slack_routes, build_slack_app
from dialogs.stores.base import SessionStore
from dialogs.turn import SessionKey
from tests.bot.slack.conftest import SlackHarness, new_user, slack_settings
from tests.support.answers import TYPED_ANSWERS
from tests.support.slack_signing import block_actions_payload
from tests.support.slack_standin import TEAM_ID as TEAM
from tests.support.slack_standin import Call, SlackStandIn


@pytest.fixture
async def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
async def voting(
    standin: SlackStandIn, redis_url: str, store: SessionStore, metrics: Metrics
) -> AsyncIterator[SlackHarness]:
    """The Slack harness, with the metrics that /metrics serves."""
    settings = slack_settings(standin, redis_url)
    advisor = create_advisor(settings, store=store)
    session = aiohttp.ClientSession()
    app = build_slack_app(settings, advisor, session, metrics=metrics)
    web_app = web.Application()
    add_slack_routes(web_app, app)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        yield SlackHarness(standin=standin, url=url, http=session, advisor=advisor)
    finally:
        await runner.cleanup()
        await session.close()


async def finish(slack: SlackHarness, user: str) -> Call:
    dm = "D" + user
    await slack.dm(user, "hello")
    for i, text in enumerate(TYPED_ANSWERS):
        await slack.next_question(dm, i)
        await slack.dm(user, text)
    return (await slack.eventually(lambda: slack.summaries(dm)))[0]


def vote_buttons(summary: Call) -> dict[str, str]:
    """action id -> value of the summary's "was this useful" buttons."""
    block = next(b for b in summary.payload["blocks"] if b.get("block_id") == "feedback")
    return {e["action_id"]: e["value"] for e in block["elements"]}


def count(metrics: Metrics, vote: str, rec: tuple[str, str]) -> float:
    labels = {"depth": rec[0], "hosting": rec[1], "vote": vote}
    return metrics.registry.get_sample_value("advisor_feedback_total", labels) or 0.0


async def recommendation(slack: SlackHarness, user: str) -> tuple[str, str]:
    session = await slack.advisor.peek(dm_key(user))
    assert session is not None
    summary = slack.advisor.summary(session)
    assert summary is not None
    rec = summary.assessment["recommendation"]
    return str(rec["depth"]), str(rec["hosting"])


def dm_key(user: str) -> SessionKey:
    return Place(team=TEAM, channel="D" + user, thread_ts="", user=user).key


async def click(slack: SlackHarness, user: str, summary: Call, action_id: str) -> None:
    value = vote_buttons(summary)[action_id]
    channel = "D" + user
    status, _ = await slack.action(
        user, action_id, value, channel=channel, message_ts=summary.result["ts"]
    )
    assert status == 200


async def test_a_vote_counts_once_and_the_thanks_is_private(
    voting: SlackHarness, metrics: Metrics
) -> None:
    slack = voting
    user = new_user()
    summary = await finish(slack, user)
    assert set(vote_buttons(summary)) == {"feedback_useful", "feedback_not_useful"}
    rec = await recommendation(slack, user)

    await click(slack, user, summary, "feedback_useful")
    thanks = await slack.eventually(lambda: slack.ephemerals(user))
    assert thanks[0].payload["text"] == TEXTS[Outcome.COUNTED]
    assert count(metrics, "useful", rec) == 1

    # A second click, of either button, counts nothing and says so (privately).
    await click(slack, user, summary, "feedback_useful")
    await click(slack, user, summary, "feedback_not_useful")
    told = await slack.eventually(lambda: slack.ephemerals(user)[2:])
    assert [c.payload["text"] for c in slack.ephemerals(user)[1:]] == [
        TEXTS[Outcome.REPEATED],
        TEXTS[Outcome.REPEATED],
    ]
    assert told
    assert count(metrics, "useful", rec) == 1
    assert count(metrics, "not_useful", rec) == 0
    assert slack.standin.card_problems == []

    # /metrics carries the recommendation's ids and the vote, never a person or their text.
    exposed = metrics.exposition().decode()
    lines = [line for line in exposed.splitlines() if line.startswith("advisor_feedback_total")]
    assert lines == [
        f'advisor_feedback_total{{depth="{rec[0]}",hosting="{rec[1]}",vote="useful"}} 1.0'
    ]
    assert user not in exposed


async def test_a_replayed_click_counts_once(voting: SlackHarness, metrics: Metrics) -> None:
    slack = voting
    user = new_user()
    summary = await finish(slack, user)
    rec = await recommendation(slack, user)
    payload = block_actions_payload(
        user_id=user,
        action_id="feedback_not_useful",
        value=vote_buttons(summary)["feedback_not_useful"],
        channel_id="D" + user,
        message_ts=summary.result["ts"],
        trigger_id="trig-replayed",
        response_url=slack.standin.response_url("r-replayed"),
    )
    body = urlencode({"payload": json.dumps(payload)})
    for _ in range(3):  # Slack's retries of one click: the very same body
        status, _ = await slack.post(body, content_type="application/x-www-form-urlencoded")
        assert status == 200
    await slack.eventually(lambda: len(slack.ephemerals(user)) >= 3)
    texts = [c.payload["text"] for c in slack.ephemerals(user)]
    assert texts.count(TEXTS[Outcome.COUNTED]) == 1
    assert count(metrics, "not_useful", rec) == 1


async def test_a_click_on_an_old_summary_does_not_count(
    voting: SlackHarness, metrics: Metrics
) -> None:
    slack = voting
    user = new_user()
    dm = "D" + user
    first = await finish(slack, user)
    budget = slack.advisor.flow.question("budget")
    assert budget is not None
    asked = len(slack.questions(dm))
    await slack.dm(user, "edit budget")
    await slack.next_question(dm, asked)
    session = await slack.advisor.peek(dm_key(user))
    assert session is not None
    current = session.answers["budget"]
    await slack.dm(user, next(o.id for o in budget.options if o.id != current))
    second = (await slack.eventually(lambda: slack.summaries(dm)[1:]))[0]
    rec = await recommendation(slack, user)

    await click(slack, user, first, "feedback_useful")
    told = await slack.eventually(lambda: slack.ephemerals(user))
    assert told[0].payload["text"] == TEXTS[Outcome.OUTDATED]
    await click(slack, user, second, "feedback_useful")
    await slack.eventually(lambda: slack.ephemerals(user)[1:])
    assert slack.ephemerals(user)[1].payload["text"] == TEXTS[Outcome.COUNTED]
    total = sum(
        s.value
        for m in metrics.registry.collect()
        if m.name == "advisor_feedback"
        for s in m.samples
        if s.name == "advisor_feedback_total"
    )
    assert total == 1 and count(metrics, "useful", rec) == 1


async def test_someone_elses_vote_is_refused(voting: SlackHarness, metrics: Metrics) -> None:
    slack = voting
    owner, other = new_user(), new_user()
    summary = await finish(slack, owner)
    value = vote_buttons(summary)["feedback_useful"]
    status, _ = await slack.action(
        other, "feedback_useful", value, channel="D" + owner, message_ts=summary.result["ts"]
    )
    assert status == 200
    told = await slack.eventually(lambda: slack.ephemerals(other))
    assert "belongs to" in told[0].payload["text"]
    assert metrics.exposition().decode().count("advisor_feedback_total{") == 0
