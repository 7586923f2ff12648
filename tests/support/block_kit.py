"""Block Kit as Slack accepts it: every card the stand-in Web API receives is checked against
`slack_sdk.models` and the limits Slack enforces (blocks per message, text lengths, ids)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

#: ``Call.method`` of a POST to a ``response_url`` handed out by ``SlackStandIn.response_url``.
RESPONSE_URL_METHOD: Final = "response_url"

MESSAGE_METHODS: Final = frozenset(
    {"chat.postMessage", "chat.update", "chat.postEphemeral", RESPONSE_URL_METHOD}
)
VIEW_METHODS: Final = frozenset({"views.publish", "views.open", "views.update", "views.push"})
JSON_FIELDS: Final = frozenset({"blocks", "attachments", "view", "metadata"})

# Block Kit limits (engineering.md "Rendering cards safely" and Slack's block reference).
MAX_MESSAGE_BLOCKS: Final = 50
MAX_VIEW_BLOCKS: Final = 100
MAX_BLOCKS_JSON_CHARS: Final = 12_000
MAX_SECTION_TEXT: Final = 3000
# Slack documents 2000 per field (and 10 fields), not the 3000 of a section's own text.
MAX_FIELD_TEXT: Final = 2000
MAX_FIELDS: Final = 10
MAX_HEADER_TEXT: Final = 150
MAX_BUTTON_TEXT: Final = 75
MAX_BUTTON_VALUE: Final = 2000
MAX_ID_CHARS: Final = 255
MAX_ACTIONS_ELEMENTS: Final = 25
# The newer blocks that come with Slack's agent features (paid plans, developer sandboxes).
NEWER_BLOCKS: Final = frozenset({"plan", "task_card", "table", "alert", "container", "card"})
TASK_STATUSES: Final = frozenset({"pending", "in_progress", "complete", "error"})

# slack_sdk's web, webhook and Socket Mode clients route through these and ignore NO_PROXY.


def card_problems_of(method: str, payload: dict[str, Any]) -> list[str]:
    """Block Kit problems in one call's payload, each naming the method and the block."""
    if method in MESSAGE_METHODS and "blocks" in payload:
        return check_blocks(payload["blocks"], where=method, max_blocks=MAX_MESSAGE_BLOCKS)
    if method in VIEW_METHODS and "view" in payload:
        return check_view(payload["view"], where=method)
    return []


def check_view(view: Any, *, where: str) -> list[str]:
    if not isinstance(view, dict):
        return [f"{where}: view is not a JSON object: {view!r:.80}"]
    blocks = view.get("blocks", [])
    problems = check_blocks(blocks, where=f"{where} view", max_blocks=MAX_VIEW_BLOCKS)
    if not problems:
        # slack_sdk's View checks the rest (title, submit, close, private_metadata...).
        try:
            View(**view).to_dict()
        except Exception as exc:
            problems.append(f"{where} view: slack_sdk rejects it: {type(exc).__name__}: {exc}")
    return problems


def check_blocks(blocks: Any, *, where: str, max_blocks: int) -> list[str]:
    """Parse each block with slack_sdk and check the limits Slack enforces."""
    if not isinstance(blocks, list):
        return [f"{where}: blocks is not a JSON array: {blocks!r:.80}"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"{where}: {len(blocks)} blocks (limit {max_blocks})")
    size = len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))
    if size >= MAX_BLOCKS_JSON_CHARS:
        problems.append(f"{where}: blocks are {size} chars of JSON (limit {MAX_BLOCKS_JSON_CHARS})")
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        label = _block_label(where, index, block)
        found = list(_limit_problems(block))
        if not found:  # the SDK stops at its first finding; ours are more specific
            found.extend(_sdk_problems(block))
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen_ids:
                found.append(f"block_id {block_id!r} is used twice in one message")
            seen_ids.add(block_id)
        problems.extend(f"{label}: {problem}" for problem in found)
    return problems


def _block_label(where: str, index: int, block: Any) -> str:
    if not isinstance(block, dict):
        return f"{where} block {index}"
    described = str(block.get("type", "?"))
    if block.get("block_id"):
        described += f", block_id={block['block_id']!r}"
    return f"{where} block {index} ({described})"


def _limit_problems(block: Any) -> Iterator[str]:
    if not isinstance(block, dict):
        yield "not a JSON object"
        return
    kind = block.get("type")
    if kind == "section":
        yield from _too_long("section text", block.get("text"), MAX_SECTION_TEXT)
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS:
            yield f"{len(fields)} fields (limit {MAX_FIELDS})"
        for number, item in enumerate(fields):
            yield from _too_long(f"field {number} text", item, MAX_FIELD_TEXT)
    elif kind == "header":
        yield from _too_long("header text", block.get("text"), MAX_HEADER_TEXT)
    elif kind == "actions":
        elements = block.get("elements") or []
        if len(elements) > MAX_ACTIONS_ELEMENTS:
            yield f"{len(elements)} elements (limit {MAX_ACTIONS_ELEMENTS})"
    elif kind == "plan":
        yield from _plan_problems(block)
    for node in _objects(block):
        for key in ("block_id", "action_id"):
            value = node.get(key)
            if isinstance(value, str) and len(value) > MAX_ID_CHARS:
                yield f"{key} is {len(value)} chars (limit {MAX_ID_CHARS})"
        if node.get("type") == "button":
            name = f"button {node.get('action_id')!r}"
            yield from _too_long(f"{name} text", node.get("text"), MAX_BUTTON_TEXT)
            value = node.get("value")
            if isinstance(value, str) and len(value) > MAX_BUTTON_VALUE:
                yield f"{name} value is {len(value)} chars (limit {MAX_BUTTON_VALUE})"


def _plan_problems(block: dict[str, Any]) -> Iterator[str]:
    """A plan's tasks, which slack_sdk keeps as given: each a task card (its `type` may be
    left out) with an id unique in the plan, a title and a known status."""
    if not isinstance(block.get("title"), str) or not block["title"]:
        yield "plan without a title"
    tasks = block.get("tasks") or []
    if not isinstance(tasks, list):
        yield "plan tasks is not a JSON array"
        return
    seen: set[str] = set()
    for number, task in enumerate(tasks):
        if not isinstance(task, dict) or task.get("type", "task_card") != "task_card":
            yield f"plan task {number} is not a task card"
            continue
        task_id = task.get("task_id")
        if not isinstance(task_id, str) or not task_id or task_id in seen:
            yield f"plan task {number}: task_id {task_id!r} missing or used twice"
        seen.add(str(task_id))
        if task.get("status") not in TASK_STATUSES:
            yield f"plan task {number}: status {task.get('status')!r}"
        for problem in _sdk_problems({**task, "type": "task_card"}):
            yield f"plan task {number}: {problem}"


def _too_long(name: str, text_object: Any, limit: int) -> Iterator[str]:
    text = text_object.get("text") if isinstance(text_object, dict) else text_object
    if isinstance(text, str) and len(text) > limit:
        yield f"{name} is {len(text)} chars (limit {limit})"


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object nested in ``value``, itself included."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _sdk_problems(block: dict[str, Any]) -> Iterator[str]:
    try:
        parsed = Block.parse(block)
        if parsed is None:
            yield f"unknown block type {block.get('type')!r}"
            return
        as_dict = parsed.to_dict()
    except Exception as exc:  # whatever stops slack_sdk from building the block is the finding
        yield f"slack_sdk rejects it: {type(exc).__name__}: {exc}"
        return
    # slack_sdk turns elements of unknown type into None (with a log line) instead of failing.
    if any(None in node for node in _lists(as_dict)):
        yield "contains an element of unknown type"


def _lists(value: Any) -> Iterator[list[Any]]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _lists(item)
    elif isinstance(value, list):
        yield value
        for item in value:
            yield from _lists(item)
