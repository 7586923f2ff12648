"""Team mode under load (issue 14): 25 members answering at once across three `llm-advisor serve`
processes on one Redis, and the team card kept on the newest state through Slack's 429s.

The processes are started as users start them (bench/processes.py, bench/bench_slack.py's
environment); the stand-in Slack Web API runs in this process and records what each of them
sent; every request is signed (bench/slack_users.py's client) and the members' clicks go to
the three processes in turn (bench/team_users.py). The team and the members' answers are then
read back from Redis through the store and TeamBook. The 429 tests run the app in this process
(tests/bot/slack/conftest.py), behind the same signed HTTP, with the stand-in refusing updates."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.bench_slack import advisor_process, server_env
from bench.processes import ServerProcess
from bench.slack_standin import BenchStandIn, is_summary
from bench.slack_users import Client
from bench.team_users import Member, TeamCard, answer_all, join, start_team
from bot.app import create_advisor
from bot.render import labels
from bot.slack.server import EVENTS_PATH
from bot.slack.team_render import TEAM_JOIN
from dialogs.flow import Flow
from dialogs.stores.base import SessionStore
from dialogs.team_session import Team, TeamBook, TeamRef
from tests.bot.slack.conftest import SlackHarness, new_user, slack_settings
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_standin import PROXY_ENV_VARS, TEAM_ID, SlackStandIn

MEMBERS = 25
PROCESSES = 3
# Where the members differ (by their position), so the revealed card has spreads to count.
SPREADS = {
    "data_sensitivity": ("regulated", "public"),
    "budget": ("10k_100k", "under_10k", "100k_1m"),
    "team": ("ml_eng", "app_devs"),
}
SPREAD = re.compile(r"• _(?P<label>[^_]+)_ \((?P<count>\d+)\)")


@pytest.fixture
async def bench_standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BenchStandIn]:
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    async with BenchStandIn() as server:
        yield server


@pytest.fixture
async def servers(
    bench_standin: BenchStandIn, redis_url: str, tmp_path: Path
) -> AsyncIterator[list[ServerProcess]]:
    """Three `llm-advisor serve` processes on the one Redis and the one stand-in Web API."""
    env = server_env(bench_standin.base_url, redis_url)
    started = []
    try:
        for number in range(PROCESSES):
            folder = tmp_path / f"serve-{number}"
            folder.mkdir()
            server = advisor_process(folder, env)
            server.name = f"serve {number}"
            server.start()
            started.append(server)
        await asyncio.gather(*(s.ready("/readyz") for s in started))
        yield started
    finally:
        for server in started:
            server.stop()


def picks(position: int) -> dict[str, str]:
    return {**FULL_ANSWERS, **{q: o[position % len(o)] for q, o in SPREADS.items()}}


def spreads(card: dict[str, Any], flow: Flow) -> dict[str, Counter[str]]:
    """The revealed card's disagreements: question -> option label -> count shown."""
    shorts = {q.short: q.id for q in flow.questions}
    found: dict[str, Counter[str]] = {}
    for block in card.get("blocks", []):
        text = str(block.get("text", {}).get("text", ""))
        head, _, rest = text.partition("\n")
        qid = shorts.get(head.strip("*"))
        if qid and SPREAD.search(rest):
            found[qid] = Counter({m["label"]: int(m["count"]) for m in SPREAD.finditer(rest)})
    return found


def revealed(payload: dict[str, Any]) -> bool:
    return "Where you disagree" in json.dumps(payload.get("blocks", []))


async def test_25_members_answering_at_once_across_three_processes(
    bench_standin: BenchStandIn,
    servers: list[ServerProcess],
    redis_url: str,
    store: SessionStore,
    flow: Flow,
) -> None:
    """No answer lost, one reveal, one card, and the final card's counts are the answers."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        clients = [
            Client(http=http, url=s.url(EVENTS_PATH), standin=bench_standin) for s in servers
        ]
        channel = "C" + uuid.uuid4().hex[:8].upper()
        card = await start_team(clients[0], new_user(), channel, "Support bot")
        users = [new_user() for _ in range(MEMBERS)]
        members: list[Member] = await asyncio.gather(
            *(join(clients[i % PROCESSES], card, u) for i, u in enumerate(users))
        )
        # Everyone answers every question at once; member i's clicks start at process i.
        await asyncio.gather(
            *(answer_all(clients, m, picks(i), offset=i) for i, m in enumerate(members))
        )
        await asyncio.gather(*(c.settle() for c in clients))
        assert all(is_done(m) for m in members)
        # SIGTERM drains each process's turns (card updates included): what the card shows
        # afterwards is final.
        # (In threads: the stand-in on this event loop must answer them meanwhile.)
        codes = await asyncio.gather(*(asyncio.to_thread(s.stop) for s in servers))
        assert codes == [0] * PROCESSES, [s.log_tail() for s in servers]

    ref = TeamRef(platform="slack", workspace=TEAM_ID, conversation=channel, thread=card.ts)
    team = await TeamBook(store=store, ttl_seconds=60).load(ref)
    assert team is not None and team.revealed and len(team.finished) == MEMBERS
    assert team.version == 1 + MEMBERS + MEMBERS  # created, the joins, the finishes
    reader = create_advisor(slack_settings(bench_standin, redis_url), store=store)
    for i, member in enumerate(members):
        session = await reader.peek(ref.member_key(member.user))
        seat = team.seat(member.user)
        assert session is not None and seat is not None and seat.finished
        # Every answer the member clicked is stored, in their session and in the team.
        assert dict(session.answers) == dict(seat.answers or {}) == member.answers
        for qid, options in SPREADS.items():
            assert member.answers[qid] == options[i % len(options)]

    assert_one_card_on_the_stored_answers(card, team, members, flow)
    assert not bench_standin.card_problems


def is_done(member: Member) -> bool:
    return bool(member.turns.posts) and is_summary(member.turns.posts[-1])


def assert_one_card_on_the_stored_answers(
    card: TeamCard, team: Team, members: list[Member], flow: Flow
) -> None:
    assert len(card.posts()) == 1  # one card, posted once
    updates = card.updates()
    # Coalesced: fewer updates than the 50 changes (25 joins, 25 finishes; each process updates
    # a card at most once a second), and far fewer than the members' answers.
    answers = sum(len(m.answers) for m in members)
    assert 0 < len(updates) < 2 * MEMBERS and len(updates) * 10 < answers
    # Revealed once: the card turned to the results once and never went back.
    shown = [revealed(u.payload) for u in updates]
    flips = sum(1 for before, after in zip([False, *shown], shown, strict=False) if after != before)
    assert flips == 1 and shown[-1]
    final = card.latest()
    options = labels(flow)["option"]
    stored: dict[str, Counter[str]] = {
        qid: Counter(options[qid][s.answers[qid]] for s in team.finished if s.answers)
        for qid in SPREADS
    }
    assert spreads(final, flow) == stored
    # Finished: each disagreement counts every finished member, and every member's own advice
    # is on the card (none still answering).
    assert all(sum(c.values()) == len(team.finished) == MEMBERS for c in stored.values())
    assert own_advice(final) == len(team.finished)
    assert "Revealed with" not in json.dumps(final["blocks"])


def own_advice(card: dict[str, Any]) -> int:
    """How many members' own advice the card lists (one line each, or "n of N" per headline
    when grouped to fit)."""
    for block in card["blocks"]:
        text = str(block.get("text", {}).get("text", ""))
        if text.startswith("*Each member's own advice*"):
            lines = [line for line in text.splitlines()[1:] if line.startswith("• ")]
            grouped = [re.match(r"• (\d+) of \d+: ", line) for line in lines]
            if all(grouped):
                return sum(int(m[1]) for m in grouped if m)
            return len(lines)
    raise AssertionError("no members' own advice on the card")


@pytest.mark.parametrize("refusals", [1, 3], ids=["once", "beyond the client's retries"])
async def test_a_card_update_refused_with_429_still_ends_on_the_newest_team(
    slack: SlackHarness, standin: SlackStandIn, refusals: int
) -> None:
    """Slack answers the card's update with 429 (Retry-After 1): once, which the client's
    handler waits out and retries, or more often than it retries, which the card's refresh
    waits out itself. A member who joins meanwhile is on the card in the end all the same."""
    facilitator, ana, ben = new_user(), new_user(), new_user()
    channel = "C" + uuid.uuid4().hex[:8].upper()
    status, _ = await slack.command(facilitator, "team Pricing assistant", channel=channel)
    assert status == 200
    card = await slack.eventually(lambda: next(iter(slack.posts(channel)), None))
    ts, join_value = card.result["ts"], card_button(card.payload, TEAM_JOIN)
    standin.fail("chat.update", status=429, retry_after=1, times=refusals)

    status, _ = await slack.action(ana, TEAM_JOIN, join_value, channel=channel, message_ts=ts)
    assert status == 200
    await standin.wait_for("chat.update")  # Ana's card update: refused
    status, _ = await slack.action(ben, TEAM_JOIN, join_value, channel=channel, message_ts=ts)
    assert status == 200
    await slack.eventually(lambda: slack.questions("D" + ben), within=10)

    def both_on_card() -> bool:
        updates = [u for u in slack.updates(ts) if u.result.get("ok")]
        text = json.dumps(updates[-1].payload["blocks"]) if updates else ""
        return "Still answering (2)" in text

    await slack.eventually(both_on_card, within=30)
    assert slack.drainer is not None and await slack.drainer.drain(30)
    updates = slack.updates(ts)
    refused = [u for u in updates if not u.result]
    assert len(refused) == refusals and updates[0] in refused
    final = json.dumps(updates[-1].payload["blocks"])  # nothing older was sent after it
    assert updates[-1].result.get("ok") and "Still answering (2)" in final
    assert f"<@{ana}>" in final and f"<@{ben}>" in final
    assert len(slack.posts(channel)) == 1


def card_button(payload: dict[str, Any], action_id: str) -> str:
    for block in payload["blocks"]:
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} on the card")
