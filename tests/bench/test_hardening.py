"""The hardening benchmark's parts: its hostile cases, its stamps, its table."""

from __future__ import annotations

import argparse

from slack_sdk.signature import SignatureVerifier

from bench.hardening import report
from bench.hardening_cases import SLACK, TEAMS, named_cases, random_cases
from bench.hardening_figures import Figures
from bench.hardening_slack import slack_stamp
from tests.support.slack_standin import Call

SECRET = "s3cret"


def test_the_named_cases_cover_the_issue_and_are_signed_when_meant_to_be() -> None:
    cases = list(named_cases(SECRET))
    paths = {path for path, _, _ in cases}
    assert paths == {SLACK, TEAMS}
    verifier = SignatureVerifier(SECRET)
    signed = [
        (body, headers)
        for path, body, headers in cases
        if path == SLACK and headers["X-Slack-Signature"] != "v0=" + "0" * 64
    ]
    assert signed, "no signed Slack case"
    for body, headers in signed:
        if body.isascii():
            assert verifier.is_valid(
                body=body.decode(),
                timestamp=headers["X-Slack-Request-Timestamp"],
                signature=headers["X-Slack-Signature"],
            )
    stamps = {h["X-Slack-Request-Timestamp"] for p, _, h in cases if p == SLACK}
    assert "1" * 5000 in stamps and "²" in stamps
    assert any(len(body) > 1024 * 1024 for _, body, _ in cases)
    assert any(body.startswith(b"[" * 1000) for _, body, _ in cases)


def test_random_cases_are_the_same_every_run_and_go_to_both_endpoints() -> None:
    first = [(p, b) for p, b, _ in random_cases(SECRET, 20)]
    again = [(p, b) for p, b, _ in random_cases(SECRET, 20)]
    assert first == again and len(first) == 40
    assert [p for p, _ in first[:2]] == [SLACK, TEAMS]


def test_a_question_message_is_known_by_its_stamp() -> None:
    value = '{"q":"stage","o":"live","s":"abc.1","u":"U1"}'
    blocks = [{"type": "actions", "block_id": "answers", "elements": [{"value": value}]}]
    call = Call("chat.postMessage", {"blocks": blocks}, "xoxb")
    assert slack_stamp(call) == "abc.1"
    assert slack_stamp(Call("chat.postMessage", {"text": "hi"}, "xoxb")) == ""


def test_the_table_names_every_goal_and_the_command() -> None:
    args = argparse.Namespace(
        users=2, random=1, slow=1, slack_timeout=2.0, slack_delay=3.5, code=None
    )
    figures = Figures(hostile_tried=3, dead_requests=[1.5, 10.25])
    table = report(figures, args)
    assert table.startswith("`python -m bench.hardening --users 2 --random 1 --slow 1")
    assert "| 5xx answers (goal 0) | 0 |" in table
    assert "10.25 s (of 2)" in table
    assert table.count("(goal 0)") == 5
