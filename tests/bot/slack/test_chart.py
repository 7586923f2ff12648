"""The cost chart in Slack: uploaded where the summary went, through the stand-in's file API."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
from PIL import Image
from slack_sdk.web.async_client import AsyncWebClient

from bot.chart import CAPTION, FILENAME, Chart, draw
from bot.slack.chart import share_chart
from tests.bot.chart_fixtures import sample_cost, sample_price
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.test_dm import click_through
from tests.support.slack_standin import SlackStandIn


def drawn() -> asyncio.Future[Chart | None]:
    future: asyncio.Future[Chart | None] = asyncio.get_running_loop().create_future()
    future.set_result(draw(sample_cost(), sample_price))
    return future


def client(standin: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=standin.base_url)


async def test_chart_is_shared_in_the_thread_with_alt_text(standin: SlackStandIn) -> None:
    drawing = drawn()
    chart = drawing.result()
    assert chart is not None
    shared = await share_chart(
        client(standin), channel="C1", thread_ts="1700000000.000100", drawing=drawing
    )
    assert shared
    [upload] = standin.files.shared
    assert upload.channel == "C1" and upload.thread_ts == "1700000000.000100"
    assert upload.filename == FILENAME and upload.data == chart.png
    assert upload.alt_txt == chart.alt_text and "At your 1B tokens a month" in upload.alt_txt
    assert upload.initial_comment == CAPTION
    assert [c.method for c in standin.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_chart_in_a_dm_has_no_thread(standin: SlackStandIn) -> None:
    assert await share_chart(client(standin), channel="DU1", thread_ts="", drawing=drawn())
    [upload] = standin.files.shared
    assert upload.channel == "DU1" and upload.thread_ts is None


async def test_nothing_uploaded_without_a_chart(standin: SlackStandIn) -> None:
    nothing: asyncio.Future[Chart | None] = asyncio.get_running_loop().create_future()
    nothing.set_result(None)
    assert not await share_chart(client(standin), channel="C1", thread_ts="", drawing=nothing)
    assert standin.calls == []


async def test_upload_failure_is_logged_not_raised(
    standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail("files.completeUploadExternal", error="missing_scope")
    with caplog.at_level(logging.WARNING, logger="bot.slack.chart"):
        assert not await share_chart(client(standin), channel="C1", thread_ts="", drawing=drawn())
    assert "cost chart not uploaded: missing_scope" in caplog.text
    assert standin.files.shared == []


async def test_drawing_failure_is_logged_not_raised(
    standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    broken: asyncio.Future[Chart | None] = asyncio.get_running_loop().create_future()
    broken.set_exception(RuntimeError("no fonts"))
    with caplog.at_level(logging.WARNING, logger="bot.slack.chart"):
        assert not await share_chart(client(standin), channel="C1", thread_ts="", drawing=broken)
    assert "cost chart not uploaded: RuntimeError: no fonts" in caplog.text


async def test_summary_in_a_dm_comes_with_its_chart(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await click_through(slack, user, dm)
    [upload] = await slack.eventually(lambda: slack.standin.files.shared)
    assert upload.channel == dm and upload.thread_ts is None
    assert upload.alt_txt and "tokens a month" in upload.alt_txt
    assert upload.data is not None
    with Image.open(io.BytesIO(upload.data)) as image:
        assert image.format == "PNG"
    summary = slack.summaries(dm)[0]
    methods = [c.method for c in slack.standin.calls]
    assert methods.index("files.completeUploadExternal") > slack.standin.calls.index(summary)


async def test_an_upload_refused_leaves_the_summary_and_tells_nobody(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    user = new_user()
    dm = "D" + user
    slack.standin.fail("files.getUploadURLExternal", error="missing_scope")
    await slack.command(user)
    with caplog.at_level(logging.WARNING, logger="bot.slack.chart"):
        await click_through(slack, user, dm)
        await slack.eventually(lambda: slack.standin.calls_to("files.getUploadURLExternal"))
        await slack.eventually(lambda: "cost chart not uploaded: missing_scope" in caplog.text)
    assert len(slack.summaries(dm)) == 1
    assert slack.standin.files.shared == []
    assert slack.ephemerals(user) == []
    assert not [p for p in slack.posts(dm) if "went wrong" in str(p.payload.get("text"))]
