"""Validate an answers file for `llm-advisor assess`: every problem, each naming its question."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dialogs.commands import parse_tokens
from dialogs.flow import Flow
from dialogs.ids import MONTHLY_TOKENS


@dataclass(frozen=True, kw_only=True)
class AnswerSet:
    answers: dict[str, str]
    skipped: tuple[str, ...]
    problems: tuple[str, ...]


def read_answers(flow: Flow, data: Any, *, partial: bool) -> AnswerSet:
    if not isinstance(data, Mapping):
        return AnswerSet(
            answers={},
            skipped=(),
            problems=("the answers must be a JSON object of question id to option id",),
        )
    problems: list[str] = []
    answers: dict[str, str] = {}
    for qid, value in data.items():
        question = flow.question(str(qid))
        if question is None:
            problems.append(
                f"{qid}: unknown question (known: {', '.join(q.id for q in flow.questions)})"
            )
            continue
        if question.input == "number":
            tokens = (
                parse_tokens(str(value))
                if isinstance(value, int | float | str) and not isinstance(value, bool)
                else None
            )
            if tokens is None:
                problems.append(
                    f"{qid}: {value!r} is not a number of tokens (for example 350M, 2B, 1.5e9)"
                )
            else:
                answers[question.id] = str(tokens)
            continue
        if not isinstance(value, str) or question.option(value) is None:
            valid = ", ".join(o.id for o in question.options)
            problems.append(f"{qid}: unknown option {value!r} (valid: {valid})")
            continue
        answers[question.id] = value
    skipped: list[str] = []
    for question in flow.applicable(answers):
        if question.id in answers or question.id in data:
            continue
        if question.input == "number" or partial:
            skipped.append(question.id)
        elif question.since == 1:
            problems.append(f"{question.id}: missing answer ({question.prompt})")
        # A question newer than the file's framework version takes its neutral default
        # (rule 10); the assessment reports it under `assumed`.
    if MONTHLY_TOKENS in skipped and not partial:
        skipped.remove(MONTHLY_TOKENS)
    return AnswerSet(answers=answers, skipped=tuple(skipped), problems=tuple(problems))
