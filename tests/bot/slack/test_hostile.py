"""Hostile requests to POST /slack/events: without a valid signature, 401 before anything parses
the body; signed but oversized, too deep or oddly shaped, 413 / 400 / 200; never a 5xx."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import quote

import pytest

from tests.bot.slack.conftest import SlackHarness
from tests.support.slack_signing import sign

DEEP = 100_000
FORM = "application/x-www-form-urlencoded"


async def raw_post(slack: SlackHarness, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with slack.http.post(slack.url, data=body, headers=headers) as response:
        return response.status, await response.text()


def signed_bytes(body: bytes, secret: str, content_type: str = FORM) -> dict[str, str]:
    """Signs bytes that may not be UTF-8, over the bytes themselves."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "Content-Type": content_type,
    }


@pytest.mark.parametrize(
    "timestamp",
    ["1" * 5000, "²", "¹²³", "١٢٣٤٥٦٧٨٩٠", "-1", " 1", "", "1e9", "9" * 13],
)
async def test_malformed_timestamps_get_401(slack: SlackHarness, timestamp: str) -> None:
    body = "payload=%7B%7D"
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + "0" * 64,
        "Content-Type": FORM,
    }
    status, _ = await raw_post(slack, body.encode(), headers)
    assert status == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=" + "[" * DEEP + "]" * DEEP, FORM),
        ("payload=" + quote("[" * DEEP + "]" * DEEP), FORM),
        ("[" * DEEP + "]" * DEEP, "application/json"),
        ('{"a":' * DEEP + "1" + "}" * DEEP, "application/json"),
    ],
)
async def test_deep_bodies_unsigned_get_401_and_signed_get_400(
    slack: SlackHarness, body: str, content_type: str
) -> None:
    unsigned = {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
        "Content-Type": content_type,
    }
    assert (await raw_post(slack, body.encode(), unsigned))[0] == 401
    signed = {**sign(body, slack.secret), "Content-Type": content_type}
    assert (await raw_post(slack, body.encode(), signed))[0] == 400


async def test_invalid_utf8_unsigned_gets_401_and_signed_gets_400(slack: SlackHarness) -> None:
    body = b"payload=\xff\xfe\x80"
    unsigned = {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
        "Content-Type": FORM,
    }
    assert (await raw_post(slack, body, unsigned))[0] == 401
    assert (await raw_post(slack, body, {"Content-Type": FORM}))[0] == 401
    assert (await raw_post(slack, body, signed_bytes(body, slack.secret)))[0] == 400


async def test_a_body_over_one_mebibyte_gets_413(slack: SlackHarness) -> None:
    body = "payload=" + "a" * (1024 * 1024)
    status, _ = await raw_post(slack, body.encode(), {**sign(body, slack.secret)})
    assert status == 413


@pytest.mark.parametrize("view", ["a string", 42, ["list"], None])
async def test_a_signed_view_submission_with_an_odd_view_is_not_a_5xx(
    slack: SlackHarness, view: object
) -> None:
    payload = {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "x"},
        "user": {"id": "U1", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "t",
        "trigger_id": "1.2.3",
        "view": view,
    }
    body = "payload=" + quote(json.dumps(payload))
    status, _ = await slack.post(body, content_type=FORM)
    assert status < 500


async def test_a_signed_ordinary_event_still_works(slack: SlackHarness) -> None:
    status, _ = await slack.dm("U" + "HOSTILE1", "hi")
    assert status == 200
