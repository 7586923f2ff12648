"""Redis round trips per turn, counted with MONITOR on the server while a person answers a whole
assessment in a Slack DM through the real app: one read for the session's first turn in this
process, then one commit per turn (which also claims the screen note for a new question) and
one write recording the message that shows it (a script: only while the claim is its own)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest

from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.test_dm import click_through
from tests.support.redis_monitor import CommandLog


@pytest.fixture
async def commands(redis_url: str) -> AsyncIterator[CommandLog]:
    log = await CommandLog(redis_url).start()
    try:
        yield log
    finally:
        await log.stop()


async def test_at_most_two_round_trips_per_turn(slack: SlackHarness, commands: CommandLog) -> None:
    warm = new_user()  # the first turn on a server may load the commit script
    await slack.command(warm)
    await slack.next_question("D" + warm, 0)

    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await click_through(slack, user, dm)
    await commands.settle(user)

    questions = len(slack.questions(dm))
    turns = 1 + questions  # the command, then one answer per question
    sent = Counter(commands.sent(user))
    # Every turn: the commit script; a turn that posts a question: the script recording its
    # message; the first turn: one GET.
    assert sent == {"GET": 1, "EVALSHA": turns + questions}, sent
