"""Starting a team assessment from one's own answers (issue 14): which answers of a person's own
assessment can go into their session of a team, and copying them in as one committed change
that moves the team session on to its first open question (or to the summary).

No platform code: each adapter offers the copy and delivers the `TurnResult` it gives, as it
delivers an engine turn's. Only answers the flow still accepts are copied (a known option, or a
figure the range answered before it holds), only to questions the team session leaves open
(never over an answer or a skip given there), and only where the answers so far ask them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from dialogs import presenter, recovery, screen
from dialogs.advisor import Advisor
from dialogs.errors import StoreConflict, StoreUnavailable
from dialogs.flow import Answers, Flow, Question
from dialogs.matching import in_range, option_range
from dialogs.progress import next_question
from dialogs.replies import Notice, Reply, TurnResult
from dialogs.session import Session, State, event_key
from dialogs.stores.base import Commit
from dialogs.turn import SessionKey
from dialogs.wording import plurals

ATTEMPTS = 8
# The session TTL the advisor gives every commit beyond the engine's quiet time (a day more:
# an expired session is told so at its next turn, not silently gone).
TTL_MARGIN_SECONDS = 86400

COPIED_CODE = "team_copied"
NOTHING_CODE = "team_nothing_to_copy"
FINISHED_CODE = "team_copy_finished"
GONE_CODE = "team_copy_gone"
COPIED = (
    "Copied {count} answer(s) from your own assessment. Answers you had already given here "
    "were kept; back steps through the copied ones if you want to change any."
)
NOTHING = "Your own assessment has no answers left to copy into this one."
FINISHED = "You have finished this team assessment already; edit an answer from your summary."
GONE = "This team assessment has no questions of yours to fill in any more."


def _fits(flow: Flow, question: Question, value: str, answers: Answers) -> bool:
    """Whether `value` is an answer the flow accepts for `question`, given `answers`."""
    if question.input != "number":
        return question.option(value) is not None
    if not value.isdigit():
        return False
    for gate in question.ask_if.require:
        picked = answers.get(gate, "")
        if option_range(picked) is not None and not in_range(picked, int(value)):
            return False  # a figure the range answered for it does not hold
    return True


def copyable(flow: Flow, own: Session | None, into: Session | None) -> dict[str, str]:
    """The answers of `own` (a person's own assessment) that can fill `into` (their session of
    a team; None: not started), in flow order."""
    if own is None or own.flow != flow.id or own.state == State.NEW:
        return {}
    have: dict[str, str] = dict(into.answers) if into is not None else {}
    left_out = set(into.skipped) if into is not None else set()
    out: dict[str, str] = {}
    for question in flow.questions:
        value = own.answers.get(question.id)
        if value is None or question.id in have or question.id in left_out:
            continue
        so_far = {**have, **out}
        if question.ask_if.holds(so_far) and _fits(flow, question, value, so_far):
            out[question.id] = value
    return out


def copied(flow: Flow, session: Session, answers: Mapping[str, str]) -> Session:
    """`session` with `answers` added (history in flow order, so back steps through them),
    moved to its first open question, or done when none is left."""
    merged = replace(
        session,
        answers={**session.answers, **answers},
        history=(*session.history, *answers),
        pending=None,
    )
    target = next_question(flow, merged, None)
    if target is None:
        return replace(merged, state=State.DONE, current=None, editing=False, before_edit=None)
    return replace(merged, state=State.ASKING, current=target, asked=merged.asked + 1)


@dataclass(frozen=True, kw_only=True)
class Copied:
    """What a copy did: the answers copied (none: nothing committed), and the turn's result
    for the adapter to deliver (no replies for a redelivered click)."""

    answers: Mapping[str, str] = field(default_factory=dict)
    result: TurnResult


def _told(session: Session | None, code: str, text: str) -> Copied:
    result = TurnResult(
        replies=(Notice(code=code, text=text),),
        session_id=session.id if session else "",
        state=session.state if session else "",
    )
    return Copied(result=result)


async def copy_answers(
    advisor: Advisor, *, key: SessionKey, own: SessionKey, event_id: str, at: datetime
) -> Copied:
    """Copy the answers of the person's own session `own` into their team session `key`, by
    compare-and-set; the event id is recorded in the same commit, so a redelivered click
    copies nothing twice. StoreUnavailable when the store does not answer in time."""
    try:
        async with asyncio.timeout(advisor.runner.turn_timeout_seconds):
            mine = await advisor.peek(own)
            return await _copy(advisor, key=key, mine=mine, event_id=event_id, at=at)
    except TimeoutError as exc:
        raise StoreUnavailable("the session store did not answer in time") from exc


async def _copy(
    advisor: Advisor, *, key: SessionKey, mine: Session | None, event_id: str, at: datetime
) -> Copied:
    flow, event = advisor.flow, event_key(event_id)
    doc = await advisor.store.load(key)
    for attempt in range(ATTEMPTS):
        try:
            session = Session.from_document(doc) if doc is not None else None
        except (ValueError, KeyError, TypeError):
            session = None
        if session is not None and event in session.seen:
            duplicate = TurnResult(
                replies=(), duplicate=True, session_id=session.id, state=session.state
            )
            return Copied(result=duplicate)
        if session is None or session.state in (State.NEW, State.CANCELLED):
            return _told(session, GONE_CODE, GONE)
        if session.state == State.DONE:
            return _told(session, FINISHED_CODE, FINISHED)
        answers = copyable(flow, mine, session)
        if not answers:
            return _told(session, NOTHING_CODE, NOTHING)
        new = copied(flow, session, answers).with_event(event_id, at)
        said = Notice(code=COPIED_CODE, text=plurals(COPIED.format(count=len(answers))))
        replies: list[Reply] = [said]
        claimed, recommendation = None, None
        if new.state == State.DONE:
            costs = advisor.engine.costs
            shown = presenter.summary(
                flow, new, costs, updated=session.editing, before=session.before_edit
            )
            rec = shown.assessment["recommendation"]
            recommendation = (str(rec["depth"]), str(rec["hosting"]))
            replies.append(shown)
        else:
            ask = presenter.ask(flow, new)
            claimed = screen.claim(session.screen, ask, now=at.timestamp(), failed=False)
            replies.append(ask)
        expected = session.version
        new = replace(new, version=expected + 1, screen=claimed or session.screen)
        outcome = await advisor.store.commit(
            key,
            expected_version=expected,
            document={**new.to_document(), "commit": os.urandom(6).hex()},
            event_id=event,
            ttl_seconds=advisor.engine.session_ttl_seconds + TTL_MARGIN_SECONDS,
            expected_commit=recovery.nonce_of(doc),
        )
        if outcome.status is Commit.APPLIED:
            result = TurnResult(
                replies=tuple(replies),
                session_id=new.id,
                state=new.state,
                before=session.screen,
                shows=claimed.stamp if claimed is not None else None,
                completed=recommendation is not None,
                question=new.current,
                recommendation=recommendation,
            )
            return Copied(answers=answers, result=result)
        if outcome.status is Commit.DUPLICATE:
            duplicate = TurnResult(replies=(), duplicate=True, session_id=new.id, state=new.state)
            return Copied(result=duplicate)
        doc = outcome.current
        if attempt:
            await asyncio.sleep(0.002 * attempt)
    raise StoreConflict(f"copying answers: gave up after {ATTEMPTS} conflicting attempts")
