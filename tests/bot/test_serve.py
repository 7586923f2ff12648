"""`llm-advisor serve`: Slack and Teams on one port, health, readiness, metrics, logs, SIGTERM,
and several processes against one Redis behaving as one bot."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis import asyncio as aioredis

from bot.lifecycle import settle_heap
from bot.observe import JsonFormatter
from bot.server import Service, create_service
from bot.settings import Settings
from bot.slack.delivery import Place
from dialogs.stores.base import session_key
from tests.bot.slack.conftest import SECRET, SlackHarness, new_user
from tests.bot.slack.test_dm import click_through
from tests.bot.teams.conftest import Person, TeamsHarness
from tests.support.answers import FULL_ANSWERS
from tests.support.redis_server import RedisServer, free_port
from tests.support.slack_signing import event_body, event_payload, message_event, sign
from tests.support.slack_standin import PROXY_ENV_VARS, SlackStandIn
from tests.support.teams_connector import TeamsConnector

ROOT = Path(__file__).resolve().parents[2]


def settings_for(redis_url: str, standin: SlackStandIn) -> Settings:
    return Settings(
        redis_url=redis_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=standin.base_url,
        teams_dev_mode=True,
    )


@pytest.fixture
async def standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlackStandIn]:
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    async with SlackStandIn() as server:
        yield server


@pytest.fixture
async def connector() -> AsyncIterator[TeamsConnector]:
    async with TeamsConnector() as server:
        yield server


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


def parse_metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus text format to {(name, sorted labels): value}."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, rest = head.partition("{")
        labels = tuple(sorted(tuple(p.split("=", 1)) for p in rest.rstrip("}").split(",") if p))
        out[(name, tuple((k, v.strip('"')) for k, v in labels))] = float(value)
    return out


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


# ------------------------------------------------------------------------- real processes


class ServeProcess:
    def __init__(
        self,
        *,
        redis_url: str,
        standin: SlackStandIn,
        extra_env: dict[str, str] | None = None,
        command: tuple[str, ...] = ("serve",),
    ) -> None:
        self.port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in PROXY_ENV_VARS and not k.startswith(("SLACK_", "MICROSOFT_", "TEAMS_"))
        }
        env.update(
            PYTHONPATH=str(ROOT),
            REDIS_URL=redis_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=standin.base_url,
            TEAMS_DEV_MODE="true",
            ADVISOR_SHUTDOWN_SECONDS="15",
        )
        env.update(extra_env or {})
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                *command,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    async def ready(self, http: aiohttp.ClientSession) -> None:
        for _ in range(600):
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.process.communicate()[1]}")
            try:
                async with http.get(f"{self.url}/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError("serve did not become ready")

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err


@pytest.fixture
def processes() -> Iterator[list[ServeProcess]]:
    started: list[ServeProcess] = []
    yield started
    for p in started:
        p.stop()


async def test_sigterm_finishes_the_turn_in_flight(
    standin: SlackStandIn, private_redis: RedisServer, processes: list[ServeProcess]
) -> None:
    server = ServeProcess(redis_url=private_redis.url, standin=standin)
    processes.append(server)
    async with aiohttp.ClientSession() as http:
        await server.ready(http)
        user = new_user()
        standin.delay("chat.postMessage", 2.0, times=2)  # the intro and the first question
        body = event_body(message_event(user, "hi", "D" + user), "EvSIGTERM")
        headers = {**sign(body, SECRET), "Content-Type": "application/json"}
        async with http.post(f"{server.url}/slack/events", data=body, headers=headers) as r:
            assert r.status == 200
        await standin.wait_for("chat.postMessage")  # the turn is now waiting on Slack
        server.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        async with aiohttp.ClientSession() as fresh:  # a new connection is refused
            with pytest.raises(aiohttp.ClientError):
                async with fresh.get(f"{server.url}/healthz") as r:
                    await r.read()
        async with http.post(f"{server.url}/slack/events", data=body, headers=headers) as r:
            assert r.status == 503  # and a kept-alive one no longer takes work
        code, err = await asyncio.to_thread(server.stop)
    assert code == 0, err
    posted = standin.calls_to("chat.postMessage")
    assert len(posted) == 2 and all(c.result.get("ok") for c in posted), (
        "the turn in flight finished"
    )
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any("draining 1 turn" in line["message"] for line in lines)
    assert lines[-1]["message"] == "stopped"


@pytest.mark.parametrize(
    "case",
    [
        # the command line, the platform it serves, the other platform's path
        (("slack",), "slack", "/api/messages"),
        (("teams", "--dev"), "teams", "/slack/events"),
    ],
    ids=["slack", "teams"],
)
async def test_slack_and_teams_commands_serve_the_application_of_serve(
    standin: SlackStandIn,
    private_redis: RedisServer,
    processes: list[ServeProcess],
    connector: TeamsConnector,
    case: tuple[tuple[str, ...], str, str],
) -> None:
    """`llm-advisor slack` and `llm-advisor teams` are `serve` for one platform: health,
    readiness, metrics and draining on SIGTERM come with them."""
    command, serving, absent = case
    server = ServeProcess(
        redis_url=private_redis.url,
        standin=standin,
        command=command,
        extra_env={"TEAMS_DEV_MODE": "false"},
    )
    processes.append(server)
    async with aiohttp.ClientSession() as http:
        await server.ready(http)
        async with http.get(f"{server.url}/readyz") as r:
            assert (await r.json())["platforms"] == [serving]
        async with http.get(f"{server.url}/healthz") as r:
            assert r.status == 200
        async with http.post(f"{server.url}{absent}", json={}) as r:
            assert r.status == 404, "only the one platform is served"
        if serving == "slack":
            user = new_user()
            body = event_body(message_event(user, "hi", "D" + user), "EvSlackCmd")
            headers = {**sign(body, SECRET), "Content-Type": "application/json"}
            async with http.post(f"{server.url}/slack/events", data=body, headers=headers) as r:
                assert r.status == 200
            posts = await standin.wait_for("chat.postMessage", count=2)
            assert "Where is the product" in posts[-1].payload["text"]
        else:
            teams = TeamsHarness(
                connector=connector,
                url=f"{server.url}/api/messages",
                http=http,
                advisor=None,  # type: ignore[arg-type]
            )
            person = Person()
            assert await teams.say(person, "hello") in (200, 201)
            await teams.eventually(lambda: teams.questions(person.conversation))
        async with http.get(f"{server.url}/metrics") as r:
            text = await r.text()
        metrics = parse_metrics(text)
        key = ("advisor_assessments_started_total", (("platform", serving),))
        assert metrics[key] == 1.0
    code, err = await asyncio.to_thread(server.stop)
    assert code == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines[-1]["message"] == "stopped"


async def test_three_processes_behave_as_one_bot(
    standin: SlackStandIn,
    private_redis: RedisServer,
    processes: list[ServeProcess],
    connector: TeamsConnector,
) -> None:
    servers = [ServeProcess(redis_url=private_redis.url, standin=standin) for _ in range(3)]
    processes.extend(servers)
    user = new_user()
    dm = "D" + user
    async with aiohttp.ClientSession() as http:
        for s in servers:
            await s.ready(http)
        harnesses = [
            SlackHarness(standin=standin, url=f"{s.url}/slack/events", http=http, advisor=None)  # type: ignore[arg-type]
            for s in servers
        ]
        first = harnesses[0]
        await first.dm(user, "hi")
        turn = 0
        while True:
            question = await first.eventually(
                lambda turn=turn: (
                    (first.questions(dm)[turn:] or [None])[0] or (first.summaries(dm) or [None])[0]
                )
            )
            if first.is_summary(question):
                break
            buttons = first.question_buttons(question)
            ts = question.result["ts"]
            if not buttons:  # the number question: the same typed event sent to all three at once
                # A person reads before typing: by then the process that posted the question
                # has recorded its message (a typed answer carries no message id).
                await asyncio.sleep(0.3)
                body = event_body(message_event(user, "2B", dm), f"EvNUM-{user}")
                headers = {**sign(body, SECRET), "Content-Type": "application/json"}
                await asyncio.gather(
                    *(
                        http.post(f"{s.url}/slack/events", data=body, headers=headers)
                        for s in servers
                    )
                )
            else:
                qid = json.loads(next(iter(buttons.values()))["value"])["q"]
                button = buttons[FULL_ANSWERS[qid]]
                # Spread the clicks over the processes; every third one is double-clicked on two.
                targets = [harnesses[turn % 3]] + (
                    [harnesses[(turn + 1) % 3]] if turn % 3 == 0 else []
                )
                await asyncio.gather(
                    *(
                        h.action(
                            user, button["action_id"], button["value"], channel=dm, message_ts=ts
                        )
                        for h in targets
                    )
                )
            await first.eventually(lambda ts=ts: first.updates(ts))
            turn += 1
        await asyncio.sleep(0.3)
    questions = first.questions(dm)
    asked = [
        json.loads(next(iter(first.question_buttons(q).values()))["value"])["q"]
        for q in questions
        if first.question_buttons(q)
    ]
    assert len(asked) == len(set(asked)) == 23, "no question posted twice"
    assert len(first.summaries(dm)) == 1
    for q in questions:
        assert len(first.updates(q.result["ts"])) == 1
    doc = await _session_doc(
        private_redis.url, Place(team="T1", channel=dm, thread_ts="", user=user)
    )
    answers = {k: v for k, v in doc["answers"].items()}
    assert answers == {**FULL_ANSWERS, "monthly_tokens": "2000000000"}
    assert doc["state"] == "done"
    assert len(doc["history"]) == 24  # 24 answers, none applied twice
    # Every delivery is one committed turn: the opening, 24 answers, and the 8 extra clicks
    # (told "already answered"); the number sent to all three processes counted once.
    assert doc["version"] == 25 + 8


async def _session_doc(redis_url: str, place: Place) -> dict[str, Any]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    raw = await client.get(session_key(place.key))
    await client.aclose()
    assert raw is not None
    doc: dict[str, Any] = json.loads(raw)
    return doc


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
