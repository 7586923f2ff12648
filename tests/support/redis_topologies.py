"""Redis as users run it, for tests: a three-master Cluster and a Sentinel-managed primary.

Each topology runs the real redis-server on free loopback ports, every process in its own
folder with append-only persistence, and stops cleanly. The session-scoped fixtures below start
each topology once per test session; test modules load them with
`pytest_plugins = ["tests.support.redis_topologies"]`. Where the binaries are missing the
fixtures skip, saying which one.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from tests.support.redis_server import (
    RedisSentinel,
    RedisServer,
    command,
    free_port,
    redis_binary,
    redis_cli_binary,
)

# A replica starts its full sync at once instead of waiting 5 s for other replicas to join.
REPLICATION = ("--repl-diskless-sync-delay", "0")


def missing_binaries(*, cli: bool) -> str | None:
    """Why a topology cannot start here, or None."""
    if redis_binary() is None:
        return "redis-server is not installed (scripts/test installs it)"
    if cli and redis_cli_binary() is None:
        return "redis-cli is not installed (it creates the Cluster: redis-cli --cluster create)"
    return None


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `check` (connection errors count as "not yet") until true or `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (redis.RedisError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def fields(text: object) -> dict[str, str]:
    """`name:value` lines (CLUSTER INFO), or redis-py's parsed INFO, as strings."""
    if isinstance(text, dict):
        return {str(k): str(v) for k, v in text.items()}
    pairs = (line.split(":", 1) for line in str(text).splitlines() if ":" in line)
    return {k: v.strip() for k, v in pairs}


def info(port: int, section: str) -> dict[str, str]:
    return fields(command(port, "INFO", section))


@dataclass
class LocalCluster:
    """Three masters, no replicas, all 16384 slots assigned by `redis-cli --cluster create`."""

    directory: Path
    masters: int = 3
    nodes: list[RedisServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self) -> LocalCluster:
        try:
            for i in range(self.masters):
                node = RedisServer(
                    directory=self.directory / f"node{i}",
                    extra=(
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "2000",
                        "--cluster-port",  # the bus port, so port + 10000 need not be free
                        str(free_port()),
                    ),
                )
                self.nodes.append(node.start())
            create = subprocess.run(
                [
                    str(redis_cli_binary()),
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{n.port}" for n in self.nodes),
                    "--cluster-replicas",
                    "0",
                    "--cluster-yes",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            if create.returncode != 0:
                raise RuntimeError(f"redis-cli --cluster create failed:\n{create.stdout}")
            wait_until(
                lambda: all(self.state(n) == "ok" for n in self.nodes),
                timeout=15,
                what="cluster_state:ok on every node",
            )
        except BaseException:
            self.stop()
            raise
        return self

    def state(self, node: RedisServer) -> str:
        """cluster_state as `node` sees it."""
        return fields(command(node.port, "CLUSTER", "INFO")).get("cluster_state", "")

    def node_of(self, key: str) -> RedisServer:
        """The master that serves `key`'s slot."""
        slot = int(str(command(self.nodes[0].port, "CLUSTER", "KEYSLOT", key)))
        slots = cast(list[list[Any]], command(self.nodes[0].port, "CLUSTER", "SLOTS"))
        for first, last, primary, *_ in slots:
            if first <= slot <= last:
                port = int(primary[1])
                return next(n for n in self.nodes if n.port == port)
        raise LookupError(f"no master serves slot {slot}")

    def keys_on(self, node: RedisServer, pattern: str) -> set[str]:
        client = redis.Redis(port=node.port, decode_responses=True, socket_timeout=2)
        try:
            return {str(k) for k in client.scan_iter(match=pattern, count=1000)}
        finally:
            client.close()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@dataclass
class LocalSentinel:
    """A primary, `replicas` replicas and one sentinel (quorum 1) that fails over in seconds."""

    directory: Path
    replicas: int = 1
    master_name: str = "advisor"
    nodes: list[RedisServer] = field(default_factory=list)  # nodes[0] started as the primary
    sentinel: RedisSentinel | None = None

    @property
    def url(self) -> str:
        assert self.sentinel is not None
        return self.sentinel.url

    def start(self) -> LocalSentinel:
        try:
            primary = RedisServer(directory=self.directory / "node0", extra=REPLICATION).start()
            self.nodes.append(primary)
            for i in range(1, self.replicas + 1):
                replica = RedisServer(
                    directory=self.directory / f"node{i}",
                    extra=(*REPLICATION, "--replicaof", "127.0.0.1", str(primary.port)),
                )
                self.nodes.append(replica.start())
            wait_until(
                lambda: all(
                    info(r.port, "replication").get("master_link_status") == "up"
                    for r in self.nodes[1:]
                ),
                timeout=15,
                what="every replica's link to the primary",
            )
            self.sentinel = RedisSentinel(
                directory=self.directory / "sentinel",
                primary_port=primary.port,
                master_name=self.master_name,
            ).start()
            self.wait_for_replicas(self.replicas, timeout=15)
        except BaseException:
            self.stop()
            raise
        return self

    def ask(self, *args: str) -> object:
        assert self.sentinel is not None
        return command(self.sentinel.port, "SENTINEL", *args)

    def primary_port(self) -> int:
        address = self.ask("GET-MASTER-ADDR-BY-NAME", self.master_name)
        return int(cast(list[str], address)[1])

    def role(self, port: int) -> tuple[str, str]:
        """The node's role and, for a replica, its link to the primary ("up" once synced)."""
        found = info(port, "replication")
        return found.get("role", ""), found.get("master_link_status", "")

    def node(self, port: int) -> RedisServer:
        return next(n for n in self.nodes if n.port == port)

    def healthy_replicas(self) -> int:
        """Replicas Sentinel sees as up, linked to the primary, and so fit to be promoted."""
        found = cast(list[dict[str, str]], self.ask("REPLICAS", self.master_name))
        return len([r for r in found if r["flags"] == "slave" and r["master-link-status"] == "ok"])

    def wait_for_replicas(self, count: int, *, timeout: float) -> None:
        wait_until(
            lambda: self.healthy_replicas() >= count,
            timeout=timeout,
            what=f"Sentinel to see {count} healthy replica(s)",
        )

    def stop(self) -> None:
        if self.sentinel is not None:
            self.sentinel.stop()
        for node in self.nodes:
            node.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """One three-master Cluster for the whole test session."""
    reason = missing_binaries(cli=True)
    if reason:
        pytest.skip(reason)
    cluster = LocalCluster(directory=tmp_path_factory.mktemp("redis-cluster")).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSentinel]:
    """One Sentinel-managed primary with one replica for the whole test session (tests that
    fail it over start their own)."""
    reason = missing_binaries(cli=False)
    if reason:
        pytest.skip(reason)
    topology = LocalSentinel(directory=tmp_path_factory.mktemp("redis-sentinel")).start()
    try:
        yield topology
    finally:
        topology.stop()


@pytest.fixture
def start_sentinel(tmp_path: Path) -> Iterator[Callable[[int], LocalSentinel]]:
    """Start a Sentinel topology of the test's own (to fail over, kill, restart): call it with
    the number of replicas; everything it started is stopped after the test."""
    reason = missing_binaries(cli=False)
    if reason:
        pytest.skip(reason)
    started: list[LocalSentinel] = []

    def start(replicas: int) -> LocalSentinel:
        topology = LocalSentinel(directory=tmp_path / f"sentinel{len(started)}", replicas=replicas)
        started.append(topology)
        return topology.start()

    try:
        yield start
    finally:
        for topology in started:
            topology.stop()
