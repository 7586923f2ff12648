"""The request signer and payload builders (slack_signing.py), checked against slack_sdk's own
verification."""

from __future__ import annotations

import json
import time

from slack_sdk.signature import SignatureVerifier

from tests.support.slack_signing import (
    app_mention_event,
    block_actions_body,
    event_body,
    sign,
    slash_command_body,
)
from tests.support.slack_standin_rig import SECRET


def test_signed_headers_pass_slack_sdk_verification() -> None:
    body = slash_command_body(user_id="U1", channel_id="D1", text="hello & <b>")
    verifier = SignatureVerifier(SECRET)

    assert verifier.is_valid_request(body, sign(body, SECRET))
    assert not verifier.is_valid_request(body, sign(body, "another-secret"))
    assert not verifier.is_valid_request(body + "x", sign(body, SECRET))
    assert not verifier.is_valid_request(body, sign(body, SECRET, int(time.time()) - 600))


def test_payload_builders_look_like_slack() -> None:
    event = json.loads(event_body(app_mention_event("U1", "hi", "C1"), "Ev9"))
    click = block_actions_body(
        "U1",
        "answer",
        "hosted",
        "D1",
        "1700000000.000100",
        response_url="http://127.0.0.1:9/x",
    )

    assert event["type"] == "event_callback"
    assert event["event"]["text"] == "<@UBOT> hi"
    assert event["authorizations"][0]["user_id"] == "UBOT"
    assert isinstance(event["event_time"], int)
    assert click.startswith("payload=")
    assert "%22block_actions%22" in click
