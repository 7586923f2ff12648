"""The question counter: its total never grows under the person's feet, on every platform."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.render import Renderer, create_environment
from bot.slack.render import SlackRenderer
from bot.teams.render import TeamsRenderer
from dialogs import presenter
from dialogs.flow import Flow
from dialogs.progress import next_question
from dialogs.session import Session, State
from tests.support.answers import FULL_ANSWERS


def start(flow: Flow) -> Session:
    return Session(
        id="counter", flow=flow.id, flow_version=flow.version, state=State.ASKING, current="stage"
    )


def walk(flow: Flow, volume: str | None) -> list[tuple[int, int]]:
    """(position, total) of every question asked, answering FULL_ANSWERS with this volume
    (None: the volume question is skipped)."""
    session = start(flow)
    shown: list[tuple[int, int]] = []
    while session.current is not None:
        ask = presenter.ask(flow, session)
        status = presenter.status(flow, session)
        assert status.total == ask.total
        shown.append((ask.position, ask.total))
        qid = session.current
        if qid == "volume" and volume is None:
            session = replace(session, skipped=(*session.skipped, qid))
        else:
            answer = volume if qid == "volume" else FULL_ANSWERS[qid]
            session = replace(session, answers={**session.answers, qid: answer})
        session = replace(session, current=next_question(flow, session, qid))
    return shown


@pytest.mark.parametrize(
    ("volume", "asked"),
    [("500m_10b", 24), ("unknown", 23), (None, 23)],
    ids=["follow-up-asked", "ruled-out", "gate-skipped"],
)
def test_the_total_never_grows(flow: Flow, volume: str | None, asked: int) -> None:
    shown = walk(flow, volume)
    assert [p for p, _ in shown] == list(range(1, asked + 1))
    totals = [t for _, t in shown]
    assert totals[0] == 24  # the follow-up counts while it may still be asked
    assert totals == sorted(totals, reverse=True)
    assert totals[-1] == asked


def test_every_platform_shows_the_same_counter(flow: Flow) -> None:
    ask = presenter.ask(flow, start(flow))
    env = create_environment()
    console = Renderer(env=env, flow=flow, folder="console").render("ask.txt.j2", r=ask)
    slack = SlackRenderer(env=env, flow=flow).reply(ask, owner="U1", in_thread=False)
    teams = TeamsRenderer(env=env, flow=flow).card(
        ask, owner="u1", owner_name="Ada", in_thread=False
    )
    assert console.startswith("[1/24] ")
    assert slack["text"].startswith("Question 1 of 24: ")
    assert "Question 1 of 24" in str(teams)
