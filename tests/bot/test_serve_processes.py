"""`llm-advisor serve` as real processes: SIGTERM finishes the turn in flight, the Slack and Teams
commands serve the application of serve, and several processes against one Redis behave as one
bot."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Any

import aiohttp
import pytest
from redis import asyncio as aioredis

from bot.slack.delivery import Place
from dialogs.stores.base import session_key
from tests.bot.serve_rigs import (
    ServeProcess,
    connector,
    parse_metrics,
    processes,
    standin,
)
from tests.bot.slack.conftest import SECRET, SlackHarness, new_user
from tests.bot.teams.conftest import Person, TeamsHarness
from tests.support.answers import FULL_ANSWERS
from tests.support.redis_server import RedisServer
from tests.support.slack_signing import event_body, message_event, sign
from tests.support.slack_standin import SlackStandIn
from tests.support.teams_connector import TeamsConnector

__all__ = ["connector", "processes", "standin"]  # fixtures, used here by name


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
