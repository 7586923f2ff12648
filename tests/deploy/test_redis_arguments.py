"""The Redis arguments of compose.yaml and the StatefulSet, given to a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import DEPLOY, KUBERNETES
from tests.support.redis_server import free_port


def compose_arguments() -> list[str]:
    command: list[str] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["redis"][
        "command"
    ]
    assert command[0] == "redis-server"
    return command[1:]


def statefulset_arguments() -> list[str]:
    (statefulset,) = yaml.safe_load_all((KUBERNETES / "redis-statefulset.yaml").read_text())
    args: list[str] = statefulset["spec"]["template"]["spec"]["containers"][0]["args"]
    return args


def ask(port: int, *command: str) -> str:
    """One command over RESP; the reply as text (enough for CONFIG GET and PING)."""
    payload = f"*{len(command)}\r\n" + "".join(f"${len(c)}\r\n{c}\r\n" for c in command)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(payload.encode())
        time.sleep(0.05)
        return conn.recv(4096).decode()


@pytest.mark.parametrize(
    "arguments", [compose_arguments, statefulset_arguments], ids=["compose", "kubernetes"]
)
def test_redis_accepts_the_arguments(arguments: Callable[[], list[str]], tmp_path: Path) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/test installs it with apt-get)")
    # The same arguments, but on a free loopback port and in this test's folder (Redis applies
    # them in order and checks --dir at once, so it is replaced rather than repeated).
    args = arguments()
    if "--dir" in args:
        args[args.index("--dir") + 1] = str(tmp_path)
    else:
        args += ["--dir", str(tmp_path)]
    args += ["--port", str(port := free_port()), "--bind", "127.0.0.1"]
    args += ["--logfile", str(tmp_path / "redis.log")]
    process = subprocess.Popen([binary, *args], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, (tmp_path / "redis.log").read_text()
            try:
                if "PONG" in ask(port, "PING"):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not answer"
            time.sleep(0.05)
        assert "yes" in ask(port, "CONFIG", "GET", "appendonly")
        assert "everysec" in ask(port, "CONFIG", "GET", "appendfsync")
        assert "noeviction" in ask(port, "CONFIG", "GET", "maxmemory-policy")
        assert ask(port, "SET", "k", "v").startswith("+OK")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "appendonlydir").is_dir() or (tmp_path / "appendonly.aof").is_file()
