"""CPU time from /proc, and the server process wrapper the Slack benchmark runs servers in."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bench.processes import ServerProcess, cpu_seconds, machine_busy_seconds, pin
from tests.support.redis_server import free_port


def test_cpu_time_of_a_process_grows_as_it_works() -> None:
    before, machine = cpu_seconds(os.getpid()), machine_busy_seconds()
    deadline = time.process_time() + 0.1
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.05
    assert machine_busy_seconds() - machine >= 0.05


async def test_a_server_process_starts_answers_and_stops(tmp_path: Path) -> None:
    port = free_port()
    server = ServerProcess(
        "http",
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        dict(os.environ),
        port,
        tmp_path / "http.log",
    )
    server.start()
    try:
        pin(server.pid, os.sched_getaffinity(0))
        await server.ready("/")
        assert server.cpu_seconds() >= 0.0
        assert server.rss_megabytes() > 1
    finally:
        code = server.stop()
    assert code is not None
    assert any("GET /" in line for line in server.log_lines())
