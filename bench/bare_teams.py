"""The bare Teams bot the Teams benchmark measures the advisor against, in its own process.

    python -m bench.bare_teams --sdk botbuilder|agents --port N --payloads FILE

The least a bot of that SDK can do per click with the advisor's connector calls: update the
replied-to card and send one card (bench.teams_sides.BareBot on botbuilder's CloudAdapter,
bench.teams_agents_sides on the Agents SDK's AgentApplication), each served the way its SDK's
samples serve one, in dev mode (no credentials), with the SDK's own per-turn clients. It sends
the advisor's own answered and question cards (FILE: {"answered": {...}, "question": {...}},
captured from the advisor), so both sides send the same bytes per call.

Around it, as `llm-advisor serve` has it: an aiohttp AppRunner without access log, the library
loggers at the level in force, the heap settled once built. GET /healthz answers when it is up.
It writes no log lines: serve's per-turn JSON line is the advisor's work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.teams_sides import BareCards, bare_application
from bot.lifecycle import settle_heap
from bot.observe import set_library_levels
from bot.settings import Settings

HEALTH_PATH = "/healthz"


def bare_web_application(sdk: str, payloads: dict[str, Any]) -> web.Application:
    cards = BareCards(question=payloads["question"], answered=payloads["answered"])
    if sdk == "agents":
        from bench.teams_agents_sides import bare_agents_application  # noqa: PLC0415
        from bot.teams_agents.server import QUIET_LOGGERS  # noqa: PLC0415

        # The SDK warns on every turn of a dev-mode bot (a user-token client without an app
        # id); serve quiets those loggers, and so does this, so neither pays for the lines.
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        web_app = bare_agents_application(cards)
    else:
        web_app = bare_application(cards)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app.router.add_get(HEALTH_PATH, health)
    return web_app


async def serve(sdk: str, port: int, payloads: dict[str, Any]) -> None:
    set_library_levels(Settings.from_env().log_level)
    runner = web.AppRunner(
        bare_web_application(sdk, payloads), handle_signals=False, access_log=None
    )
    await runner.setup()
    settle_heap()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"bare {sdk} Teams bot on port {port}", file=sys.stderr, flush=True)
    await stop.wait()
    await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_teams", description=__doc__)
    parser.add_argument("--sdk", choices=("botbuilder", "agents"), default="botbuilder")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payloads", type=Path, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.sdk, args.port, json.loads(args.payloads.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
