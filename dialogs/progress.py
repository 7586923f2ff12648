"""Where a session stands in a flow: a new session, the next open question, and carrying a
session over to a new version of its flow."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from dialogs.flow import Flow
from dialogs.session import Session, State
from dialogs.turn import Turn


def new_session(flow: Flow, turn: Turn) -> Session:
    digest = hashlib.sha256(f"{turn.key}|{turn.event_id}".encode()).hexdigest()[:12]
    at = turn.at.isoformat()
    return Session(id=digest, flow=flow.id, flow_version=flow.version, started_at=at, updated_at=at)


def next_question(flow: Flow, session: Session, after: str | None) -> str | None:
    """The first open question after `after` in flow order, else the first open one at all."""
    open_ = [
        q.id
        for q in flow.applicable(session.answers)
        if q.id not in session.answers and q.id not in session.skipped
    ]
    if after is not None and flow.question(after) is not None:
        position = flow.index(after)
        later = [q for q in open_ if flow.index(q) > position]
        if later:
            return later[0]
    return open_[0] if open_ else None


def migrated(flow: Flow, session: Session) -> tuple[Session | None, int]:
    """The session moved to this version of its flow, keeping every answer still valid, and
    how many were kept; None when it had answers and none is valid any more."""
    kept: dict[str, str] = {}
    for qid, value in session.answers.items():
        q = flow.question(qid)
        if q is not None and (
            q.option(value) is not None or (q.input == "number" and value.isdigit())
        ):
            kept[qid] = value
    if session.answers and not kept:
        return None, 0
    known = {q.id for q in flow.questions}
    moved = replace(
        session,
        flow_version=flow.version,
        answers=kept,
        skipped=tuple(q for q in session.skipped if q in known),
        history=tuple(q for q in session.history if q in known),
        editing=False,
        pending=None,
    )
    if moved.state == State.NEW:
        return moved, len(kept)
    target = next_question(flow, moved, None)
    state = (
        moved.state if moved.state == State.CANCELLED else (State.ASKING if target else State.DONE)
    )
    return replace(moved, state=state, current=target, asked=moved.asked + 1), len(kept)
