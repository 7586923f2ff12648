"""Starting a team session from one's own answers (dialogs/team_copy.py): which answers are
copied (valid in the flow, never over one given in the team, only where asked), the move to the
first open question or the summary, and the copy committed once, on the memory store and on
Redis, beside the person's own turns."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

from dialogs.advisor import Advisor
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.presenter import stamp
from dialogs.replies import Ask, Notice, Summary
from dialogs.session import Session, State
from dialogs.stores.base import Commit, SessionStore
from dialogs.team_copy import (
    COPIED_CODE,
    FINISHED_CODE,
    NOTHING_CODE,
    copied,
    copy_answers,
    copyable,
)
from dialogs.turn import Click, SessionKey, Turn
from tests.conftest import T0, make_advisor
from tests.support.answers import FULL_ANSWERS


def session(flow: Flow, answers: dict[str, str], **fields: object) -> Session:
    base = Session(
        id="s-" + uuid.uuid4().hex[:6],
        flow=flow.id,
        flow_version=flow.version,
        state=State.ASKING,
        current=flow.questions[0].id,
        answers=answers,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def keys() -> tuple[SessionKey, SessionKey]:
    """A person's own DM session and their session of a team in a channel."""
    workspace, user = "T-" + uuid.uuid4().hex[:8], "U1"
    own = SessionKey(platform="test", workspace=workspace, conversation="D1", user=user)
    channel = "C-" + uuid.uuid4().hex[:8]
    team = SessionKey(
        platform="test", workspace=workspace, conversation=channel, thread="team/1.0", user=user
    )
    return own, team


def test_only_answers_the_flow_accepts_are_copied_and_none_over_the_teams(flow: Flow) -> None:
    own = session(
        flow,
        {
            **FULL_ANSWERS,
            "budget": "a_billion",  # not an option
            "no_such_question": "x",
            "value": "differentiator",
        },
    )
    into = session(flow, {"stage": "idea", "value": "time_saver"}, skipped=("latency",))
    out = copyable(flow, own, into)
    assert "budget" not in out and "no_such_question" not in out
    assert "stage" not in out and "value" not in out  # the team's answers stay
    assert "latency" not in out  # skipped in the team: left as the person left it
    assert out["data_sensitivity"] == "regulated" and out["monthly_tokens"] == "2000000000"
    assert list(out) == [q.id for q in flow.questions if q.id in out]  # flow order


def test_answers_the_teams_answers_do_not_ask_for_are_not_copied(flow: Flow) -> None:
    own = session(flow, dict(FULL_ANSWERS))
    # Air-gapped in the team: vendor tuning and residency are not asked; a volume under 10M
    # does not hold the 2B tokens of the person's own figure.
    into = session(flow, {"data_sensitivity": "air_gapped", "volume": "under_10m"})
    out = copyable(flow, own, into)
    assert "vendor_tuning" not in out and "residency" not in out
    assert "monthly_tokens" not in out
    assert out["budget"] == "10k_100k"


def test_nothing_comes_from_another_flow_or_an_unstarted_session(flow: Flow) -> None:
    assert copyable(flow, None, None) == {}
    elsewhere = replace(session(flow, dict(FULL_ANSWERS)), flow="other")
    assert copyable(flow, elsewhere, None) == {}
    assert copyable(flow, session(flow, {}, state=State.NEW), None) == {}
    done = session(flow, dict(FULL_ANSWERS), state=State.DONE, current=None)
    assert copyable(flow, done, None) == dict(FULL_ANSWERS)  # a finished one is copied whole


def test_the_copy_moves_to_the_first_open_question_or_the_summary(flow: Flow) -> None:
    first, second = flow.questions[0].id, flow.questions[1].id
    into = session(flow, {}, asked=1, history=())
    some = {q: v for q, v in FULL_ANSWERS.items() if q != second}
    moved = copied(flow, into, copyable(flow, session(flow, some), into))
    assert moved.state == State.ASKING and moved.current == second and moved.asked == 2
    assert moved.answers[first] == FULL_ANSWERS[first]
    assert moved.history[0] == first  # back steps through the copied answers
    done = copied(flow, into, copyable(flow, session(flow, dict(FULL_ANSWERS)), into))
    assert done.state == State.DONE and done.current is None


async def start(
    store: SessionStore, flow: Flow, config: EngineConfig
) -> tuple[Advisor, SessionKey, SessionKey]:
    advisor = make_advisor(flow, store, config)
    own, team = keys()
    await advisor.handle(Turn(key=team, event_id="join", at=T0))  # the first team question
    mine = session(flow, {k: v for k, v in FULL_ANSWERS.items() if k != "budget"}, version=1)
    outcome = await store.commit(
        own, expected_version=0, document=mine.to_document(), event_id="e0", ttl_seconds=600
    )
    assert outcome.status is Commit.APPLIED
    return advisor, own, team


async def test_copying_commits_once_and_moves_on(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    advisor, own, team = await start(store, flow, engine_config)
    done = await copy_answers(advisor, key=team, own=own, event_id="copy-1", at=T0)
    assert len(done.answers) == len(FULL_ANSWERS) - 1
    notice, ask = done.result.replies
    assert isinstance(notice, Notice) and notice.code == COPIED_CODE
    assert str(len(done.answers)) in notice.text
    assert isinstance(ask, Ask) and ask.question == "budget" and done.result.shows == ask.stamp
    stored = await advisor.peek(team)
    assert stored is not None and stored.current == "budget"
    assert stored.screen is not None and stored.screen.stamp == ask.stamp  # claimed for posting

    again = await copy_answers(advisor, key=team, own=own, event_id="copy-1", at=T0)
    assert again.result.duplicate and not again.result.replies and not again.answers
    other = await copy_answers(advisor, key=team, own=own, event_id="copy-2", at=T0)
    assert [r.code for r in other.result.replies if isinstance(r, Notice)] == [NOTHING_CODE]

    # The advisor's own next turn (its copy of the session is older) lands on the new question.
    click = Click(question="budget", option="under_10k", stamp=ask.stamp)
    result = await advisor.handle(Turn(key=team, event_id="b", at=T0, click=click))
    assert result.state == State.DONE and any(isinstance(r, Summary) for r in result.replies)
    finished = await advisor.peek(team)
    assert finished is not None and finished.answers["budget"] == "under_10k"
    late = await copy_answers(advisor, key=team, own=own, event_id="copy-3", at=T0)
    assert [r.code for r in late.result.replies if isinstance(r, Notice)] == [FINISHED_CODE]


async def test_a_complete_own_assessment_takes_the_member_to_their_summary(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    advisor = make_advisor(flow, store, engine_config)
    own, team = keys()
    await advisor.handle(Turn(key=team, event_id="join", at=T0))
    mine = session(flow, dict(FULL_ANSWERS), state=State.DONE, current=None, version=1)
    await store.commit(
        own, expected_version=0, document=mine.to_document(), event_id="e0", ttl_seconds=600
    )
    done = await copy_answers(advisor, key=team, own=own, event_id="copy", at=T0)
    assert done.result.state == State.DONE and done.result.completed
    assert isinstance(done.result.replies[-1], Summary) and done.result.shows is None
    stored = await advisor.peek(team)
    assert stored is not None and dict(stored.answers) == dict(FULL_ANSWERS)


async def test_a_copy_and_an_answer_at_once_both_land_and_the_answer_wins(
    store: SessionStore, flow: Flow, engine_config: EngineConfig
) -> None:
    advisor, own, team = await start(store, flow, engine_config)
    first = await advisor.peek(team)
    assert first is not None
    click = Click(question=first.current or "", option="idea", stamp=stamp(first))
    turn = Turn(key=team, event_id="answer", at=T0, click=click)
    answered, done = await asyncio.gather(
        advisor.handle(turn),
        copy_answers(advisor, key=team, own=own, event_id="copy", at=T0),
    )
    assert answered.replies and done.result.replies
    stored = await advisor.peek(team)
    assert stored is not None
    if "stage" in done.answers:  # the copy was first: the click's question had moved on
        assert stored.answers["stage"] == FULL_ANSWERS["stage"]
        codes = [r.code for r in answered.replies if isinstance(r, Notice)]
        assert "already_answered" in codes
    else:  # the click was first: the copy kept its answer
        assert stored.answers["stage"] == "idea"
    assert stored.answers["data_sensitivity"] == FULL_ANSWERS["data_sensitivity"]
