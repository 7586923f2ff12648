"""Reading the JSON the bot sends (Block Kit payloads, Adaptive Cards)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `node`, depth first, itself included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)
