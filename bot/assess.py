"""`llm-advisor assess`: one answers file, or several as a team (`--team`), or what a written
description settles (`--describe`), without a chat."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.chart import Chart, render_chart
from bot.intake_model import ModelSettings, describe
from bot.render import Renderer, create_environment
from bot.settings import Settings
from dialogs.answers import AnswerSet, read_answers
from dialogs.assessment import assess, figure_wins
from dialogs.cost import CostAssumptions, load_assumptions
from dialogs.flow import Flow, Question
from dialogs.flow_loader import load_flow
from dialogs.ids import MONTHLY_TOKENS
from dialogs.intake import Intake
from dialogs.team import Member, assess_team

EXIT_USAGE = 2


def add_assess_options(command: argparse.ArgumentParser) -> None:
    files = command.add_mutually_exclusive_group(required=True)
    files.add_argument(
        "--answers",
        metavar="FILE",
        help="JSON object of question id to option id (ids in dialogs/flows/build_vs_buy.yaml), "
        "or - for stdin",
    )
    files.add_argument(
        "--team",
        metavar="FILE",
        nargs="+",
        help="one answers file per team member: the team's consensus, where the members "
        "disagree and whether it matters",
    )
    files.add_argument(
        "--describe",
        metavar="FILE",
        help="a description of your situation in your own words (or - for stdin): the answers "
        "it settles, each with the words it came from, and the questions still open",
    )
    command.add_argument(
        "--names",
        metavar="A,B,C",
        default=None,
        help="with --team: the members' names, in the order of the files (default: the file "
        "names without .json)",
    )
    command.add_argument(
        "--format",
        choices=("json", "markdown"),
        default="json",
        help="json for programs (default) or markdown for people",
    )
    command.add_argument("--partial", action="store_true", help="treat missing answers as skipped")
    command.add_argument(
        "--chart",
        metavar="PATH",
        default=None,
        help="also draw the cost chart as a PNG at PATH (the markdown shows it); none when the "
        "monthly volume is not known",
    )


def fail(problems: Sequence[object], out: TextIO = sys.stderr) -> int:
    for p in problems:
        print(f"error: {p}", file=out)
    return EXIT_USAGE


ANSWERS_SHAPE = 'expected a JSON object of question id to option id, such as {"stage": "live"}'


def _load_answers(path: str) -> tuple[Any, list[str]]:
    """The answers file's JSON, or what keeps it from being read, said so a person can fix it."""
    name = "stdin" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [f"{name} is not UTF-8 text: {ANSWERS_SHAPE}"]
    except OSError as exc:
        return None, [f"cannot read {path}: {exc.strerror or exc}"]
    if not text.strip():
        return None, [f"{name} is empty: {ANSWERS_SHAPE}"]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        return None, [f"{name} is not valid JSON ({exc.msg} at {where}): {ANSWERS_SHAPE}"]


def _remedy(question: Question) -> str:
    ids = ", ".join(o.id for o in question.options)
    return f"use an option id ({ids}) or leave it out with --partial"


def _read_answer_set(flow: Flow, data: Any, *, partial: bool) -> AnswerSet:
    """`read_answers`, saying what to do about a null or a missing answer: which option ids
    would do, or --partial to leave the question unanswered (where a null counts as left out)."""
    if not isinstance(data, dict):
        return read_answers(flow, data, partial=partial)  # its problem says what shape to use
    nulls = [q for k, v in data.items() if v is None and (q := flow.question(str(k))) is not None]
    null_ids = {q.id for q in nulls}
    given = {k: v for k, v in data.items() if str(k) not in null_ids}
    lenient = read_answers(flow, given, partial=True)  # missing answers come back as skipped
    if partial:
        return lenient
    problems = list(lenient.problems)
    # A null typed figure is no figure, which is allowed: only choices need an answer.
    problems += [
        f"{q.id}: no answer given (null); {_remedy(q)}" for q in nulls if q.input == "choice"
    ]
    for qid in lenient.skipped:
        question = flow.question(qid)
        required = question is not None and question.input == "choice" and question.since == 1
        if question is not None and required and qid not in null_ids:
            problems.append(f"{qid}: missing answer ({question.prompt}); {_remedy(question)}")
    if problems:
        return AnswerSet(answers=lenient.answers, skipped=lenient.skipped, problems=tuple(problems))
    return read_answers(flow, given, partial=False)


def _write_chart(costs: CostAssumptions, result: dict[str, Any], path: str) -> Chart | None:
    """Draw the assessment's cost chart to `path`; None (and a warning) when there is none."""
    chart = render_chart(costs, result.get("cost"))
    if chart is None:
        why = "the monthly volume is not known" if not result.get("cost") else "not drawn"
        print(f"warning: no cost chart ({why})", file=sys.stderr)
        return None
    Path(path).write_bytes(chart.png)
    return chart


def _assess(
    settings: Settings, path: str, fmt: str, partial: bool, chart_path: str | None = None
) -> int:
    flow = load_flow(settings.flow_file)
    costs = load_assumptions(settings.cost_assumptions_file)
    data, unreadable = _load_answers(path)
    if unreadable:
        return fail(unreadable)
    answer_set = _read_answer_set(flow, data, partial=partial)
    if answer_set.problems:
        return fail(answer_set.problems)
    _, disagreement = figure_wins(flow, answer_set.answers)
    if disagreement:
        print(f"warning: {disagreement}", file=sys.stderr)
    result = assess(flow, answer_set.answers, skipped=answer_set.skipped, costs=costs)
    try:
        chart = _write_chart(costs, result, chart_path) if chart_path else None
    except OSError as exc:
        return fail([f"--chart {chart_path}: {exc.strerror or exc}"])
    if fmt == "json":
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        renderer = Renderer(env=create_environment(), flow=flow, folder="markdown")
        print(renderer.render("assessment.md.j2", a=result))
        if chart is not None:
            print(renderer.render("chart.md.j2", chart=chart, path=chart_path))
    return 0


def _member_names(paths: Sequence[str], names: str | None) -> tuple[list[str], list[str]]:
    """The members' names, or what is wrong with --names."""
    if names is None:
        found = ["stdin" if p == "-" else Path(p).name.removesuffix(".json") for p in paths]
    else:
        found = [n.strip() for n in names.split(",")]
        if len(found) != len(paths) or not all(found):
            return [], [f"--names gives {len(found)} name(s) for {len(paths)} file(s)"]
    if len(set(found)) != len(found):
        return [], ["two members have the same name: give each one with --names"]
    return found, []


def _assess_team(settings: Settings, args: argparse.Namespace) -> int:
    flow = load_flow(settings.flow_file)
    costs = load_assumptions(settings.cost_assumptions_file)
    paths: list[str] = args.team
    names, problems = _member_names(paths, args.names)
    if paths.count("-") > 1:
        problems.append("only one file can be stdin (-)")
    members: list[Member] = []
    for name, path in zip(names, paths, strict=False):
        data, unreadable = _load_answers(path)
        if unreadable:
            problems += [f"{name}: {p}" for p in unreadable]
            continue
        answer_set = _read_answer_set(flow, data, partial=args.partial)
        problems += [f"{name}: {p}" for p in answer_set.problems]
        members.append(Member(name=name, answers=answer_set.answers))
    if problems:
        return fail(problems)
    result = assess_team(flow, members, costs=costs)
    try:
        chart = _write_chart(costs, result, args.chart) if args.chart else None
    except OSError as exc:
        return fail([f"--chart {args.chart}: {exc.strerror or exc}"])
    if args.format == "json":
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        renderer = Renderer(env=create_environment(), flow=flow, folder="markdown")
        print(renderer.render("team.md.j2", a=result))
        if chart is not None:
            print(renderer.render("chart.md.j2", chart=chart, path=args.chart))
    return 0


def _read_text(path: str) -> tuple[str, list[str]]:
    name = "stdin" if path == "-" else path
    try:
        return (sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")), []
    except UnicodeDecodeError:
        return "", [f"{name} is not UTF-8 text"]
    except OSError as exc:
        return "", [f"cannot read {path}: {exc.strerror or exc}"]


def intake_json(intake: Intake) -> dict[str, Any]:
    """`--describe --format json`: each settled answer (the figure as a number) and its words."""
    extracted = {
        qid: {
            "answer": int(f.answer) if qid == MONTHLY_TOKENS else f.answer,
            "evidence": f.evidence,
        }
        for qid, f in intake.found.items()
    }
    return {"extracted": extracted, "open": list(intake.open)}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def intake_markdown(flow: Flow, intake: Intake) -> str:
    lines = ["## What your description settles", ""]
    if intake.found:
        lines += ["| Question | Answer | From your words |", "|---|---|---|"]
        for question in flow.questions:
            found = intake.found.get(question.id)
            if found is None:
                continue
            answer = (
                f"{int(found.answer):,} tokens a month"
                if question.id == MONTHLY_TOKENS
                else question.label(found.answer)
            )
            lines.append(
                f'| {_cell(question.short)} | {_cell(answer)} | "{_cell(found.evidence)}" |'
            )
    else:
        lines.append("Nothing yet: the description does not settle any question.")
    lines += ["", f"## Still open ({len(intake.open)})", ""]
    lines += [
        f"- {_cell(q.short)}: {_cell(q.prompt)}" for q in flow.questions if q.id in intake.open
    ]
    if intake.conflicts:
        shorts = ", ".join(q.short for q in flow.questions if q.id in intake.conflicts)
        lines += ["", f"The description points two ways on: {shorts}."]
    return "\n".join(lines)


def _describe(settings: Settings, args: argparse.Namespace) -> int:
    extra = [f"--{name} goes with --answers or --team" for name in ("chart",) if args.chart]
    extra += ["--partial goes with --answers or --team"] if args.partial else []
    if extra:
        return fail(extra)
    text, unreadable = _read_text(args.describe)
    if unreadable:
        return fail(unreadable)
    flow = load_flow(settings.flow_file)
    model = None
    if settings.llm_url and settings.llm_model:
        model = ModelSettings(
            url=settings.llm_url, model=settings.llm_model, api_key=settings.llm_api_key
        )
    intake, source = asyncio.run(describe(flow, text, model))
    if model is not None:  # the person is told where their text went, and who read it
        said = "read by the model" if source == "model" else "sent, but the rules read it"
        print(
            f"note: the description was {said} at {model.host} (ADVISOR_LLM_URL)", file=sys.stderr
        )
    if args.format == "json":
        print(json.dumps(intake_json(intake), indent=2, ensure_ascii=False))
    else:
        print(intake_markdown(flow, intake))
    return 0


def run_assess(settings: Settings, args: argparse.Namespace) -> int:
    if args.names is not None and not args.team:
        return fail(["--names goes with --team"])
    if args.describe is not None:
        return _describe(settings, args)
    if args.team:
        return _assess_team(settings, args)
    if args.names is not None:
        return fail(["--names goes with --team"])
    return _assess(settings, args.answers, args.format, args.partial, args.chart)
