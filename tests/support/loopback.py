"""What the test servers share: an aiohttp application on a free 127.0.0.1 port, and
`async with` around their own `start` and `stop`."""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Self

from aiohttp import web

HOST = "127.0.0.1"


class LoopbackServer:
    """Base of the stand-ins and the fault proxy: subclasses define `start` and `stop`
    (`serve` does the binding for aiohttp ones) and say what they are in `what`."""

    what = "the loopback server"
    _port: int | None = None

    async def start(self) -> Self:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def origin(self) -> str:
        if self._port is None:
            raise RuntimeError(f"{self.what} is not started")
        return f"http://{HOST}:{self._port}"

    async def serve(self, app: web.Application) -> web.AppRunner:
        """Run `app` on a free port, bound first so the port is ours before anyone else's."""
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((HOST, 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        return runner
