"""Property: whatever body and headers arrive at POST /slack/events or POST /api/messages of one
running `serve`, the answer is never a 5xx (signed or not, deep, huge, not UTF-8, odd stamps)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot.serve_rigs import ROOT
from tests.bot.slack.conftest import SECRET
from tests.support.redis_server import free_port
from tests.support.slack_standin import PROXY_ENV_VARS


class _SlackAPI(BaseHTTPRequestHandler):
    """Answers every Web API call ok (auth.test included): this test is about the endpoints."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(
            {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "ts": "1.1"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def slack_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlackAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, slack_api: str) -> Iterator[str]:
    """One `serve` (Slack and Teams dev mode, in-memory store); its log goes to a file, since
    a pipe nobody reads would fill up with warnings about hostile requests and stall it."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PROXY_ENV_VARS and not k.startswith(("SLACK_", "MICROSOFT_", "TEAMS_"))
    }
    env.pop("REDIS_URL", None)
    env.update(
        PYTHONPATH=str(ROOT),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_api,
        TEAMS_DEV_MODE="true",
    )
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise AssertionError(log.read_text())
            try:
                if requests.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def nested(depth: int, opener: str, closer: str, inner: str = "1") -> str:
    return opener * depth + inner + closer * depth


deep_json = st.builds(
    nested,
    st.integers(min_value=60, max_value=100_000),
    st.sampled_from(["[", '{"a":']),
    st.sampled_from(["]", "}"]),
)
json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _activity_like(value: Any) -> bytes:
    return json.dumps(value).encode()


activity_fields = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "invoke", "conversationUpdate", "", 1])},
    optional={
        "text": json_values,
        "from": json_values,
        "recipient": json_values,
        "conversation": json_values,
        "serviceUrl": st.sampled_from(["http://127.0.0.1:9/", "http://0.0.0.0:9/", "", "x"])
        | json_values,
        "value": json_values,
        "channelData": json_values,
        "id": json_values,
    },
).map(_activity_like)

slack_forms = st.builds(
    lambda payload: ("payload=" + payload).encode("utf-8", "surrogatepass"),
    st.text(max_size=200) | deep_json,
)
bodies = (
    st.binary(max_size=2000)
    | deep_json.map(lambda s: s.encode())
    | activity_fields
    | slack_forms
    | json_values.map(_activity_like)
)
timestamps = (
    st.sampled_from(["1" * 5000, "²", "١٢٣", "-5", "", "1e3", " 12"])
    | st.text(max_size=30)
    | st.integers(min_value=-(10**20), max_value=10**20).map(str)
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "",
        "application/json; charset=utf-16",
    ]
)


def slack_signature(body: bytes, stamp: str) -> str:
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return f"v0={digest.hexdigest()}"


def _latin1(text: str) -> str:
    """What an HTTP client will send as a header value (printable latin-1, no edge spaces)."""
    latin = text.encode("latin-1", "replace").decode("latin-1")
    return "".join(c for c in latin if c.isprintable()).strip()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=bodies,
    stamp=timestamps,
    content_type=content_types,
    signed=st.booleans(),
    authorization=st.sampled_from(
        ["", "Bearer x.y.z", "Bearer", "Basic a", "Bearer " + "a" * 3000]
    ),
)
def test_no_hostile_request_gets_a_5xx(  # noqa: PLR0917 (hypothesis passes them by name)
    server: str, body: bytes, stamp: str, content_type: str, signed: bool, authorization: str
) -> None:
    stamp = _latin1(stamp)
    if signed:
        stamp = str(int(time.time()))
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(body, stamp) if signed else "v0=" + "0" * 64,
    }
    response = requests.post(f"{server}/slack/events", data=body, headers=headers, timeout=10)
    assert response.status_code < 500, (response.status_code, body[:200], headers)
    teams_headers = {"Content-Type": content_type or "application/json"}
    if authorization:
        teams_headers["Authorization"] = authorization
    response = requests.post(f"{server}/api/messages", data=body, headers=teams_headers, timeout=10)
    assert response.status_code < 500, (response.status_code, body[:200], teams_headers)


def test_the_limits_hold_on_the_running_server(server: str) -> None:
    big = b"a" * (1024 * 1024 + 1)
    assert (
        requests.post(
            f"{server}/api/messages",
            data=big,
            headers={"Content-Type": "application/json"},
            timeout=10,
        ).status_code
        == 413
    )
    assert requests.post(f"{server}/slack/events", data=big, timeout=10).status_code == 413
    deep = b"[" * 100_000 + b"]" * 100_000
    assert (
        requests.post(
            f"{server}/api/messages",
            data=deep,
            headers={"Content-Type": "application/json"},
            timeout=10,
        ).status_code
        == 400
    )
    stamp = str(int(time.time()))
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(deep, stamp),
        "Content-Type": "application/json",
    }
    assert (
        requests.post(f"{server}/slack/events", data=deep, headers=headers, timeout=10).status_code
        == 400
    )
