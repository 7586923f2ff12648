"""`llm-advisor serve` in process: Slack and Teams on one port, health, readiness, metrics, logs,
Socket Mode; SIGTERM and several processes against one Redis are in test_serve_processes.py."""

from __future__ import annotations

import gc
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.lifecycle import settle_heap
from bot.observe import JsonFormatter
from bot.server import Service, create_service
from tests.bot.serve_rigs import ROOT, connector, parse_metrics, settings_for, standin
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.test_dm import click_through
from tests.bot.teams.conftest import Person, TeamsHarness
from tests.support.redis_server import RedisServer, free_port
from tests.support.slack_signing import event_payload, message_event
from tests.support.slack_standin import SlackStandIn
from tests.support.teams_connector import TeamsConnector

__all__ = ["connector", "standin"]  # fixtures, used here by name


async def start(service: Service) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(service.app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def served(
    standin: SlackStandIn, private_redis: RedisServer
) -> AsyncIterator[tuple[Service, str, RedisServer]]:
    service = await create_service(settings_for(private_redis.url, standin), teams_dev=True)
    runner, base = await start(service)
    try:
        yield service, base, private_redis
    finally:
        await runner.cleanup()
        await service.close()


async def test_both_platforms_on_one_port_and_the_metrics_after_an_assessment(
    served: tuple[Service, str, RedisServer], standin: SlackStandIn, connector: TeamsConnector
) -> None:
    service, base, _ = served
    assert sorted(service.platforms) == ["slack", "teams"]
    async with aiohttp.ClientSession() as http:
        slack = SlackHarness(
            standin=standin, url=f"{base}/slack/events", http=http, advisor=service.advisor
        )
        user = new_user()
        await slack.dm(user, "hi")
        await click_through(slack, user, "D" + user)
        # A redelivered event is dropped and counted.
        event = message_event(user, "status", "D" + user)
        await slack.event(event, event_id="EvDUP-metrics")
        await slack.event(event, event_id="EvDUP-metrics")

        teams = TeamsHarness(
            connector=connector, url=f"{base}/api/messages", http=http, advisor=service.advisor
        )
        person = Person()
        assert await teams.say(person, "hello") in (200, 201)
        await teams.eventually(lambda: teams.questions(person.conversation))

        async with http.get(f"{base}/healthz") as r:
            assert r.status == 200
        async with http.get(f"{base}/readyz") as r:
            assert r.status == 200 and (await r.json())["status"] == "ready"
        await slack.eventually(
            lambda: _metric_value_sync(
                service, "advisor_duplicate_deliveries_total", platform="slack"
            )
        )
        async with http.get(f"{base}/metrics") as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
            text = await r.text()
    metrics = parse_metrics(text)
    assert metrics[("advisor_assessments_started_total", (("platform", "slack"),))] == 1.0
    assert metrics[("advisor_assessments_completed_total", (("platform", "slack"),))] == 1.0
    assert metrics[("advisor_assessments_started_total", (("platform", "teams"),))] == 1.0
    rec = (("depth", "fine_tune"), ("hosting", "private_endpoint"))
    assert metrics[("advisor_recommendations_total", rec)] == 1.0
    assert metrics[("advisor_turns_total", (("outcome", "ok"), ("platform", "slack")))] >= 18
    assert metrics[("advisor_duplicate_deliveries_total", (("platform", "slack"),))] == 1.0
    assert metrics[("advisor_turn_seconds_count", (("platform", "slack"),))] >= 19


def _metric_value_sync(service: Service, name: str, **labels: str) -> float | None:
    value = service.metrics.registry.get_sample_value(name, labels)
    return value if value else None


async def test_readiness_follows_redis(served: tuple[Service, str, RedisServer]) -> None:
    _, base, redis = served
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/readyz") as r:
            assert r.status == 200
        redis.stop()
        async with http.get(f"{base}/readyz") as r:
            assert r.status == 503
            assert "session store unavailable" in (await r.json())["reason"]
        async with http.get(f"{base}/healthz") as r:
            assert r.status == 200  # alive, just not ready
        redis.start()
        async with http.get(f"{base}/readyz") as r:
            assert r.status == 200


async def test_turn_log_lines_carry_no_answer_text(
    served: tuple[Service, str, RedisServer],
    standin: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service, base, _ = served
    caplog.set_level(logging.INFO, logger="llm_advisor.turns")
    async with aiohttp.ClientSession() as http:
        slack = SlackHarness(
            standin=standin, url=f"{base}/slack/events", http=http, advisor=service.advisor
        )
        user = new_user()
        await slack.dm(user, "hi")
        await slack.next_question("D" + user, 0)
        await slack.dm(user, "Live with steady usage")
        await slack.next_question("D" + user, 1)
    lines = [
        json.loads(JsonFormatter().format(r))
        for r in caplog.records
        if r.name == "llm_advisor.turns"
    ]
    assert len(lines) >= 2
    for line in lines:
        assert set(line) >= {
            "ts",
            "level",
            "event",
            "platform",
            "user",
            "conversation",
            "question",
            "outcome",
            "latency_ms",
        }
        assert line["platform"] == "slack" and line["outcome"] == "ok"
        assert user not in json.dumps(line) and "D" + user not in json.dumps(line)
        assert "Live with steady usage" not in json.dumps(line) and "text" not in line
    assert lines[-1]["question"] == "value"


def test_starting_with_no_platform_says_what_is_missing(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMS_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "MICROSOFT_APP_ID" in result.stderr


async def test_serve_with_slack_over_socket_mode_too(standin: SlackStandIn, redis_url: str) -> None:
    settings = replace(settings_for(redis_url, standin), slack_app_token="xapp-test")
    service = await create_service(settings, slack_socket=True)
    assert "slack-socket" in service.platforms
    assert service.socket is not None
    await service.socket.connect()
    try:
        await standin.wait_for_connection()
        user = new_user()
        envelope = await standin.send_envelope(
            "events_api", event_payload(message_event(user, "hi", "D" + user), "EvServeSock")
        )
        await standin.wait_for_ack(envelope)
        posts = await standin.wait_for("chat.postMessage", count=2)
        assert "Where is the product" in posts[-1].payload["text"]
    finally:
        await service.close()


def test_settle_heap_freezes_what_startup_built_and_collects_young_objects_less_often() -> None:
    threshold = gc.get_threshold()
    try:
        built = [{"startup": i} for i in range(1000)]  # stands for the flow, templates, clients
        settle_heap(young_threshold=12_345)
        assert gc.get_freeze_count() >= len(built)
        assert gc.get_threshold() == (12_345, *threshold[1:])
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # cycles made after startup are still collected
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
