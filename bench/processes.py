"""Server processes a benchmark starts and measures: their CPU time, their logs, a sampler.

Linux only: CPU time comes from /proc/<pid>/stat (utime + stime, every thread of the process,
in clock ticks), the way `ps` and `top` read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

import aiohttp

from bench.common import BenchError
from tests.support.slack_standin import PROXY_ENV_VARS

CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
READY_SECONDS: Final = 60.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid` so far, all its threads."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        text = handle.read()
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = text.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time every core of the machine spent busy so far, all processes (/proc/stat)."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(n) for n in handle.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


async def quiet(pids: list[int], *, share: float, timeout_seconds: float) -> float:
    """Wait until the processes other than `pids` and this one use less than `share` of a CPU
    (over half a second), for at most `timeout_seconds`; returns their last share."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        machine, ours = machine_busy_seconds(), time.process_time()
        ours += sum(cpu_seconds(pid) for pid in pids)
        began = time.perf_counter()
        await asyncio.sleep(0.5)
        ours = time.process_time() + sum(cpu_seconds(pid) for pid in pids) - ours
        others = max(0.0, machine_busy_seconds() - machine - ours)
        others /= time.perf_counter() - began
        if others < share or time.monotonic() >= deadline:
            return others


def rss_megabytes(pid: int) -> float:
    """Resident memory of process `pid` (VmRSS)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread of process `pid` onto `cpus`; threads it starts later inherit the mask."""
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(task), cpus)


def inherited_env(dropped_prefixes: tuple[str, ...]) -> dict[str, str]:
    """This process's environment for a server, less the proxy variables (the servers talk to
    stand-ins on loopback) and the variables starting with `dropped_prefixes` (the advisor's
    own, which a developer's shell may carry: a server gets only the benchmark's)."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in PROXY_ENV_VARS and not k.startswith(dropped_prefixes)
    }


@dataclass(frozen=True)
class Placement:
    """Which CPUs the servers run on, and which the driver, redis-server and py-spy share."""

    servers: set[int]
    others: set[int]

    @classmethod
    def choose(cls, enabled: bool) -> Placement | None:
        cpus = sorted(os.sched_getaffinity(0))
        return cls({cpus[-1]}, set(cpus[:-1])) if enabled and len(cpus) > 1 else None

    def describe(self) -> str:
        return f"servers pinned to CPU {sorted(self.servers)}, the rest to {sorted(self.others)}"

    def pin_driver(self, redis_pid: int | None) -> None:
        """This process (the driver) and redis-server (when the benchmark started it) onto
        the CPUs the servers do not use."""
        pin(os.getpid(), self.others)
        if redis_pid is not None:
            pin(redis_pid, self.others)


async def quiet_within(pids: list[int], *, share: float, seconds: float, left: float) -> float:
    """`quiet`, waiting at most `seconds` and at most what is `left` of a run's budget for
    waiting; returns what is left of it afterwards."""
    began = time.monotonic()
    await quiet(pids, share=share, timeout_seconds=min(seconds, left))
    return max(0.0, left - (time.monotonic() - began))


def venv_tool(name: str) -> str | None:
    """A console script installed next to this interpreter (the project's venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


@dataclass
class ServerProcess:
    """A server the benchmark runs as users run it: its own process, its output in a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: BinaryIO | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        if self.process is None:
            raise BenchError(f"{self.name} is not running")
        return self.process.pid

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        log = self.log_path.open("wb")
        self._log = log
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    async def ready(self, path: str) -> None:
        """Wait until GET `path` answers 200 (or fail with the end of the server's output)."""
        deadline = time.monotonic() + READY_SECONDS
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    raise BenchError(f"{self.name} exited during start-up:\n{self.log_tail()}")
                try:
                    async with http.get(self.url(path)) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise BenchError(f"{self.name} was not ready in {READY_SECONDS:.0f}s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def rss_megabytes(self) -> float:
        return rss_megabytes(self.pid)

    def stop(self, timeout_seconds: float = 30.0) -> int | None:
        """SIGTERM, as an orchestrator stops it; SIGKILL after `timeout_seconds`. Its exit code."""
        process, self.process = self.process, None
        code: int | None = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=timeout_seconds)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            code = process.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_lines()[-lines:])


@dataclass
class Sampler:
    """py-spy sampling one process's Python stacks into a raw (collapsed) stack file.

    Attached by pid and stopped with SIGINT, as at a terminal; --nonblocking, so the target is
    never paused (at the price of a rare torn stack); idle threads are not sampled, so samples
    count CPU time, roughly.
    """

    binary: str
    pid: int
    output: Path
    rate: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start sampling (py-spy takes about a second to attach: see `attached`)."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "record",
                "--pid",
                str(self.pid),
                "--rate",
                str(self.rate),
                "--format",
                "raw",
                "--full-filenames",
                "--nonblocking",
                "--output",
                str(self.output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    async def attached(self) -> None:
        await asyncio.sleep(1.0)
        if self.process is not None and self.process.poll() is not None:
            error = self.process.stderr.read().decode() if self.process.stderr else ""
            raise BenchError(f"py-spy could not sample pid {self.pid}: {error[:500]}")

    async def stop(self) -> Path:
        process, self.process = self.process, None
        if process is None:
            raise BenchError("py-spy was not started")
        process.send_signal(signal.SIGINT)
        _, error = await asyncio.to_thread(process.communicate, None, 60)
        if not self.output.exists():
            raise BenchError(f"py-spy wrote no profile: {error.decode()[:500]}")
        return self.output


async def launch(server: ServerProcess, ready_path: str, place: Placement | None) -> None:
    """Start `server` and wait until GET `ready_path` answers, its threads on the servers' CPUs
    (pinned at start, and again once ready for the threads it started meanwhile)."""
    server.start()
    if place is not None:
        pin(server.pid, place.servers)
    await server.ready(ready_path)
    if place is not None:
        pin(server.pid, place.servers)
