"""Redis round trips per turn, counted with MONITOR on the server while a person answers a whole
assessment in a Slack DM through the real app: one read for the session's first turn in this
process, then one commit per turn (which also claims the screen for a new question). The message
id of a posted question rides on the next commit; only a question answered by typing (no
buttons) has it written at once, by one more script.

In a workspace where team assessments were started (dialogs.team_index.ActiveTeams: the
stand-in's one workspace, once any team test ran before this one), a typed DM also reads the
person's list of teams ("open-teams/<user>"), to know whether the answer is for a team: that
read is counted apart, and only a typed message may cost it."""

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


async def test_one_round_trip_per_turn(slack: SlackHarness, commands: CommandLog) -> None:
    warm = new_user()  # a server's first use of each script loads it (NOSCRIPT, then load)
    await slack.command(warm)
    await click_through(slack, warm, "D" + warm)

    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await click_through(slack, user, dm)
    await commands.settle(user)

    questions = len(slack.questions(dm))
    turns = 1 + questions  # the command, then one answer per question
    team_lists = Counter(commands.sent(f"open-teams/{user}"))
    sent = Counter(commands.sent(user)) - team_lists
    typed = sum(1 for q in slack.questions(dm) if not slack.question_buttons(q))
    assert typed == 1  # the monthly token figure
    # Every turn: the commit script; a question answered by typing: the script recording its
    # message; the first turn: one GET.
    assert sent == {"GET": 1, "EVALSHA": turns + typed}, sent
    # The list of teams: at most one read per typed message (none where no team was started).
    assert set(team_lists) <= {"GET"} and team_lists["GET"] <= typed, team_lists
