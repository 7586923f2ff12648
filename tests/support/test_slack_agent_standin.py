"""The stand-in's agent methods, driven by slack_sdk's own client and its chat_stream helper."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.slack_standin import TEAM_ID, SlackStandIn
from tests.support.slack_standin_rig import standin

__all__ = ["standin"]  # the fixture, used here by name


def client_of(standin: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=standin.base_url)


async def test_status_and_prompts_are_recorded(standin: SlackStandIn) -> None:
    client = client_of(standin)
    await client.assistant_threads_setStatus(channel_id="D1", thread_ts="1.0", status="busy")
    await client.assistant_threads_setStatus(channel_id="D1", thread_ts="1.0", status="")
    prompts = [{"title": "A", "message": "a"}]
    await client.assistant_threads_setSuggestedPrompts(channel_id="D1", prompts=prompts)
    assert standin.agent.statuses[("D1", "1.0")] == ["busy", ""]
    assert standin.agent.prompts["D1"] == [prompts]
    with pytest.raises(SlackApiError):  # Slack takes at most four
        await client.assistant_threads_setSuggestedPrompts(channel_id="D1", prompts=prompts * 5)


async def test_a_streamed_message_builds_up_and_lands_in_history(standin: SlackStandIn) -> None:
    client = client_of(standin)
    stream = await client.chat_stream(
        channel="C1", thread_ts="5.0", recipient_team_id=TEAM_ID, recipient_user_id="U1"
    )
    await stream.append(markdown_text="Hello ")
    await stream.append(markdown_text="there")
    block = {"type": "section", "text": {"type": "mrkdwn", "text": "done"}}
    response = await stream.stop(blocks=[block])
    ts = response["ts"]
    streamed = standin.agent.streams[ts]
    assert (streamed.text, streamed.blocks, streamed.stopped) == ("Hello there", [block], True)
    replies = await client.conversations_replies(channel="C1", ts="5.0")
    assert [m["ts"] for m in replies["messages"]] == [ts]
    with pytest.raises(SlackApiError, match="message_not_in_streaming_state"):
        await client.chat_appendStream(channel="C1", ts=ts, markdown_text="more")
    assert standin.card_problems == []


async def test_streams_need_a_thread_and_in_channels_a_recipient(standin: SlackStandIn) -> None:
    client = client_of(standin)
    with pytest.raises(SlackApiError, match="missing_recipient_user_id"):
        await client.chat_startStream(channel="C1", thread_ts="5.0", markdown_text="x")
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.chat_startStream(channel="D1", thread_ts="", markdown_text="x")


async def test_streamed_blocks_are_checked_like_posted_ones(standin: SlackStandIn) -> None:
    client = client_of(standin)
    started = await client.chat_startStream(channel="D1", thread_ts="5.0", markdown_text="x")
    too_long = {"type": "header", "text": {"type": "plain_text", "text": "h" * 200}}
    chunks = [{"type": "blocks", "blocks": [too_long]}]
    await client.chat_appendStream(channel="D1", ts=started["ts"], chunks=chunks)
    await client.chat_stopStream(channel="D1", ts=started["ts"])
    assert any("header text" in problem for problem in standin.card_problems)


@pytest.mark.parametrize("refusal", ["feature_not_enabled", "not_allowed_token_type"])
async def test_a_workspace_without_the_features_refuses_every_agent_method(
    standin: SlackStandIn, refusal: str
) -> None:
    standin.agent.enabled = False
    standin.agent.refusal = refusal
    client = client_of(standin)
    calls = [
        client.assistant_threads_setStatus(channel_id="D1", thread_ts="1.0", status="s"),
        client.assistant_threads_setSuggestedPrompts(
            channel_id="D1", prompts=[{"title": "a", "message": "a"}]
        ),
        client.chat_startStream(channel="D1", thread_ts="1.0", markdown_text="x"),
    ]
    for call in calls:
        with pytest.raises(SlackApiError) as caught:
            await call
        assert caught.value.response["error"] == refusal
    assert standin.agent.statuses == {} and standin.agent.streams == {}
