"""Limits in front of the chat endpoints: body size and JSON nesting, checked before parsing.

A body over `MAX_BODY_BYTES` gets 413 and one nested deeper than `MAX_JSON_DEPTH` gets 400, so
neither reaches a parser that could exhaust memory or the recursion limit (a 500).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlparse

from aiohttp import web

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64

#: JSON strings (closed ones), whose brackets are text, not structure.
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")


class BodyRejected(Exception):
    """The body cannot be read within the limits: answer `status` with `reason`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> web.Response:
        return web.json_response({"error": self.reason}, status=self.status)


def too_deep(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests arrays and objects more than `limit` levels deep.

    Cheap on any input: a body with few brackets is passed at C speed, and otherwise brackets
    inside strings are dropped and the rest counted, stopping at the first level too many.
    Unbalanced or malformed text is counted as it stands (the parser rejects it later)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    brackets = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", data))
    depth = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        else:
            depth = max(depth - 1, 0)
    return False


async def read_body(request: web.Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, or BodyRejected(413) when it is (or says it is) over `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyRejected(413, f"body over {limit} bytes")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise BodyRejected(413, f"body over {limit} bytes") from exc
    if len(body) > limit:
        raise BodyRejected(413, f"body over {limit} bytes")
    return body


def check_depth(raw: bytes | str, what: str = "body") -> None:
    if too_deep(raw):
        raise BodyRejected(400, f"{what} nests JSON more than {MAX_JSON_DEPTH} levels deep")


def is_loopback_host(host: str | None) -> bool:
    """Whether an address (or host name) to listen on or to call stays on this machine."""
    if not host:
        return False
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str | None) -> bool:
    try:
        parsed = urlparse(url or "")
        return parsed.scheme in ("http", "https") and is_loopback_host(parsed.hostname)
    except ValueError:
        return False
