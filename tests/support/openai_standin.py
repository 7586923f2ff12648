"""A local stand-in for an OpenAI-compatible chat-completions endpoint (the intake's optional
model, issue 16): it records every request and answers with `content`, a status, or after a
delay, as a test sets it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class OpenAIStandIn:
    """Answers POST /v1/chat/completions with `content` (or a status, or after a delay)."""

    content: str = "{}"
    status: int = 200
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": "down"}, status=self.status)
        reply = {"choices": [{"message": {"role": "assistant", "content": self.content}}]}
        return web.json_response(reply)

    @property
    def texts(self) -> list[str]:
        """The person's text of every request, in order."""
        return [str(r["messages"][-1]["content"]) for r in self.requests]


@asynccontextmanager
async def openai_standin() -> AsyncIterator[OpenAIStandIn]:
    server = OpenAIStandIn()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", server.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.url = f"http://{host}:{port}/v1"
    try:
        yield server
    finally:
        await runner.cleanup()


def answers(**items: tuple[object, str]) -> str:
    """A model's reply content: {"answers": {question: {"answer", "evidence"}}}."""
    return json.dumps({"answers": {q: {"answer": a, "evidence": e} for q, (a, e) in items.items()}})
