"""The cost chart in Slack: uploaded where the summary went, through the stand-in's file API."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest
from PIL import Image
from slack_sdk.web.async_client import AsyncWebClient

from bot.chart import CAPTION, FILENAME, Chart, draw
from bot.slack.chart import share_chart
from tests.bot.chart_fixtures import sample_cost, sample_price
from tests.bot.slack.agent_walk import CHART_SECONDS
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.bot.slack.test_dm import click_through
from tests.support.slack_files import Upload
from tests.support.slack_standin import Call, SlackStandIn


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


def uploads(slack: SlackHarness) -> int:
    """Charts uploaded: each is one files.getUploadURLExternal and one completeUploadExternal."""
    started = len(slack.standin.calls_to("files.getUploadURLExternal"))
    assert started == len(slack.standin.calls_to("files.completeUploadExternal"))
    return started


def shown_again(slack: SlackHarness, channel: str) -> list[Call]:
    """Messages showing an uploaded chart again (an image block naming the file)."""
    return [
        c
        for c in slack.posts(channel)
        if any(b.get("type") == "image" and "slack_file" in b for b in c.payload["blocks"])
    ]


async def finished(slack: SlackHarness) -> tuple[str, str, Upload]:
    user = new_user()
    dm = "D" + user
    await slack.command(user)
    await click_through(slack, user, dm)
    [upload] = await slack.eventually(lambda: slack.standin.files.shared, within=CHART_SECONDS)
    return user, dm, upload


async def test_a_summary_shown_again_shows_the_same_chart_without_uploading(
    slack: SlackHarness,
) -> None:
    user, dm, upload = await finished(slack)
    for times in (1, 2):
        await slack.dm(user, "results")
        again = await slack.eventually(lambda n=times: shown_again(slack, dm)[n - 1 :])
        [image] = again[0].payload["blocks"]
        assert image["slack_file"] == {"id": upload.file_id}
        assert image["alt_text"] == upload.alt_txt and again[0].text_fallback
        # It follows the summary it belongs to.
        assert slack.standin.calls.index(slack.summaries(dm)[times]) < (
            slack.standin.calls.index(again[0])
        )
    assert uploads(slack) == 1
    assert slack.standin.card_problems == []


async def test_an_edit_that_moves_the_costs_uploads_a_new_chart(slack: SlackHarness) -> None:
    user, dm, first = await finished(slack)
    await slack.dm(user, "edit monthly_tokens")
    await slack.eventually(lambda: slack.questions(dm)[-1] if slack.summaries(dm) else None)
    await slack.dm(user, "5B")
    await slack.eventually(lambda: slack.summaries(dm)[1:])
    second = (await slack.eventually(lambda: slack.standin.files.shared[1:], within=CHART_SECONDS))[
        0
    ]
    assert second.file_id != first.file_id and "5B tokens a month" in (second.alt_txt or "")
    # Shown again now, it is the new chart.
    await slack.dm(user, "results")
    [again] = await slack.eventually(lambda: shown_again(slack, dm))
    assert again.payload["blocks"][0]["slack_file"] == {"id": second.file_id}
    assert uploads(slack) == 2


async def test_a_shared_summary_comes_with_its_chart(slack: SlackHarness) -> None:
    user, dm, mine = await finished(slack)
    summary = slack.summaries(dm)[0]
    await slack.share(user, channel=dm, summary=summary, target="C900")
    [shared] = await slack.eventually(lambda: slack.posts("C900"))
    assert "Shared by" in json.dumps(shared.payload["blocks"])
    # Uploaded into the channel (the DM's file is not to be seen there), after the summary.
    there = await slack.eventually(lambda: slack.standin.files.shared[1:], within=CHART_SECONDS)
    assert there[0].channel == "C900" and there[0].thread_ts is None
    assert there[0].data == mine.data
    assert uploads(slack) == 2
    assert slack.standin.card_problems == []


async def test_a_chart_gone_from_slack_is_uploaded_again(slack: SlackHarness) -> None:
    user, dm, upload = await finished(slack)
    upload.shared = False  # deleted in Slack: naming it is refused
    await slack.dm(user, "results")
    again = await slack.eventually(lambda: slack.standin.files.shared, within=CHART_SECONDS)
    assert [u.file_id for u in again] != [upload.file_id] and uploads(slack) == 2
    [tried] = shown_again(slack, dm)  # naming the old file was tried first, and refused
    assert tried.result["error"] == "invalid_blocks"
    texts = [str(c.payload.get("text")) for c in slack.posts(dm)]
    assert not [t for t in texts if "went wrong" in t]
    assert slack.ephemerals(user) == []
