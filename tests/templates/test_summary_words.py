"""The summary in plain words on every platform (issue 12, item 7): readiness explained, what
was assumed said in words, no internal point scores, no raw ids or float noise, a glossary."""

from __future__ import annotations

import json
import re

from bot.render import Renderer, create_environment
from bot.slack.render import SlackRenderer
from bot.teams.render import TeamsRenderer
from dialogs.assessment import assess
from dialogs.cost import CostAssumptions
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.replies import Summary
from tests.support.answers import FULL_ANSWERS
from tests.support.conversation import Conversation


def skipped_summary(flow: Flow, config: EngineConfig) -> Summary:
    """A finished chat in which the domain-text question was skipped."""
    return Conversation(flow=flow, config=config).finish(skip=("domain_corpus",))


def rendered(flow: Flow, summary: Summary) -> dict[str, str]:
    env = create_environment()
    slack = SlackRenderer(env=env, flow=flow).reply(summary, owner="U1", in_thread=False)
    teams = TeamsRenderer(env=env, flow=flow).card(
        summary, owner="u1", owner_name="Ada", in_thread=False
    )
    return {
        "console": Renderer(env=env, flow=flow, folder="console").render(
            "summary.txt.j2", r=summary
        ),
        "slack": json.dumps(slack["blocks"]),
        "teams": json.dumps(teams),
    }


def test_every_platform_says_what_was_assumed_and_what_readiness_means(
    flow: Flow, engine_config: EngineConfig
) -> None:
    summary = skipped_summary(flow, engine_config)
    assert summary.assessment["assumed"] == {"domain_corpus": "under_10m"}
    for platform, text in rendered(flow, summary).items():
        assert "Not answered, so assumed:" in text, platform
        assert "Domain text: Under 10 million tokens" in text, platform
        assert "of what training needs" in text, platform
        assert "cautious answer" not in text, platform
        assert not re.search(r"\([+-]\d+\)", text), platform
        assert "Words used here" in text, platform


def test_the_markdown_shows_no_raw_ids_and_no_float_noise(
    flow: Flow, costs: CostAssumptions
) -> None:
    result = assess(flow, FULL_ANSWERS, costs=costs)
    text = Renderer(env=create_environment(), flow=flow, folder="markdown").render(
        "assessment.md.j2", a=result
    )
    body = text.split("Assumptions:")[0]  # the assumptions table names its entries by id
    for raw in ("`fine_tune`", "`private_endpoint`", "`prompting`", "public_api"):
        assert raw not in body
    assert not re.search(r"\b\d+\.0\b", body), re.findall(r".{20}\b\d+\.0\b.{20}", body)
    assert "Words used here" in text and "LoRA" in text
