"""Start and stop private redis-server processes for tests (never the machine's shared 6379).

`RedisServer` also serves as a Cluster node or a replica (through `extra` arguments), and
`RedisSentinel` runs redis-server in Sentinel mode; tests/support/redis_topologies.py puts them
together into a Cluster and a Sentinel-managed primary.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def redis_cli_binary() -> str | None:
    return shutil.which("redis-cli")


def command(port: int, *args: str, timeout: float = 2.0) -> object:
    """One command to a local server or sentinel, decoded; errors come back as exceptions."""
    client = redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        decode_responses=True,
    )
    try:
        return client.execute_command(*args)  # type: ignore[no-untyped-call]
    finally:
        client.close()


@dataclass
class RedisServer:
    """A redis-server on a free loopback port, with append-only persistence in its own folder."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    appendonly: bool = True
    extra: tuple[str, ...] = ()  # e.g. cluster or replica settings, as "--name", "value" pairs

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def argv(self, binary: str) -> list[str]:
        return [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--protected-mode",
            "no",
            "--logfile",
            str(self.directory / "redis.log"),
            *self.extra,
        ]

    def start(self) -> Self:
        binary = redis_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed; run scripts/test, which installs it")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.argv(binary),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server on port {self.port} exited; see {self.directory}/*.log"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """kill -9: no chance to flush anything that was not already on disk."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def pause(self) -> None:
        """SIGSTOP: the port stays open but nothing answers, like a hung server."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)


@dataclass
class RedisSentinel(RedisServer):
    """redis-server in Sentinel mode, watching one primary under `master_name` (quorum 1).

    Short timings so a failover completes in a few seconds: the primary counts as down after
    `down_after_ms` without an answer, and a failover that stalls is retried after
    `failover_timeout_ms`. Sentinel rewrites its config file, so it lives in `directory`.
    """

    master_name: str = "advisor"
    primary_port: int = 0
    down_after_ms: int = 1000
    failover_timeout_ms: int = 3000

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.port}/{self.master_name}"

    def argv(self, binary: str) -> list[str]:
        config = self.directory / "sentinel.conf"
        if not config.exists():  # on a restart, keep what Sentinel learnt (the current primary)
            name = self.master_name
            config.write_text(
                "\n".join(
                    [
                        f"port {self.port}",
                        "bind 127.0.0.1",
                        f"dir {self.directory}",
                        f"logfile {self.directory / 'sentinel.log'}",
                        f"sentinel monitor {name} 127.0.0.1 {self.primary_port} 1",
                        f"sentinel down-after-milliseconds {name} {self.down_after_ms}",
                        f"sentinel failover-timeout {name} {self.failover_timeout_ms}",
                        f"sentinel parallel-syncs {name} 4",
                        "",
                    ]
                )
            )
        return [binary, str(config), "--sentinel"]
