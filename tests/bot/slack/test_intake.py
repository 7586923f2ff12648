"""A described assessment in a Slack DM (issue 16), through Bolt's real HTTP path: the review
card with the words each answer came from, one correction, then only the open questions."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot.render import create_environment
from bot.slack.delivery import Place
from bot.slack.render import SlackRenderer, blocks_size
from dialogs.flow import Flow
from dialogs.intake import extract
from dialogs.stores.base import SessionStore
from tests.bot.slack.conftest import (
    DRAIN_SECONDS,
    SlackHarness,
    new_user,
    slack_settings,
    start_harness,
)
from tests.support.answers import FULL_ANSWERS
from tests.support.block_kit import card_problems_of
from tests.support.intake_reviews import largest_review
from tests.support.openai_standin import answers, openai_standin
from tests.support.slack_standin import Call, SlackStandIn

PARAGRAPH = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k <!channel>"
)


def button(call: Call, action_id: str) -> str:
    """The value of the button `action_id` on a posted message."""
    for block in call.payload["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


async def press(slack: SlackHarness, user: str, call: Call, action_id: str, channel: str) -> None:
    """Click the button `action_id` on the posted message `call`."""
    status, _ = await slack.action(
        user, action_id, button(call, action_id), channel=channel, message_ts=call.result["ts"]
    )
    assert status == 200


async def open_dm(slack: SlackHarness) -> tuple[str, str]:
    """A new person's DM with the advisor, opened with "hello" until the first question is
    posted: the person's id and the DM's."""
    user = new_user()
    dm = "D" + user
    await slack.dm(user, "hello")
    await slack.next_question(dm, 0)
    return user, dm


async def test_a_described_assessment_in_a_dm(slack: SlackHarness) -> None:
    user, dm = await open_dm(slack)
    key = Place(team="T1", channel=dm, thread_ts="", user=user).key
    seen = len(slack.posts(dm))
    await slack.dm(user, "describe")
    prompt = await slack.eventually(lambda: slack.posts(dm)[seen:])
    assert "Describe your situation" in prompt[0].payload["text"]
    seen = len(slack.posts(dm))
    await slack.dm(user, PARAGRAPH)
    review = (await slack.eventually(lambda: slack.posts(dm)[seen:]))[0]
    blocks = json.dumps(review.payload["blocks"], ensure_ascii=False)
    assert "Data sensitivity: Regulated (health, finance, personal data)" in blocks
    assert "← “personal data under GDPR”" in blocks
    assert "Still to ask (17)" in blocks
    # The person's words are plain text: a broadcast in them never goes live.
    for block in review.payload["blocks"]:
        if block["type"] == "context" and "<!channel>" in json.dumps(block):
            assert all(e["type"] == "plain_text" for e in block["elements"])
    session = await slack.advisor.peek(key)
    assert session is not None and session.answers == {}  # nothing used yet
    seen = len(slack.posts(dm))
    await slack.dm(user, "change team mlops")
    corrected = (await slack.eventually(lambda: slack.posts(dm)[seen:]))[0]
    assert "Team skills: ML engineers with MLOps  (your change)" in json.dumps(
        corrected.payload["blocks"], ensure_ascii=False
    )
    questions = len(slack.questions(dm))
    # The first review's button is from an earlier showing: it acts on nothing.
    await press(slack, user, review, "cmd_yes", dm)
    await slack.eventually(lambda: slack.ephemerals(user))
    session = await slack.advisor.peek(key)
    assert session is not None and session.answers == {}
    await press(slack, user, corrected, "cmd_yes", dm)
    following = await slack.next_question(dm, questions)
    assert "How much is a better answer worth" in following.payload["text"]
    asked = []
    for _ in range(30):
        session = await slack.advisor.peek(key)
        assert session is not None
        if session.state == "done":
            break
        assert session.current is not None
        asked.append(session.current)
        before = len(slack.questions(dm))
        await slack.dm(user, FULL_ANSWERS[session.current])
        await slack.eventually(
            lambda before=before: len(slack.questions(dm)) > before or slack.summaries(dm)
        )
    assert not {"stage", "data_sensitivity", "volume", "team", "gpus", "budget"} & set(asked)
    summary = await slack.eventually(lambda: slack.summaries(dm))
    assert summary and session is not None and session.answers["team"] == "mlops"
    # The summary says which answers came from the description.
    said = json.dumps(summary[0].payload["blocks"], ensure_ascii=False)
    assert (
        "From your description:" in said
        and "Team skills" in said.split("From your description:")[1]
    )
    assert slack.standin.card_problems == []


def blocks_of(call: Call) -> list[dict[str, Any]]:
    return list(call.payload["blocks"])


def review_row(call: Call, short: str) -> dict[str, Any]:
    """The review card's row for the question named `short` (its text and change control)."""
    for block in blocks_of(call):
        if "accessory" in block and block["text"]["text"].startswith(short + ":"):
            return block
    raise AssertionError(f"no row for {short}")


async def pick(slack: SlackHarness, user: str, call: Call, short: str, option: str) -> None:
    """Pick `option` in the change menu of row `short` on the review `call`."""
    row = review_row(call, short)
    menu = row["accessory"]
    chosen = next(o for o in menu["options"] if json.loads(o["value"])["o"] == option)
    status, _ = await slack.action(
        user,
        menu["action_id"],
        None,
        channel=call.payload["channel"],
        message_ts=call.result["ts"],
        block_id=row["block_id"],
        action_type="static_select",
        selected_option=chosen,
    )
    assert status == 200


async def test_a_described_assessment_with_the_buttons(slack: SlackHarness) -> None:
    user, dm = await open_dm(slack)
    key = Place(team="T1", channel=dm, thread_ts="", user=user).key
    intro = next(
        p for p in slack.posts(dm) if any(b.get("block_id") == "ways_in" for b in blocks_of(p))
    )
    ways = [
        e["text"]["text"]
        for b in blocks_of(intro)
        for e in b.get("elements", [])
        if e.get("type") == "button"
    ]
    assert ways == ["Describe your situation", "Answer step by step"]
    seen = len(slack.posts(dm))
    for _ in range(2):  # a double click: the second acts on nothing
        await press(slack, user, intro, "cmd_describe", dm)
    prompt = (await slack.eventually(lambda: slack.posts(dm)[seen:]))[0]
    assert "Describe your situation" in prompt.payload["text"]
    assert "stays on this service" in json.dumps(prompt.payload["blocks"])
    await slack.eventually(lambda: slack.ephemerals(user))
    seen = len(slack.posts(dm))
    await slack.dm(user, PARAGRAPH)
    review = (await slack.eventually(lambda: slack.posts(dm)[seen:]))[0]
    assert review.payload["channel"] == dm
    assert "Still to ask (" in json.dumps(review.payload["blocks"])
    assert [e["text"]["text"] for e in blocks_of(review)[-1]["elements"]] == [
        "Confirm all",
        "Drop all",
    ]
    assert review_row(review, "Data sensitivity")["text"]["type"] == "plain_text"
    # One correction through the change control.
    seen = len(slack.posts(dm))
    await pick(slack, user, review, "Team skills", "mlops")
    corrected = (await slack.eventually(lambda: slack.posts(dm)[seen:]))[0]
    assert (
        "ML engineers with MLOps  (your change)"
        in review_row(corrected, "Team skills")["text"]["text"]
    )
    # The first card's control, picked late, never overwrites the change.
    await pick(slack, user, review, "Team skills", "research")
    await slack.eventually(lambda: len(slack.ephemerals(user)) > 1)
    session = await slack.advisor.peek(key)
    assert session is not None and session.answers == {}
    assert session.intake is not None and session.intake["proposed"]["team"] == "mlops"
    questions = len(slack.questions(dm))
    await press(slack, user, corrected, "cmd_yes", dm)
    asked = []
    for _ in range(30):
        call = await slack.eventually(
            lambda questions=questions: (
                (slack.questions(dm)[questions:] or [None])[0] or (slack.summaries(dm) or [None])[0]
            )
        )
        if slack.is_summary(call):
            break
        session = await slack.advisor.peek(key)
        assert session is not None and session.current is not None
        asked.append(session.current)
        questions = len(slack.questions(dm))
        choices = slack.question_buttons(call)
        answer = FULL_ANSWERS[session.current]
        if answer in choices:  # a button where the question has one for this answer
            b = choices[answer]
            await slack.action(
                user, b["action_id"], b["value"], channel=dm, message_ts=call.result["ts"]
            )
        else:
            await slack.dm(user, answer)
    assert asked[0] == "value"
    assert not {"stage", "data_sensitivity", "volume", "team", "gpus", "budget"} & set(asked)
    summary = slack.summaries(dm)[0]
    said = json.dumps(summary.payload["blocks"], ensure_ascii=False)
    described = said.split("From your description:")[1]
    assert "Data sensitivity" in described
    session = await slack.advisor.peek(key)
    assert session is not None and session.answers["team"] == "mlops"
    assert slack.standin.card_problems == []


async def test_a_configured_model_reads_the_description_in_slack(
    standin: SlackStandIn, redis_url: str, store: SessionStore
) -> None:
    async with openai_standin() as model:
        model.content = answers(stage=("live", "MVP live"), team=("mlops", "two ML engineers"))
        settings = replace(slack_settings(standin, redis_url), llm_url=model.url, llm_model="m1")
        slack, runner, http = await start_harness(standin, settings, store)
        try:
            user, dm = await open_dm(slack)
            seen = len(slack.posts(dm))
            await slack.dm(user, "describe")
            prompt = (await slack.eventually(lambda: slack.posts(dm)[seen:]))[0]
            host = model.url.split("/")[2]
            notice = f"Your description will be read by the model m1 at {host}"
            assert notice in json.dumps(prompt.payload["blocks"])
            assert model.requests == []  # nothing is sent before the person types it
            seen = len(slack.posts(dm))
            await slack.dm(user, PARAGRAPH)
            review = (await slack.eventually(lambda: slack.posts(dm)[seen:]))[0]
            rows = [b["text"]["text"] for b in blocks_of(review) if "accessory" in b]
            assert rows == [
                "Stage: Live with steady usage  ← “MVP live”",
                "Team skills: ML engineers with MLOps  ← “two ML engineers”",
            ]
            assert model.texts == [PARAGRAPH]
        finally:
            if slack.drainer is not None:
                await slack.drainer.drain(DRAIN_SECONDS)
            await runner.cleanup()
            await http.close()


def test_the_largest_review_stays_within_slacks_limits(flow: Flow) -> None:
    """Every question settled, each quoting long words (a model's evidence can be any span of
    a 4,000-character description): the message keeps to Block Kit's limits and its size."""
    review = largest_review(flow, "<!channel> words " * 200)
    payload = SlackRenderer(env=create_environment(), flow=flow).reply(
        review, owner="U1", in_thread=True
    )
    assert card_problems_of("chat.postMessage", payload) == []
    assert blocks_size(payload["blocks"]) < 12_000
    rows = [b for b in payload["blocks"] if str(b.get("block_id", "")).startswith("review_")]
    assert len(rows) == len(flow.questions)
    assert "accessory" in rows[0] and "accessory" not in rows[-1]  # the rest: `change` typed


async def test_a_slow_model_leaves_the_rules_reading_in_slack(
    standin: SlackStandIn, redis_url: str, store: SessionStore
) -> None:
    """A model that does not answer in time: the turn completes over Slack's HTTP path, with
    the rules' answers (no clock is asserted)."""
    async with openai_standin() as model:
        model.delay = 3.0
        settings = replace(
            slack_settings(standin, redis_url),
            llm_url=model.url,
            llm_model="m1",
            llm_timeout_seconds=0.2,
        )
        slack, runner, http = await start_harness(standin, settings, store)
        try:
            user, dm = await open_dm(slack)
            await slack.dm(user, "describe")
            seen = len(slack.posts(dm)) + 1
            await slack.eventually(lambda: len(slack.posts(dm)) >= seen)
            await slack.dm(user, PARAGRAPH)
            review = (await slack.eventually(lambda: slack.posts(dm)[seen:]))[0]
            assert model.texts == [PARAGRAPH]  # it was asked
            said = {b["text"]["text"] for b in blocks_of(review) if "accessory" in b}
            rules = extract(slack.advisor.flow, PARAGRAPH).found
            assert any(s.startswith("Stage:") and rules["stage"].evidence in s for s in said)
            assert len(said) == len(rules)
            assert slack.standin.card_problems == []
        finally:
            if slack.drainer is not None:
                await slack.drainer.drain(DRAIN_SECONDS)
            await runner.cleanup()
            await http.close()
