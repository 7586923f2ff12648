"""How a bare app the benchmarks measure the advisor against runs in its own process: served as
`llm-advisor serve` serves, until it is told to stop. Imports little, so a bare process holds
no more than its app needs."""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web

from bot.lifecycle import settle_heap


async def serve_until_stopped(web_app: web.Application, port: int, banner: str) -> None:
    """An aiohttp AppRunner without access log, the heap settled once built, on
    127.0.0.1:`port` until SIGTERM or SIGINT. `banner` goes to stderr once it listens."""
    runner = web.AppRunner(web_app, handle_signals=False, access_log=None)
    await runner.setup()
    settle_heap()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(banner, file=sys.stderr, flush=True)
    await stop.wait()
    await runner.cleanup()
