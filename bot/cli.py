"""`llm-advisor`: chat in the terminal, assess an answers file, check the configuration.

`assess` lives in `bot.assess`; the servers in `bot.server` and `bot.slack.server`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.app import create_advisor, create_store
from bot.assess import add_assess_options, fail, run_assess
from bot.check import run_checks
from bot.console.chat import ConsoleChat, console_key, read_stdin_line
from bot.render import Renderer, create_environment
from bot.server import run_serve
from bot.settings import Settings
from bot.slack.server import run_socket
from bot.teams.package import build_package
from dialogs.errors import AdvisorError, ConfigError, FlowError, StoreUnavailable


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
    add_assess_options(_command(sub, "assess", "assess an answers file without a conversation"))
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
        return fail(["REDIS_URL is not set: there is no shared session store to delete from"])
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
        return fail(["REDIS_URL is not set: there is no shared session store to read from"])
    store = create_store(settings)
    try:
        sessions = await store.sessions_of(platform=platform, workspace=workspace, user=user)
    finally:
        await store.close()
    person = {"platform": platform, "workspace": workspace, "user": user}
    print(json.dumps({**person, "sessions": sessions}, indent=2, sort_keys=True))
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
        return fail(exc.problems)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    try:
        if args.command == "assess":
            return run_assess(settings, args)
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
        return fail(exc.problems)
    except StoreUnavailable as exc:
        return fail([f"the session store is unavailable: {exc}"])
    except AdvisorError as exc:
        return fail([str(exc)])
    except KeyboardInterrupt:
        print("\nBye.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
