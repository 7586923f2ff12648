"""The rig that starts `llm-advisor serve` as a real process (serve_rigs.ServeProcess): a port
taken before serve binds it is given up for another free port."""

from __future__ import annotations

import socket

import aiohttp

from tests.bot.serve_rigs import ServeProcess, standin
from tests.support.redis_server import RedisServer
from tests.support.slack_standin import SlackStandIn

__all__ = ["standin"]  # a fixture, used here by name


async def test_serve_starts_again_on_another_port_when_its_port_is_taken(
    standin: SlackStandIn, private_redis: RedisServer
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = ServeProcess(redis_url=private_redis.url, standin=standin, port=port)
        try:
            async with aiohttp.ClientSession() as http:
                await process.ready(http)
                async with http.get(f"{process.url}/readyz") as r:
                    assert r.status == 200
        finally:
            code, err = process.stop()
    assert process.attempts == 2 and process.port != port
    assert code == 0, err
