"""Fuzzing the Teams endpoint: random and hostile activities through the real CloudAdapter.

Every example is posted as JSON to the real aiohttp endpoint (CloudAdapter in dev mode); the
bot's replies go to the stand-in Bot Connector, which validates every Adaptive Card against the
1.5 schema. After each example:

- every activity gets a 2xx from /api/messages; a body that is not an activity, or one that
  Teams would never send (fields botbuilder cannot deserialize, no sender, conversation or
  serviceUrl, a conversation id no reply could carry), gets a 400 and no reply;
- nothing was logged at ERROR by any logger (the bot's error boundary logs there, so an
  exception that reached it counts as escaped), and the connector found no card problems;
- every session document written since the module started loads, with valid option ids;
- no TextBlock (nor fact, nor plain message text) the bot sent holds a live markdown link
  `](` or a `{{…}}` function: typed text belongs in TextRuns, where neither is rendered.

The harness, which checks all this, is in tests/support/teams_fuzz.py, the cases and their
strategies in tests/support/teams_fuzz_cases.py; activities Teams would never send are fuzzed
in test_fuzz_known_failures.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.flow import Flow
from tests.bot.teams.conftest import SDKS
from tests.support.fuzz_strategies import FUZZ, TEAMS_LIVE
from tests.support.teams_connector import Operation
from tests.support.teams_fuzz import TeamsFuzz, fuzz_environment, run
from tests.support.teams_fuzz_cases import (
    ACTIVITY_KEYS,
    FORGERIES,
    OTHER_KINDS,
    message_cases,
    other_cases,
    submit_cases,
)

#: Examples per property; together they keep this file well under 40 s on two cores.
#: Message tests run once per focus field (11), submits once per forgery (7), other activities
#: once per kind (11).
MESSAGE_EXAMPLES: Final = 10
SUBMIT_EXAMPLES: Final = 12
OTHER_EXAMPLES: Final = 6


@pytest.fixture(scope="module", params=SDKS)
def fuzz(redis_url: str, flow: Flow, request: pytest.FixtureRequest) -> Iterator[TeamsFuzz]:
    """The fuzz on each Teams adapter in turn (botbuilder, the Agents SDK)."""
    with fuzz_environment(redis_url, flow, str(request.param)) as env:
        yield env


# ------------------------------------------------------------------------------ messages


@pytest.mark.parametrize("focus", (None, *ACTIVITY_KEYS))
@settings(FUZZ, max_examples=MESSAGE_EXAMPLES)
@given(data=st.data())
def test_hostile_messages(fuzz: TeamsFuzz, focus: str | None, data: st.DataObject) -> None:
    run(fuzz, data.draw(message_cases(focus), label="case"))


# ------------------------------------------------------------------------------ card submits


@pytest.mark.parametrize("forgery", FORGERIES)
@settings(FUZZ, max_examples=SUBMIT_EXAMPLES)
@given(data=st.data())
def test_forged_card_submits(fuzz: TeamsFuzz, forgery: str, data: st.DataObject) -> None:
    run(fuzz, data.draw(submit_cases(forgery), label="case"))


# ------------------------------------------------------------------------------ other activities


@pytest.mark.parametrize("kind", OTHER_KINDS)
@settings(FUZZ, max_examples=OTHER_EXAMPLES)
@given(data=st.data())
def test_other_activities(fuzz: TeamsFuzz, kind: str, data: st.DataObject) -> None:
    run(fuzz, data.draw(other_cases(kind), label="case"))


# ------------------------------------------------------------------------------ the guard


def test_the_fuzz_reached_the_bot(fuzz: TeamsFuzz) -> None:
    """Guard against a fuzz that never got past the adapter: cards were sent and updated, and
    typed markup reached the cards (in TextRuns, or defused)."""
    operations = {c.operation for c in fuzz.connector.calls if c.accepted}
    assert {Operation.SEND, Operation.UPDATE} <= operations or {
        Operation.REPLY,
        Operation.UPDATE,
    } <= operations
    echoed = [
        c
        for c in fuzz.connector.calls
        if c.cards and any(f in json.dumps(c.cards, ensure_ascii=False) for f in TEAMS_LIVE)
    ]
    assert echoed, "no typed markup ever reached a card"
