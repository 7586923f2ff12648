"""The Teams side of bench/hardening.py: activities to `serve` in dev mode, what the
connector stand-in received, the walks and slow turns, and a dead connector."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.hardening_figures import Figures, until
from bench.hardening_slack import TYPED
from bench.teams_sides import is_summary as is_teams_summary
from bench.teams_sides import submits
from bot.adapter import FAILED, SLOW
from bot.teams.delivery import CALL_TIMEOUT_SECONDS
from tests.support.redis_server import free_port
from tests.support.teams_activities import (
    card_submit,
    new_aad_object_id,
    new_personal_conversation_id,
    new_user_id,
    personal_message,
)
from tests.support.teams_connector import ConnectorCall, TeamsConnector


@dataclass
class Teams:
    http: aiohttp.ClientSession
    url: str
    connector: TeamsConnector

    async def post(self, activity: dict[str, Any]) -> tuple[int, float]:
        began = time.perf_counter()
        async with self.http.post(self.url, json=activity) as response:
            await response.read()
            return response.status, time.perf_counter() - began


@dataclass(frozen=True)
class Person:
    user_id: str = field(default_factory=new_user_id)
    aad: str = field(default_factory=new_aad_object_id)
    conversation: str = field(default_factory=new_personal_conversation_id)

    def say(self, text: str, service_url: str) -> dict[str, Any]:
        return personal_message(
            text,
            user_id=self.user_id,
            aad_object_id=self.aad,
            conversation_id=self.conversation,
            service_url=service_url,
        )

    def click(self, value: dict[str, str], card: ConnectorCall, service_url: str) -> dict[str, Any]:
        return card_submit(
            value,
            reply_to_id=str(card.answer["id"]),
            user_id=self.user_id,
            aad_object_id=self.aad,
            conversation_id=self.conversation,
            service_url=service_url,
        )


def teams_stamp(call: ConnectorCall) -> str:
    """The stamp of a question card (its answer, Back and Skip buttons carry it), else ""."""
    for data in submits(call):
        if data.get("s") and ("o" in data or data.get("cmd") in ("back", "skip")):
            return str(data["s"])
    return ""


def teams_questions(connector: TeamsConnector, person: Person) -> list[ConnectorCall]:
    return [c for c in connector.sent(person.conversation) if c.cards and teams_stamp(c)]


async def teams_walk(teams: Teams, figures: Figures) -> None:
    """As slack_walk, in Teams: answers clicked three times at once, Back twice at once."""
    connector, person, url = teams.connector, Person(), teams.connector.service_url
    await teams.post(person.say("hi", url))
    seen: set[str] = set()
    shown: list[str] = []
    backed = False
    answered = 0

    def next_card() -> ConnectorCall | None:
        for call in connector.sent(person.conversation):
            if is_teams_summary(call) or (teams_stamp(call) and teams_stamp(call) not in seen):
                return call
        return None

    while True:
        card = await until(next_card, "the next card")
        if is_teams_summary(card):
            break
        seen.add(teams_stamp(card))
        options = [d for d in submits(card) if "o" in d]
        shown.append(options[0]["q"] if options else f"typed-{len(shown)}")
        back = next((d for d in submits(card) if d.get("cmd") == "back"), None)
        if len(shown) == 3 and back and not backed:
            backed = True
            await asyncio.gather(*(teams.post(person.click(back, card, url)) for _ in range(2)))
            figures.clicks += 2
            after = await until(next_card, "the card after back")
            went_to = next((d["q"] for d in submits(after) if "o" in d), "")
            figures.steps += 1
            figures.double_steps += went_to != shown[1]
            continue
        if options:
            await asyncio.gather(
                *(teams.post(person.click(options[0], card, url)) for _ in range(3))
            )
            figures.clicks += 3
        else:
            await teams.post(person.say(TYPED, url))
        answered += 1
    stamps = Counter(teams_stamp(c) for c in teams_questions(connector, person))
    figures.duplicate_posts_clicks += sum(n - 1 for n in stamps.values())
    figures.notes.extend(f"teams {s} x{n}" for s, n in stamps.items() if n > 1)
    summaries = sum(is_teams_summary(c) for c in connector.sent(person.conversation))
    figures.duplicate_posts_clicks += max(0, summaries - 1)
    figures.steps += answered


async def teams_slow(teams: Teams, figures: Figures) -> None:
    """The connector takes the next question card but answers after the per-call limit; then
    the person types `status`."""
    connector, person, url = teams.connector, Person(), teams.connector.service_url
    await teams.post(person.say("hi", url))
    first = await until(lambda: teams_questions(connector, person), "the first card")
    option = next(d for d in submits(first[0]) if "o" in d)
    connector.delay("send", CALL_TIMEOUT_SECONDS + 1.0)
    await teams.post(person.click(option, first[0], url))
    await until(lambda: len(teams_questions(connector, person)) >= 2, "the late card")
    await teams.post(person.say("status", url))
    stamps = Counter(teams_stamp(c) for c in teams_questions(connector, person))
    texts = [str(c.body.get("text") or "") for c in connector.sent(person.conversation)]
    figures.slow_turns += 1
    figures.duplicate_posts_slow += sum(n - 1 for n in stamps.values())
    figures.false_errors_slow += sum(FAILED[:20] in t for t in texts)
    figures.slow_notices += sum(SLOW in t for t in texts)


async def black_hole() -> tuple[asyncio.Server, int]:
    """A connector that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def dead_connector(teams: Teams, figures: Figures, people: int) -> None:
    """Inbound requests whose replies go to a dead connector: how long each one is held."""
    hole, hole_port = await black_hole()
    try:
        urls = [f"http://127.0.0.1:{free_port()}/", f"http://127.0.0.1:{hole_port}/"]
        activities = [Person().say("hi", u) for u in urls for _ in range(people)]
        results = await asyncio.gather(*(teams.post(a) for a in activities))
        figures.dead_requests.extend(seconds for _, seconds in results)
    finally:
        hole.close()
