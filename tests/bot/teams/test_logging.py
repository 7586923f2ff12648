"""What a failed send to the Bot Connector logs: one line for each thing that happened, the
traceback only at DEBUG. The real CloudAdapter, against the stand-in connector."""

from __future__ import annotations

import logging

import pytest

from bot.adapter import FAILED
from tests.bot.teams.conftest import Person, TeamsHarness


async def started(teams: TeamsHarness) -> Person:
    person = Person()
    await teams.say(person, "hi")
    await teams.eventually(lambda: teams.questions(person.conversation))
    return person


#: How each adapter's connector errors are named, and where their tracebacks are logged.
ERROR_NAME = {"botbuilder": "ErrorResponseException", "agents": "ClientResponseError"}
DELIVERY_LOGGER = {"botbuilder": "bot.teams.delivery", "agents": "bot.teams_agents.delivery"}


def worth_reading(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def as_logged(caplog: pytest.LogCaptureFixture, records: list[logging.LogRecord]) -> str:
    """The records as the log shows them, tracebacks included."""
    return "\n".join(caplog.handler.format(r) for r in records)


async def test_a_refused_send_is_one_line_without_a_traceback(
    teams: TeamsHarness, caplog: pytest.LogCaptureFixture, sdk: str
) -> None:
    person = await started(teams)
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    teams.connector.fail("send", 403)  # the next question; the notice after it goes through
    await teams.say(person, "live")
    await teams.eventually(lambda: FAILED in "\n".join(teams.texts(person.conversation)))
    [line] = worth_reading(caplog)
    assert line.levelno == logging.ERROR and line.exc_info is None
    message = line.getMessage()
    assert message.startswith("teams: send failed in conversation ")
    assert message.endswith(f": 403 ({ERROR_NAME[sdk]})")
    assert "\n" not in as_logged(caplog, [line])
    # At DEBUG the traceback is there for whoever needs it.
    [debug] = [r for r in caplog.records if r.name == DELIVERY_LOGGER[sdk]]
    assert debug.levelno == logging.DEBUG and debug.exc_info is not None


async def test_retries_then_failure_then_no_notice_each_say_so_once(
    teams: TeamsHarness, caplog: pytest.LogCaptureFixture, sdk: str
) -> None:
    person = await started(teams)
    caplog.set_level(logging.INFO)
    caplog.clear()
    # Every attempt at the question fails (4), and the first at the notice (not retried).
    teams.connector.fail("send", 502, times=4)
    teams.connector.fail("send", 404)
    await teams.say(person, "live")
    await teams.eventually(
        lambda: [r for r in caplog.records if "could not tell" in r.getMessage()], within=10
    )
    lines = [(r.levelname, r.getMessage()) for r in worth_reading(caplog)]
    retries, rest = lines[:3], lines[3:]
    assert all(level == "WARNING" and "send got 502" in text for level, text in retries)
    assert [level for level, _ in rest] == ["ERROR", "ERROR"]
    assert rest[0][1].startswith("teams: send failed in conversation ")
    assert rest[0][1].endswith(f": 502 ({ERROR_NAME[sdk]})")
    assert "could not tell conversation" in rest[1][1]
    assert rest[1][1].endswith(f": 404 ({ERROR_NAME[sdk]})")
    assert "Traceback" not in as_logged(caplog, worth_reading(caplog))
