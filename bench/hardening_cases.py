"""Hostile requests for bench/hardening.py: the cases issue 13 names, and seeded random ones.

Each case is (path, body, headers). Slack cases are signed with the benchmark's secret when
`signed`; Teams cases go to the dev-mode endpoint (which checks no token, so forged JWTs are
only headers there: the production path's 401s are in tests/bot/teams).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections.abc import Iterator
from typing import Any

SLACK = "/slack/events"
TEAMS = "/api/messages"
Case = tuple[str, bytes, dict[str, str]]

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
FORGED_TOKENS = (
    "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",  # alg none
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",  # HS256
    "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vIn0.eyJ9.c2ln",  # unknown kid
    "Bearer x.y.z",
    "Bearer " + "a" * 3000,
    "Basic a",
)
STAMPS = ("1" * 5000, "²", "١٢٣", "-5", "", "1e3", " 12", "9" * 13)


def deep(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + "1" + closer * depth


def slack(
    body: bytes, *, secret: str, signed: bool, content_type: str = JSON, stamp: str = ""
) -> Case:
    """A request to the Slack endpoint, signed over its very bytes (or with a bad signature)."""
    if signed:
        stamp = str(int(time.time()))
        base = b"v0:" + stamp.encode() + b":" + body
        signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    else:
        stamp, signature = stamp or str(int(time.time())), "v0=" + "0" * 64
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
    return SLACK, body, {**headers, "Content-Type": content_type}


def teams(body: bytes, *, authorization: str = "", content_type: str = JSON) -> Case:
    headers = {"Content-Type": content_type}
    if authorization:
        headers["Authorization"] = authorization
    return TEAMS, body, headers


def named_cases(secret: str) -> Iterator[Case]:
    """The hostile requests issue 13 lists, one of each."""
    for stamp in STAMPS:  # odd timestamps, unsigned
        yield slack(b'{"type":"event_callback"}', secret=secret, signed=False, stamp=stamp)
    yield slack(deep(100_000).encode(), secret=secret, signed=False)
    yield slack(
        ("payload=" + deep(100_000)).encode(), secret=secret, signed=False, content_type=FORM
    )
    yield slack(deep(100_000).encode(), secret=secret, signed=True)
    yield slack(
        ("payload=" + deep(100_000)).encode(), secret=secret, signed=True, content_type=FORM
    )
    yield slack(b"\xff\xfe\xfa not utf-8", secret=secret, signed=False)
    yield slack(b"\xff\xfe\xfa not utf-8", secret=secret, signed=True)
    view = json.dumps({"type": "view_submission", "view": "a string", "user": {"id": "U1"}})
    yield slack(f"payload={view}".encode(), secret=secret, signed=True, content_type=FORM)
    actions = json.dumps({"type": "block_actions", "actions": "no list", "user": {"id": "U1"}})
    yield slack(f"payload={actions}".encode(), secret=secret, signed=True, content_type=FORM)
    yield slack(b"a" * (1024 * 1024 + 1), secret=secret, signed=False)
    yield slack(b"[1,2,3]", secret=secret, signed=True)
    yield slack(b"", secret=secret, signed=True)
    for token in ("", *FORGED_TOKENS):
        yield teams(deep(100_000).encode(), authorization=token)
    yield teams(b'{"type":"message"}')  # fields missing
    yield teams(b'{"type":"message","from":1,"conversation":"x","serviceUrl":7}')
    yield teams(b"a" * (1024 * 1024 + 1))
    yield teams(b"\xff\xfe not utf-8")
    yield teams(b"null")


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randrange(-(10**12), 10**12)
    if kind == 3:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(12)))
    if kind in (4, 5):
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ("type", "text", "from", "value", "channelData", "event", "payload", "user", "x")
    return {rng.choice(keys): _json_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def random_cases(secret: str, count: int, seed: int = 13) -> Iterator[Case]:
    """`count` random bodies and headers to each endpoint (seeded: the same every run)."""
    rng = random.Random(seed)
    for _ in range(count):
        shape = rng.randrange(5)
        if shape == 0:
            body = rng.randbytes(rng.randrange(2000))
        elif shape == 1:
            body = deep(
                rng.randrange(60, 100_000), *rng.choice([("[", "]"), ('{"a":', "}")])
            ).encode()
        elif shape == 2:
            body = ("payload=" + json.dumps(_json_value(rng))).encode()
        else:
            value = _json_value(rng)
            if shape == 4:
                value = {
                    "type": rng.choice(["message", "invoke", "event_callback", ""]),
                    "v": value,
                }
            body = json.dumps(value).encode()
        content_type = rng.choice(
            [JSON, FORM, "text/plain", "", "application/json; charset=utf-16"]
        )
        signed = rng.random() < 0.5
        stamp = rng.choice(STAMPS)
        yield slack(body, secret=secret, signed=signed, content_type=content_type, stamp=stamp)
        yield teams(
            body, authorization=rng.choice(("", *FORGED_TOKENS)), content_type=content_type or JSON
        )
