"""The optional model of the free-text intake (issue 16): an OpenAI-compatible chat-completions
endpoint (a team's own vLLM, or a hosted API) asked for the answers as JSON constrained to the
flow's ids, each with the words of the description it came from.

Nothing it says is taken on trust: an unknown question, an answer that is not one of the
question's options, or evidence that is not words of the person's text is dropped, and a figure
of tokens the volume range does not hold is dropped too. A timeout (a few seconds) or any error
falls back to the rules of `dialogs.intake`, never to a failure. The text goes to the endpoint
only when an operator configured one (ADVISOR_LLM_URL and ADVISOR_LLM_MODEL).

Plain aiohttp, already a dependency, rather than the `openai` package: the protocol needed here
is one POST of a JSON body, and this keeps the timeout and the error handling in our hands
without adding httpx, pydantic and their releases to the lock.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

import aiohttp

from dialogs.commands import MAX_TOKENS, Figure
from dialogs.flow import Flow
from dialogs.ids import MONTHLY_TOKENS
from dialogs.intake import Found, Intake, extract, still_open
from dialogs.matching import in_range, option_for

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 4.0
Source = Literal["model", "rules"]


@dataclass(frozen=True, kw_only=True)
class ModelSettings:
    url: str
    model: str
    api_key: str | None = None
    timeout_seconds: float = TIMEOUT_SECONDS

    @property
    def endpoint(self) -> str:
        """The chat-completions URL: ADVISOR_LLM_URL as given, or with /chat/completions added
        to a base such as https://host/v1."""
        url = self.url.rstrip("/")
        return url if url.endswith("/chat/completions") else f"{url}/chat/completions"

    @property
    def host(self) -> str:
        """Where the text goes, for people to read: host and port, never a user or password."""
        parts = urlparse(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.hostname}{port}" if parts.hostname else "the configured endpoint"


def request_body(flow: Flow, text: str, model: str) -> dict[str, Any]:
    """The chat-completions request: the questions with their option ids, and the text."""
    lines = []
    for q in flow.questions:
        if q.input == "number":
            lines.append(f"- {q.id}: {q.prompt} Answer with a whole number of tokens a month.")
        else:
            ids = "; ".join(f"{o.id} = {o.label}" for o in q.options)
            lines.append(f"- {q.id}: {q.prompt} Options: {ids}")
    system = (
        "You read a short description of a team's situation and answer, for each question below "
        "that the description clearly settles, with one option id. Leave out every question it "
        "does not settle; never guess. For each answer give the exact words of the description "
        "it came from, copied character for character. Reply with JSON only, shaped "
        '{"answers": {"<question id>": {"answer": "<option id>", "evidence": "<exact words>"}}}.'
        "\n\nQuestions:\n" + "\n".join(lines)
    )
    return {
        "model": model,
        "temperature": 0,
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": text},
        ],
    }


async def ask_model(
    settings: ModelSettings, flow: Flow, text: str, *, http: aiohttp.ClientSession | None = None
) -> Any:
    """The model's JSON answer (unchecked); raises on a timeout, an HTTP error or bad JSON."""
    headers = {"Content-Type": "application/json"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    timeout = aiohttp.ClientTimeout(total=settings.timeout_seconds)
    body = request_body(flow, text, settings.model)
    own = http is None
    session = http or aiohttp.ClientSession()
    try:
        async with session.post(
            settings.endpoint, json=body, headers=headers, timeout=timeout
        ) as response:
            response.raise_for_status()
            reply = await response.json(content_type=None)
    finally:
        if own:
            await session.close()
    content = reply["choices"][0]["message"]["content"]
    return json.loads(_unfenced(str(content)))


class ModelReader:
    """The chat's reader of descriptions (dialogs.intake_reader.Reader) over the configured
    endpoint: the model's answers, validated against the flow; raises when it fails (the
    core then reads the text with the rules)."""

    def __init__(self, *, settings: ModelSettings, flow: Flow) -> None:
        self.settings = settings
        self.flow = flow

    @property
    def name(self) -> str:
        return f"the model {self.settings.model} at {self.settings.host}"

    async def read(self, text: str) -> Intake:
        return validated(self.flow, text, await ask_model(self.settings, self.flow, text))


def _unfenced(content: str) -> str:
    """Models asked for JSON sometimes wrap it in a ``` block."""
    fenced = re.fullmatch(r"\s*```(?:json)?\s*(.*?)\s*```\s*", content, re.DOTALL)
    return fenced.group(1) if fenced else content


def validated(flow: Flow, text: str, raw: Any) -> Intake:
    """The model's answers that are valid for the flow and quote the text; the rest dropped."""
    answers = raw.get("answers") if isinstance(raw, Mapping) else None
    found: dict[str, Found] = {}
    for qid, item in (answers if isinstance(answers, Mapping) else {}).items():
        question = flow.question(str(qid))
        if question is None or not isinstance(item, Mapping):
            continue
        answer = _answer(item.get("answer"), number=question.input == "number")
        if answer is None or (question.input == "choice" and question.option(answer) is None):
            continue
        span = _quoted(text, item.get("evidence"))
        if span is None:
            continue
        start, end = span
        found[question.id] = Found(answer=answer, evidence=text[start:end], start=start, end=end)
    _agree(flow, found)
    return Intake(found=found, open=still_open(flow, {q: f.answer for q, f in found.items()}))


def _answer(value: object, *, number: bool) -> str | None:
    if number:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float) and 1 <= value <= MAX_TOKENS and value == int(value):
            return str(int(value))
        if isinstance(value, str) and value.isdigit() and 1 <= int(value) <= MAX_TOKENS:
            return str(int(value))
        return None
    return value if isinstance(value, str) and value else None


def _quoted(text: str, evidence: object) -> tuple[int, int] | None:
    """Where the evidence stands in the text (case and spacing aside); None when it does not."""
    if not isinstance(evidence, str):
        return None
    words = re.findall(r"\S+", evidence)
    if not words or sum(len(w) for w in words) < 2:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    found = re.search(pattern, text, re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def _agree(flow: Flow, found: dict[str, Found]) -> None:
    """A figure and a range that disagree lose the figure; a figure alone gives its range."""
    figure, volume = found.get(MONTHLY_TOKENS), found.get("volume")
    if figure is None:
        return
    if volume is not None and not in_range(volume.answer, int(figure.answer)):
        del found[MONTHLY_TOKENS]
        return
    question = flow.question("volume")
    if volume is None and question is not None:
        option = option_for(question, Figure(value=int(figure.answer)))
        if option is not None:
            found["volume"] = Found(
                answer=option, evidence=figure.evidence, start=figure.start, end=figure.end
            )


async def describe(
    flow: Flow,
    text: str,
    settings: ModelSettings | None,
    *,
    http: aiohttp.ClientSession | None = None,
) -> tuple[Intake, Source]:
    """The model's reading of `text` when one is configured and answers in time, else the
    rules'; and which one it was."""
    if settings is None:
        return extract(flow, text), "rules"
    try:
        raw = await ask_model(settings, flow, text, http=http)
    except (TimeoutError, aiohttp.ClientError, ValueError, KeyError) as exc:
        log.warning(
            "intake model at %s failed (%s): using the rules", settings.host, type(exc).__name__
        )
        return extract(flow, text), "rules"
    except (TypeError, IndexError) as exc:
        log.warning(
            "intake model at %s answered oddly (%s): using the rules",
            settings.host,
            type(exc).__name__,
        )
        return extract(flow, text), "rules"
    return validated(flow, text, raw), "model"
