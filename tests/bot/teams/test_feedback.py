"""Was it useful? The summary card's two buttons in Teams, counted once per person and summary
by recommendation, through the real CloudAdapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.feedback import TEXTS, Outcome
from bot.observe import Metrics
from bot.settings import Settings
from bot.teams.delivery import Place
from dialogs.stores.base import SessionStore
from dialogs.turn import SessionKey
from tests.bot.teams.conftest import Person, TeamsHarness, card_text, start_teams
from tests.support.answers import TYPED_ANSWERS
from tests.support.payloads import walk
from tests.support.teams_activities import TENANT_ID
from tests.support.teams_connector import ConnectorCall, TeamsConnector


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
async def voting(
    connector: TeamsConnector, redis_url: str, store: SessionStore, metrics: Metrics, sdk: str
) -> AsyncIterator[TeamsHarness]:
    settings = Settings(redis_url=redis_url, teams_dev_mode=True, teams_sdk=sdk)
    harness, runner = await start_teams(
        connector, settings, store, sdk=sdk, dev=True, metrics=metrics
    )
    try:
        yield harness
    finally:
        await harness.http.close()
        await runner.cleanup()


async def finish(teams: TeamsHarness, person: Person) -> ConnectorCall:
    await teams.say(person, "hello")
    for i, text in enumerate(TYPED_ANSWERS):

        def asked(i: int = i) -> bool:
            cards = teams.cards(person.conversation)
            return len([c for c in cards if "Question " in card_text(c)]) > i

        await teams.eventually(asked)
        assert await teams.say(person, text) in (200, 201, 202)
    return (await teams.eventually(lambda: teams.summaries(person.conversation)))[0]


def vote_data(card: ConnectorCall, vote: str) -> dict[str, Any]:
    for payload in card.cards:
        for node in walk(payload):
            data = node.get("data") if node.get("type") == "Action.Submit" else None
            if isinstance(data, dict) and data.get("vote") == vote:
                return data
    raise AssertionError(f"no {vote} button")


def key_of(person: Person) -> SessionKey:
    place = Place(
        tenant=TENANT_ID, conversation=person.conversation, thread="", user=person.aad, user_name=""
    )
    return place.key


def count(metrics: Metrics, vote: str, rec: tuple[str, str]) -> float:
    labels = {"depth": rec[0], "hosting": rec[1], "vote": vote}
    return metrics.registry.get_sample_value("advisor_feedback_total", labels) or 0.0


def replies_saying(teams: TeamsHarness, person: Person, text: str) -> list[str]:
    return [t for t in teams.texts(person.conversation) if t == text]


async def test_a_vote_counts_once_and_is_thanked_once(
    voting: TeamsHarness, metrics: Metrics
) -> None:
    teams = voting
    person = Person()
    summary = await finish(teams, person)
    session = await teams.advisor.peek(key_of(person))
    assert session is not None
    shown = teams.advisor.summary(session)
    assert shown is not None
    rec = shown.assessment["recommendation"]
    rec_ids = (str(rec["depth"]), str(rec["hosting"]))

    useful = vote_data(summary, "useful")
    assert await teams.click(person, summary, useful) in (200, 201, 202)
    await teams.eventually(lambda: replies_saying(teams, person, TEXTS[Outcome.COUNTED]))
    assert count(metrics, "useful", rec_ids) == 1

    # Again (a replay of one activity id, as Teams retries a slow turn) and the other button:
    # neither counts.
    for _ in range(2):
        assert await teams.click(person, summary, useful, activity_id="replayed") in (200, 201, 202)
    assert await teams.click(person, summary, vote_data(summary, "not_useful")) in (200, 201, 202)
    await teams.eventually(
        lambda: len(replies_saying(teams, person, TEXTS[Outcome.REPEATED])) == 3 or None
    )
    assert len(replies_saying(teams, person, TEXTS[Outcome.COUNTED])) == 1
    assert count(metrics, "useful", rec_ids) == 1
    assert count(metrics, "not_useful", rec_ids) == 0
    assert teams.connector.card_problems == []


async def test_a_click_on_an_old_summary_card_does_not_count(
    voting: TeamsHarness, metrics: Metrics
) -> None:
    teams = voting
    person = Person()
    first = await finish(teams, person)
    budget = teams.advisor.flow.question("budget")
    assert budget is not None
    session = await teams.advisor.peek(key_of(person))
    assert session is not None
    current = session.answers["budget"]
    await teams.say(person, "edit budget")
    # texts() reads cards too: the notice and the question it comes with.
    await teams.eventually(
        lambda: [t for t in teams.texts(person.conversation) if "Changing one" in t]
    )
    await teams.say(person, next(o.id for o in budget.options if o.id != current))
    second = (await teams.eventually(lambda: teams.summaries(person.conversation)[1:]))[0]
    assert "What changed" in card_text(second)

    assert await teams.click(person, first, vote_data(first, "useful")) in (200, 201, 202)
    await teams.eventually(lambda: replies_saying(teams, person, TEXTS[Outcome.OUTDATED]))
    assert await teams.click(person, second, vote_data(second, "useful")) in (200, 201, 202)
    await teams.eventually(lambda: replies_saying(teams, person, TEXTS[Outcome.COUNTED]))
    exposed = metrics.exposition().decode()
    assert exposed.count("advisor_feedback_total{") == 1


async def test_a_forged_vote_is_unreadable(voting: TeamsHarness, metrics: Metrics) -> None:
    teams = voting
    person = Person()
    summary = await finish(teams, person)
    forged = {**vote_data(summary, "useful"), "vote": "brilliant"}
    assert await teams.click(person, summary, forged) in (200, 201, 202)
    await teams.eventually(
        lambda: [t for t in teams.texts(person.conversation) if "could not be read" in t]
    )
    assert metrics.exposition().decode().count("advisor_feedback_total{") == 0
