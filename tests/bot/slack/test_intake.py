"""A described assessment in a Slack DM (issue 16), through Bolt's real HTTP path: the review
card with the words each answer came from, one correction, then only the open questions."""

from __future__ import annotations

import json

from bot.slack.delivery import Place
from tests.bot.slack.conftest import SlackHarness, new_user
from tests.support.answers import FULL_ANSWERS
from tests.support.slack_standin import Call

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


async def test_a_described_assessment_in_a_dm(slack: SlackHarness) -> None:
    user = new_user()
    dm = "D" + user
    key = Place(team="T1", channel=dm, thread_ts="", user=user).key
    await slack.dm(user, "hello")
    await slack.next_question(dm, 0)
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
    status, _ = await slack.action(
        user, "cmd_yes", button(review, "cmd_yes"), channel=dm, message_ts=review.result["ts"]
    )
    assert status == 200
    await slack.eventually(lambda: slack.ephemerals(user))
    session = await slack.advisor.peek(key)
    assert session is not None and session.answers == {}
    status, _ = await slack.action(
        user,
        "cmd_yes",
        button(corrected, "cmd_yes"),
        channel=dm,
        message_ts=corrected.result["ts"],
    )
    assert status == 200
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
