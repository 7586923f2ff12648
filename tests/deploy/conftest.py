"""The deployment tests run offline: in-process code may reach loopback and Unix sockets only.

The external tools (hadolint, docker-compose, kubectl) run in a network namespace of their own
where `unshare -n` works (see support.run_offline).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise OSError(f"tests/deploy must not reach {host}: it runs offline")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
