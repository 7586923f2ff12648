"""`export` in chat: the person's stored assessments in this workspace, as JSON text.

A pure step can only ask for it (the `Export` reply); the advisor reads the store once the turn
is committed and puts these notices in its place. One notice per assessment keeps each within
what a chat message shows; the most recent come first, and at most `MAX_SHOWN` (an operator's
`llm-advisor admin export` gives them all).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dialogs.flow import Flow
from dialogs.replies import Notice

MAX_SHOWN = 10
FIELDS = ("id", "flow", "state", "started_at", "updated_at", "answers", "skipped")


def exported(doc: dict[str, Any]) -> dict[str, Any]:
    """What a person gets of one stored session: their answers and its dates, no internals."""
    return {name: doc[name] for name in FIELDS if name in doc}


def export_notices(flow: Flow, docs: Sequence[dict[str, Any]]) -> list[Notice]:
    latest = sorted(docs, key=lambda d: str(d.get("updated_at", "")), reverse=True)
    shown = latest[:MAX_SHOWN]
    text = flow.message("exported", count=len(docs))
    if len(shown) < len(docs):
        text += " " + flow.message("export_more", shown=len(shown))
    notices = [Notice(code="exported", text=text)]
    for doc in shown:
        body = json.dumps(exported(doc), indent=1, sort_keys=True, ensure_ascii=False)
        notices.append(Notice(code="export_item", text=body))
    return notices
