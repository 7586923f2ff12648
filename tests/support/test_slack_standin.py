"""The Slack stand-in's Web API, driven by the real slack_sdk client: answers, card checks, faults,
delays and waits. Socket Mode and Bolt are in test_slack_standin_socket.py, the request signer in
test_slack_signing.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.slack_standin import SlackStandIn
from tests.support.slack_standin_rig import (
    WAIT,
    actions,
    button,
    section,
    standin,
    web_client,
)

__all__ = ["standin"]  # the fixture, used here by name


# -- Web API ---------------------------------------------------------------------------------


async def test_auth_test_answers_like_slack(standin: SlackStandIn) -> None:
    response = await web_client(standin).auth_test()

    assert response["user_id"] == "UBOT"
    assert response["bot_id"] == "BBOT"
    assert (response["team_id"], response["team"], response["user"]) == ("T1", "Test", "advisor")
    assert response["url"].startswith("http://127.0.0.1:")
    [call] = standin.calls
    assert (call.method, call.token, call.text_fallback) == ("auth.test", "xoxb-test", None)


async def test_post_message_echoes_and_numbers_messages(standin: SlackStandIn) -> None:
    client = web_client(standin)
    blocks = [section("Which model?", "q1"), actions(button("answer"))]

    first = await client.chat_postMessage(channel="C1", text="Which model?", blocks=blocks)
    second = await client.chat_postMessage(channel="U7", text="psst", thread_ts=first["ts"])

    assert first["ts"] == "1700000000.000100"
    assert second["ts"] == "1700000000.000200"
    assert first["channel"] == "C1"
    assert second["channel"] == "DU7"  # a user id lands in the DM with that user
    assert first["message"]["blocks"] == blocks
    assert first["message"]["text"] == "Which model?"
    assert second["message"]["thread_ts"] == first["ts"]
    calls = standin.calls_to("chat.postMessage")
    assert [call.payload["channel"] for call in calls] == ["C1", "U7"]
    assert calls[0].payload["blocks"] == blocks
    assert all(call.text_fallback for call in calls)
    assert standin.card_problems == []


async def test_a_message_without_text_fallback_is_recorded(standin: SlackStandIn) -> None:
    with pytest.warns(UserWarning, match="text"):
        await web_client(standin).chat_postMessage(channel="C1", blocks=[section("only blocks")])

    [call] = standin.calls_to("chat.postMessage")
    assert call.text_fallback is False


def _many_sections(count: int, length: int) -> list[dict[str, Any]]:
    return [section("x" * length, f"s{number}") for number in range(count)]


CARD_CASES: list[tuple[str, list[dict[str, Any]], str]] = [
    ("too many blocks", [{"type": "divider"}] * 51, "51 blocks (limit 50)"),
    ("long section", [section("x" * 3001, "q1")], "block 0 (section, block_id='q1'): section text"),
    (
        "long field",
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
        "field 0 text is 2001 chars",
    ),
    (
        "long header",
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        "header text is 151 chars (limit 150)",
    ),
    ("long button text", [actions(button("a", text="x" * 76))], "button 'a' text is 76 chars"),
    ("long button value", [actions(button("a", value="v" * 2001))], "value is 2001 chars"),
    ("long action_id", [actions(button("a" * 256))], "action_id is 256 chars (limit 255)"),
    ("long block_id", [section("hi", "b" * 256)], "block_id is 256 chars (limit 255)"),
    (
        "crowded actions",
        [actions(*(button(f"a{n}") for n in range(26)))],
        "26 elements (limit 25)",
    ),
    ("unknown block", [{"type": "carousel_of_doom"}], "unknown block type 'carousel_of_doom'"),
    ("unknown element", [actions({"type": "slider", "action_id": "s"})], "unknown type"),
    ("section without text", [{"type": "section"}], "slack_sdk rejects it"),
    ("duplicate block_id", [section("a", "q"), section("b", "q")], "'q' is used twice"),
    ("too much JSON", _many_sections(5, 2900), "chars of JSON (limit 12000)"),
]


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [(blocks, expected) for _, blocks, expected in CARD_CASES],
    ids=[name for name, _, _ in CARD_CASES],
)
async def test_bad_cards_show_up_in_card_problems(
    standin: SlackStandIn, blocks: list[dict[str, Any]], expected: str
) -> None:
    await web_client(standin).chat_postMessage(channel="C1", text="fallback", blocks=blocks)

    assert standin.card_problems, "the stand-in accepted a card Slack would refuse"
    assert any(expected in problem for problem in standin.card_problems), standin.card_problems
    assert all(problem.startswith("chat.postMessage") for problem in standin.card_problems)


async def test_other_message_methods_answer_and_are_checked(standin: SlackStandIn) -> None:
    client = web_client(standin)
    posted = await client.chat_postMessage(channel="C1", text="v1")

    updated = await client.chat_update(
        channel="C1", ts=posted["ts"], text="v2", blocks=[section("y" * 3001)]
    )
    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    link = await client.chat_getPermalink(channel="C1", message_ts=posted["ts"])

    assert (updated["channel"], updated["ts"], updated["text"]) == ("C1", posted["ts"], "v2")
    assert ephemeral["message_ts"] > posted["ts"]
    assert link["permalink"].endswith("/archives/C1/p1700000000000100")
    assert [problem.split(":")[0] for problem in standin.card_problems] == [
        "chat.update block 0 (section)"
    ]
    assert standin.calls_to("chat.getPermalink")[0].payload["message_ts"] == posted["ts"]


async def test_conversations_views_and_unknown_methods(standin: SlackStandIn) -> None:
    client = web_client(standin)

    opened = await client.conversations_open(users=["U1", "U2"])
    info = await client.conversations_info(channel="C9")
    home = {"type": "home", "blocks": [section("Welcome")]}
    published = await client.views_publish(user_id="U1", view=home)
    too_big = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    await client.views_publish(user_id="U1", view=too_big)
    other = await client.api_call("reactions.add", json={"channel": "C1", "name": "wave"})

    assert opened["channel"]["id"] == "DU1"
    assert standin.calls_to("conversations.open")[0].payload["users"] == "U1,U2"
    assert info["channel"]["id"] == "C9"
    assert published["view"]["id"].startswith("V")
    assert published["view"]["blocks"] == home["blocks"]
    assert other["ok"] is True
    assert standin.calls[-1].payload == {"channel": "C1", "name": "wave"}
    assert standin.card_problems == ["views.publish view: 101 blocks (limit 100)"]


async def test_form_encoded_calls_are_decoded(standin: SlackStandIn) -> None:
    blocks = [section("from a form"), actions(button("go"))]
    client = web_client(standin)

    await client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "hi", "blocks": json.dumps(blocks)}
    )
    await client.api_call(
        "views.publish",
        data={"user_id": "U1", "view": json.dumps({"type": "home", "blocks": blocks})},
    )
    await client.api_call("chat.postMessage", data={"channel": "C1", "text": "x", "blocks": "[{"})

    plain, view, broken = standin.calls
    assert plain.payload == {"channel": "C1", "text": "hi", "blocks": blocks}
    assert plain.token == "xoxb-test"
    assert view.payload["view"]["blocks"] == blocks
    assert broken.payload["blocks"] == "[{"
    assert standin.card_problems == ["chat.postMessage: blocks is not a JSON array: '[{'"]


async def test_api_errors_come_with_http_200(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", error="not_in_channel", times=2)
    client = web_client(standin)

    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C1", text="hi")
        assert raised.value.response.status_code == 200
        assert raised.value.response["error"] == "not_in_channel"
    assert (await client.chat_postMessage(channel="C1", text="hi"))["ok"] is True
    assert len(standin.calls_to("chat.postMessage")) == 3


async def test_rate_limit_surfaces_without_a_retry_handler(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        await web_client(standin).chat_postMessage(channel="C1", text="hi")

    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "7"


async def test_rate_limit_then_success_with_the_rate_limit_handler(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", status=429, retry_after=0)
    client = web_client(standin, retry=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])

    response = await client.chat_postMessage(channel="C1", text="hi")

    assert response["ok"] is True
    assert len(standin.calls_to("chat.postMessage")) == 2


async def test_server_error_then_success_with_the_server_error_handler(
    standin: SlackStandIn,
) -> None:
    standin.fail("chat.update", status=500)
    handler = AsyncServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )

    response = await web_client(standin, retry=[handler]).chat_update(
        channel="C1", ts="1.2", text="hi"
    )

    assert response["ok"] is True
    assert len(standin.calls_to("chat.update")) == 2


async def test_a_slow_answer_runs_into_the_client_timeout(standin: SlackStandIn) -> None:
    standin.delay("auth.test", 60)  # cut short when the stand-in stops

    with pytest.raises(TimeoutError):
        await web_client(standin, timeout=1).auth_test()
    assert (await web_client(standin).auth_test())["ok"] is True


async def test_missing_token_and_wrong_token_type(standin: SlackStandIn) -> None:
    anonymous = AsyncWebClient(base_url=standin.base_url)

    with pytest.raises(SlackApiError, match="not_authed"):
        await anonymous.auth_test()
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await anonymous.apps_connections_open(app_token="xoxb-test")


async def test_refuses_to_start_when_a_proxy_would_carry_the_traffic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")

    with pytest.raises(RuntimeError, match="HTTPS_PROXY"):
        await SlackStandIn().start()


async def test_wait_for_sees_calls_made_in_the_background(standin: SlackStandIn) -> None:
    client = web_client(standin)

    async def post_three() -> None:
        for number in range(3):
            await client.chat_postMessage(channel="C1", text=f"message {number}")

    task = asyncio.create_task(post_three())
    calls = await standin.wait_for("chat.postMessage", count=3, timeout=WAIT)
    await task

    assert [call.payload["text"] for call in calls] == ["message 0", "message 1", "message 2"]


async def test_wait_for_times_out_naming_what_it_saw(standin: SlackStandIn) -> None:
    await web_client(standin).auth_test()

    with pytest.raises(TimeoutError, match=r"chat\.update.*auth\.test"):
        await standin.wait_for("chat.update", timeout=0.05)


async def test_reset_forgets_calls_problems_and_faults(standin: SlackStandIn) -> None:
    client = web_client(standin)
    await client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "nope"}])
    standin.fail("chat.postMessage", error="channel_not_found")

    standin.reset()
    response = await client.chat_postMessage(channel="C1", text="again")

    assert response["ts"] == "1700000000.000200"  # timestamps keep rising across resets
    assert len(standin.calls) == 1
    assert standin.card_problems == []
