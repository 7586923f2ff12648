"""`llm-advisor`: chat in the terminal, assess an answers file, check the configuration."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TextIO

from bot.app import create_advisor, create_store
from bot.chart import Chart, render_chart
from bot.check import run_checks
from bot.console.chat import ConsoleChat, console_key, read_stdin_line
from bot.render import Renderer, create_environment
from bot.server import run_serve
from bot.settings import Settings
from bot.slack.server import run_socket
from bot.teams.package import build_package
from dialogs.answers import AnswerSet, read_answers
from dialogs.assessment import assess, figure_wins
from dialogs.cost import CostAssumptions, load_assumptions
from dialogs.errors import AdvisorError, ConfigError, FlowError, StoreUnavailable
from dialogs.flow import Flow, Question
from dialogs.flow_loader import load_flow

EXIT_USAGE = 2


def _version() -> str:
    try:
        return version("llm-advisor")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str
) -> argparse.ArgumentParser:
    """A sub-command whose one-line summary shows in the list and heads its own --help."""
    return sub.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".")


def _listen_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 for every "
        "interface, as in a container; Teams dev mode refuses anything but loopback)",
    )
    command.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="PORT",
        help="serve GET /metrics on this port (same --host) instead of the main port "
        "(default: ADVISOR_METRICS_PORT, or the main port)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llm-advisor",
        description="Should you build your own LLM, or use a hosted one? A guided assessment. "
        "With no command, chat in the terminal.",
        epilog="Run llm-advisor COMMAND --help for a command's options.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_version()}", help="print the version"
    )
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    chat = _command(sub, "chat", "walk through the assessment in the terminal")
    chat.add_argument("--session", default="default", help="session name; resume it later by name")
    assess_p = _command(sub, "assess", "assess an answers file without a conversation")
    assess_p.add_argument(
        "--answers",
        required=True,
        metavar="FILE",
        help="JSON object of question id to option id (ids in dialogs/flows/build_vs_buy.yaml), "
        "or - for stdin",
    )
    assess_p.add_argument(
        "--format",
        choices=("json", "markdown"),
        default="json",
        help="json for programs (default) or markdown for people",
    )
    assess_p.add_argument("--partial", action="store_true", help="treat missing answers as skipped")
    assess_p.add_argument(
        "--chart",
        metavar="PATH",
        default=None,
        help="also draw the cost chart as a PNG at PATH (the markdown shows it); none when the "
        "monthly volume is not known",
    )
    _command(sub, "check", "validate the flow, templates and settings, and ping Redis")
    admin = _command(sub, "admin", "operator commands")
    admin_sub = admin.add_subparsers(
        dest="admin_command", required=True, title="commands", metavar="COMMAND"
    )
    forget = _command(admin_sub, "forget", "delete one person's sessions in a workspace")
    export = _command(admin_sub, "export", "print one person's stored sessions as JSON")
    for person in (forget, export):
        person.add_argument("--user", required=True, help="the person's id on the platform")
        person.add_argument("--workspace", required=True, help="Slack team id or Teams tenant id")
        person.add_argument(
            "--platform",
            choices=("slack", "teams", "console"),
            default="slack",
            help="default: slack",
        )
    slack = _command(
        sub, "slack", "serve only the Slack app, as serve does (or over Socket Mode with --socket)"
    )
    slack.add_argument("--port", type=int, default=3000, help="HTTP port for POST /slack/events")
    _listen_options(slack)
    slack.add_argument("--socket", action="store_true", help="connect over Socket Mode instead")
    serve = _command(sub, "serve", "serve Slack and Teams on one port, with health and metrics")
    serve.add_argument("--port", type=int, default=8080, help="HTTP port")
    _listen_options(serve)
    serve.add_argument(
        "--slack-socket", action="store_true", help="also connect Slack over Socket Mode"
    )
    serve.add_argument(
        "--teams-dev", action="store_true", help="accept unauthenticated Teams requests (testing)"
    )
    teams = _command(sub, "teams", "serve only the Teams bot (POST /api/messages), as serve does")
    teams.add_argument("--port", type=int, default=3978, help="HTTP port")
    _listen_options(teams)
    teams.add_argument(
        "--dev", action="store_true", help="accept unauthenticated requests (local testing only)"
    )
    package = _command(sub, "teams-package", "build the Teams app package (zip)")
    package.add_argument("--app-id", required=True, help="the bot's Microsoft app id")
    package.add_argument("--out", required=True, help="where to write the .zip")
    package.add_argument(
        "--source", default="deploy/teams", help="folder with manifest.json and icons"
    )
    return parser


def _fail(problems: Sequence[object], out: TextIO = sys.stderr) -> int:
    for p in problems:
        print(f"error: {p}", file=out)
    return EXIT_USAGE


async def _chat(settings: Settings, session: str) -> int:
    advisor = create_advisor(settings)
    renderer = Renderer(env=create_environment(), flow=advisor.flow, folder="console")
    chat = ConsoleChat(
        advisor=advisor,
        renderer=renderer,
        key=console_key(session),
        read_line=read_stdin_line,
        write=print,
        persistent=settings.redis_url is not None,
    )
    try:
        return await chat.run()
    finally:
        await advisor.store.close()


async def _slack_socket(settings: Settings) -> int:
    """Slack over Socket Mode: no HTTP endpoint, so nothing for health checks to call."""
    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    advisor = create_advisor(settings)
    try:
        await run_socket(settings, advisor)
    finally:
        await advisor.store.close()
    return 0


async def _admin_forget(settings: Settings, platform: str, workspace: str, user: str) -> int:
    if settings.redis_url is None:
        return _fail(["REDIS_URL is not set: there is no shared session store to delete from"])
    store = create_store(settings)
    try:
        count = await store.forget(platform=platform, workspace=workspace, user=user)
    finally:
        await store.close()
    print(f"deleted {count} session(s) of {platform} user {user} in {workspace}")
    return 0


async def _admin_export(settings: Settings, platform: str, workspace: str, user: str) -> int:
    """Every stored session of the person, as one JSON document on stdout (data rights)."""
    if settings.redis_url is None:
        return _fail(["REDIS_URL is not set: there is no shared session store to read from"])
    store = create_store(settings)
    try:
        sessions = await store.sessions_of(platform=platform, workspace=workspace, user=user)
    finally:
        await store.close()
    person = {"platform": platform, "workspace": workspace, "user": user}
    print(json.dumps({**person, "sessions": sessions}, indent=2, sort_keys=True))
    return 0


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
        return _fail(unreadable)
    answer_set = _read_answer_set(flow, data, partial=partial)
    if answer_set.problems:
        return _fail(answer_set.problems)
    _, disagreement = figure_wins(flow, answer_set.answers)
    if disagreement:
        print(f"warning: {disagreement}", file=sys.stderr)
    result = assess(flow, answer_set.answers, skipped=answer_set.skipped, costs=costs)
    try:
        chart = _write_chart(costs, result, chart_path) if chart_path else None
    except OSError as exc:
        return _fail([f"--chart {chart_path}: {exc.strerror or exc}"])
    if fmt == "json":
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        renderer = Renderer(env=create_environment(), flow=flow, folder="markdown")
        print(renderer.render("assessment.md.j2", a=result))
        if chart is not None:
            print(renderer.render("chart.md.j2", chart=chart, path=chart_path))
    return 0


async def _check(env: dict[str, str] | None = None) -> int:
    problems, notes = await run_checks(env)
    for note in notes:
        print(note)
    for p in problems:
        print(f"problem: {p}")
    print("all sound" if not problems else f"{len(problems)} problem(s) found")
    return 0 if not problems else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        args = build_parser().parse_args(["chat", *(argv or [])])
    if args.command == "check":
        return asyncio.run(_check())
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        return _fail(exc.problems)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    try:
        if args.command == "assess":
            return _assess(settings, args.answers, args.format, args.partial, args.chart)
        if args.command == "serve":
            return asyncio.run(
                run_serve(
                    settings,
                    host=args.host,
                    port=args.port,
                    slack_socket=args.slack_socket,
                    teams_dev=args.teams_dev,
                    metrics_port=args.metrics_port,
                )
            )
        if args.command == "admin":
            admin_command = _admin_export if args.admin_command == "export" else _admin_forget
            return asyncio.run(admin_command(settings, args.platform, args.workspace, args.user))
        if args.command == "teams-package":
            manifest = build_package(
                source=Path(args.source), app_id=args.app_id, out=Path(args.out)
            )
            print(f"wrote {args.out} ({manifest['name']['short']} {manifest['version']})")
            return 0
        if args.command == "teams":
            return asyncio.run(
                run_serve(
                    settings,
                    host=args.host,
                    port=args.port,
                    teams_dev=args.dev,
                    only="teams",
                    metrics_port=args.metrics_port,
                )
            )
        if args.command == "slack":
            if args.socket:
                return asyncio.run(_slack_socket(settings))
            return asyncio.run(
                run_serve(
                    settings,
                    host=args.host,
                    port=args.port,
                    only="slack",
                    metrics_port=args.metrics_port,
                )
            )
        return asyncio.run(_chat(settings, args.session))
    except (FlowError, ConfigError) as exc:
        return _fail(exc.problems)
    except StoreUnavailable as exc:
        return _fail([f"the session store is unavailable: {exc}"])
    except AdvisorError as exc:
        return _fail([str(exc)])
    except KeyboardInterrupt:
        print("\nBye.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
