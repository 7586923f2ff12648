"""Logging set-up: libraries that read their own logger's level do no debug work by default."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.observe import configure_json_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.mark.usefixtures("restored_logging")
def test_the_slack_clients_logger_skips_debug_formatting_unless_asked() -> None:
    """slack_sdk formats every call's request and response when `logger.level <= DEBUG`;
    a logger with no level (0) passes that test, so serve's logging set-up gives it one."""
    client = AsyncWebClient(token="xoxb-test")
    configure_json_logging("WARNING")
    assert client._logger.level > logging.DEBUG
    configure_json_logging("DEBUG")
    assert client._logger.level == logging.DEBUG
