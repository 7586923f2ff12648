"""The optional intake model in the chat (issue 16), through the advisor as create_advisor
builds it, the real Redis store and the local stand-in OpenAI-compatible server: a description
typed in the chat is read by the model when one is configured (and only then), validated, and
read by the rules when the model is slow, failing or the person is over their rate limit; a
turn never fails for it, and `forget` takes the description and the counts with the rest."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from bot.app import create_advisor
from bot.settings import Settings
from dialogs.advisor import Advisor
from dialogs.intake import extract
from dialogs.replies import IntakePrompt, IntakeReview, Reply
from dialogs.stores.redis_store import RedisStore
from dialogs.turn import SessionKey, Turn
from tests.conftest import unique_key
from tests.support.openai_standin import OpenAIStandIn, answers, openai_standin

TEXT = (
    "We're a 40-person fintech, MVP live, personal data under GDPR, about 300M tokens a month, "
    "two ML engineers, no GPUs, budget around $50k"
)


@pytest.fixture
async def model() -> AsyncIterator[OpenAIStandIn]:
    async with openai_standin() as server:
        yield server


def configured(model: OpenAIStandIn, redis_url: str, **extra: object) -> Settings:
    return replace(
        Settings(redis_url=redis_url),
        llm_url=model.url,
        llm_model="m1",
        llm_api_key="k1",
        **extra,  # type: ignore[arg-type]
    )


class Person:
    """One person's chat with the advisor: each `say` is one turn with a fresh event id."""

    def __init__(self, advisor: Advisor, key: SessionKey | None = None) -> None:
        self.advisor = advisor
        self.key = key or unique_key("slack")
        self.turns = 0

    async def say(self, text: str | None, *, event: str | None = None) -> list[Reply]:
        self.turns += 1
        turn = Turn(
            key=self.key,
            event_id=event or f"ev{self.turns}",
            at=datetime.now(UTC),
            text=text,
        )
        return list((await self.advisor.handle(turn)).replies)

    async def describe(self, text: str = TEXT) -> tuple[IntakePrompt, IntakeReview]:
        prompt = (await self.say("describe"))[0]
        assert isinstance(prompt, IntakePrompt)
        review = (await self.say(text))[0]
        assert isinstance(review, IntakeReview), review
        return prompt, review


def read(review: IntakeReview) -> dict[str, tuple[str, str]]:
    return {i.question: (i.option, i.evidence) for i in review.items}


def rules_read(advisor: Advisor) -> dict[str, tuple[str, str]]:
    return {q: (f.answer, f.evidence) for q, f in extract(advisor.flow, TEXT).found.items()}


async def opened(settings: Settings, store: RedisStore) -> tuple[Advisor, Person]:
    """The advisor create_advisor builds from `settings`, and a person whose chat it opened."""
    advisor = create_advisor(settings, store=store)
    person = Person(advisor)
    await person.say(None)
    return advisor, person


async def test_a_description_in_the_chat_is_read_by_the_model(
    model: OpenAIStandIn, redis_url: str, redis_store: RedisStore
) -> None:
    model.content = answers(
        stage=("live", "MVP live"),
        team=("mlops", "two ML engineers"),
        nonsense=("x", "fintech"),  # not a question: dropped
        gpus=("reserved", "we rent GPUs"),  # not the person's words: dropped
        budget=("galore", "budget around $50k"),  # not an option: dropped
    )
    advisor, person = await opened(configured(model, redis_url), redis_store)
    prompt, review = await person.describe()
    host = model.url.split("/")[2]
    assert prompt.reader == f"the model m1 at {host}"  # said before the person types
    assert read(review) == {"stage": ("live", "MVP live"), "team": ("mlops", "two ML engineers")}
    assert not review.resting
    assert model.texts == [TEXT] and model.headers[0]["Authorization"] == "Bearer k1"
    # Confirmed, they are used like the rules' would be.
    await person.say("yes")
    session = await advisor.peek(person.key)
    assert session is not None and session.answers == {"stage": "live", "team": "mlops"}


@pytest.mark.parametrize("trouble", ["slow", "failing", "not json"])
async def test_a_slow_or_failing_model_leaves_the_rules_reading(
    model: OpenAIStandIn,
    redis_url: str,
    redis_store: RedisStore,
    trouble: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    if trouble == "slow":
        model.delay = 3.0  # past the deadline below; no clock is asserted
    elif trouble == "failing":
        model.status = 500
    else:
        model.content = "Sure! The stage is live."
    settings = configured(model, redis_url, llm_timeout_seconds=0.2)
    advisor, person = await opened(settings, redis_store)
    _, review = await person.describe()  # the turn completed, with a review
    assert model.texts == [TEXT]  # the model was asked
    assert read(review) == rules_read(advisor)  # and the rules' answers are the ones shown
    # The failure is logged, the person's text is not (ADVISOR_LOG_DEBUG_TEXT is off).
    assert "intake model failed" in caplog.text and "personal data" not in caplog.text


async def test_without_a_model_the_text_goes_nowhere(
    model: OpenAIStandIn, redis_url: str, redis_store: RedisStore
) -> None:
    advisor, person = await opened(Settings(redis_url=redis_url), redis_store)
    prompt, review = await person.describe()
    assert prompt.reader == ""  # the prompt says the text stays on this service
    assert read(review) == rules_read(advisor)
    assert model.requests == []


async def test_the_sixth_description_in_the_window_is_read_by_the_rules(
    model: OpenAIStandIn, redis_url: str, redis_store: RedisStore
) -> None:
    model.content = answers(stage=("live", "MVP live"))
    advisor, person = await opened(configured(model, redis_url), redis_store)
    for _ in range(5):
        _, review = await person.describe()
        assert read(review) == {"stage": ("live", "MVP live")} and not review.resting
    # The same person in another conversation counts against the same limit.
    elsewhere = Person(advisor, replace(unique_key("slack"), workspace=person.key.workspace))
    await elsewhere.say(None)
    _, review = await elsewhere.describe()
    assert review.resting and read(review) == rules_read(advisor)
    assert len(model.requests) == 5
    # Someone else is not limited by them.
    other = Person(advisor, replace(person.key, user="u2"))
    await other.say(None)
    _, review = await other.describe()
    assert not review.resting and len(model.requests) == 6


async def test_a_redelivered_description_asks_the_model_once(
    model: OpenAIStandIn, redis_url: str, redis_store: RedisStore
) -> None:
    model.content = answers(stage=("live", "MVP live"))
    _, person = await opened(configured(model, redis_url), redis_store)
    await person.say("describe")
    await person.say(TEXT, event="description")
    again = await person.say(TEXT, event="description")  # the platform delivered it twice
    assert again == [] and len(model.requests) == 1


async def test_forget_takes_the_description_and_the_counts(
    model: OpenAIStandIn, redis_url: str, redis_store: RedisStore, raw_redis: aioredis.Redis
) -> None:
    model.content = answers(stage=("live", "MVP live"))
    _, person = await opened(configured(model, redis_url), redis_store)
    await person.describe()

    async def holding() -> list[str]:
        """The person's keys whose value holds words of the description."""
        found = []
        async for name in raw_redis.scan_iter(match=f"*{person.key.workspace}*"):
            if await raw_redis.type(name) == "string" and "MVP live" in (
                await raw_redis.get(name) or ""
            ):
                found.append(name)
        return found

    assert await holding()  # kept while the session lives (the review's evidence)
    quota = [n async for n in raw_redis.scan_iter(match=f"*{person.key.workspace}*model*")]
    assert quota
    await person.say("forget")
    await person.say("yes")
    assert await holding() == []
    assert [n async for n in raw_redis.scan_iter(match=f"*{person.key.workspace}*")] == []
