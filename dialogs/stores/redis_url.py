"""Reading REDIS_URL: a single server, a Sentinel-managed primary, or a Cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import SplitResult, parse_qs, unquote, urlencode, urlsplit

from redis.asyncio.connection import URL_QUERY_ARGUMENT_PARSERS, parse_url

Topology = Literal["standalone", "sentinel", "cluster"]
_SCHEMES: dict[str, tuple[Topology, bool]] = {
    "redis": ("standalone", False),
    "rediss": ("standalone", True),
    "unix": ("standalone", False),
    "redis+sentinel": ("sentinel", False),
    "rediss+sentinel": ("sentinel", True),
    "redis+cluster": ("cluster", False),
    "rediss+cluster": ("cluster", True),
}
SCHEMES_TEXT = (
    "redis://, rediss://, unix://, redis+sentinel://, rediss+sentinel://, "
    "redis+cluster:// or rediss+cluster://"
)
_TLS_OPTIONS = (
    "ssl_ca_certs",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_cert_reqs",
    "ssl_check_hostname",
)
_STANDALONE_OPTIONS = {*URL_QUERY_ARGUMENT_PARSERS, *_TLS_OPTIONS, "client_name", "wait_replicas"}
_OPTIONS: dict[Topology, set[str]] = {
    "standalone": _STANDALONE_OPTIONS,
    "sentinel": {*_TLS_OPTIONS, "wait_replicas", "sentinel_username", "sentinel_password"},
    "cluster": {*_TLS_OPTIONS},
}


@dataclass(frozen=True, kw_only=True)
class RedisTarget:
    """What a REDIS_URL names: where Redis is, how to authenticate, how sure a write must be.

    `wait_replicas`: a commit is acknowledged only once that many replicas hold it (WAIT), so
    a failover cannot take back an answer the person was told was kept. Sentinel URLs default
    to 1; the other forms to 0 (a Cluster's replication stays asynchronous).
    """

    topology: Topology
    tls: bool
    url: str = ""  # the single-server URL handed to redis-py, without our own options
    nodes: tuple[tuple[str, int], ...] = ()
    master: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_username: str | None = None
    sentinel_password: str | None = None
    tls_options: Mapping[str, str | bool] = field(default_factory=dict)
    wait_replicas: int = 0


def _host_port(entry: str, default_port: int) -> tuple[str, int]:
    if not entry:
        raise ValueError("has an empty entry in its list of hosts")
    if entry.startswith("["):
        host, _, tail = entry[1:].partition("]")
        if tail and not tail.startswith(":"):
            raise ValueError(f"has a malformed host {entry!r}")
        port_text = tail[1:]
    elif entry.count(":") > 1:
        raise ValueError(f"has a malformed host {entry!r} (put IPv6 addresses in [brackets])")
    else:
        host, _, port_text = entry.partition(":")
    if not host:
        raise ValueError(f"has a host entry {entry!r} without a host name")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"has port {port_text!r} in {entry!r}: must be a number from 1 to 65535")
    return host, int(port_text)


def _whole(name: str, text: str, high: int) -> int:
    if not text.isdigit() or int(text) > high:
        raise ValueError(f"has {name} {text!r}: must be a whole number from 0 to {high}")
    return int(text)


def _query(query: str, topology: Topology) -> dict[str, str]:
    options: dict[str, str] = {}
    for name, values in parse_qs(query, keep_blank_values=True).items():
        if name not in _OPTIONS[topology]:
            accepted = ", ".join(sorted(_OPTIONS[topology] - set(URL_QUERY_ARGUMENT_PARSERS)))
            raise ValueError(
                f"has an unknown option {name!r} for a {topology} URL (accepted: {accepted})"
            )
        if len(values) > 1:
            raise ValueError(f"gives option {name!r} more than once")
        options[name] = values[0]
    return options


def _tls_options(options: Mapping[str, str], tls: bool) -> dict[str, str | bool]:
    chosen: dict[str, str | bool] = {}
    for name in _TLS_OPTIONS:
        if name not in options:
            continue
        if not tls:
            raise ValueError(f"has {name} but is not a TLS (rediss...) URL")
        value = options[name]
        if name == "ssl_check_hostname":
            if value.lower() not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError(f"has ssl_check_hostname {value!r}: must be true or false")
            chosen[name] = value.lower() in ("true", "yes", "1")
        elif name == "ssl_cert_reqs" and value not in ("none", "optional", "required"):
            raise ValueError(f"has ssl_cert_reqs {value!r}: must be none, optional or required")
        else:
            chosen[name] = value
    return chosen


def parse_redis_url(url: str) -> RedisTarget:
    """Read a REDIS_URL; a ValueError says what is wrong (the caller names the variable).

    - `redis://[[user]:password@]host[:6379][/db]`, `rediss://...` (TLS), `unix:///path.sock`
    - `redis+sentinel://[[user]:password@]host[:26379][,host[:26379]...]/master-name[/db]`
      and `rediss+sentinel://...`; the credentials are the data nodes'; sentinels that need
      their own take `?sentinel_username=...&sentinel_password=...`
    - `redis+cluster://[[user]:password@]host[:6379][,host[:6379]...]` and
      `rediss+cluster://...` (any reachable nodes; the rest are discovered)
    - `?wait_replicas=N` (single server and Sentinel): acknowledge a write once N replicas hold it
    """
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in _SCHEMES:
        raise ValueError(f"must start with {SCHEMES_TEXT}")
    topology, tls = _SCHEMES[scheme.lower()]
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValueError(f"is not a well-formed URL: {exc}") from None
    if parts.fragment:
        raise ValueError("has a #fragment; options go after '?'")
    options = _query(parts.query, topology)
    wait_default = 1 if topology == "sentinel" else 0
    wait = _whole("wait_replicas", options.pop("wait_replicas", str(wait_default)), 16)
    if topology == "standalone":
        # Rebuilt by hand, not with urlunsplit, which turns `unix:///path` into `unix:/path`.
        base = url.partition("?")[0].partition("#")[0]
        plain = f"{base}?{urlencode(options)}" if options else base
        return _standalone(parts, plain, tls, wait)

    userinfo, at, hosts = parts.netloc.rpartition("@")
    user, colon, secret = userinfo.partition(":")
    default_port = 26379 if topology == "sentinel" else 6379
    nodes = tuple(_host_port(entry, default_port) for entry in hosts.split(","))
    path = [unquote(p) for p in parts.path.split("/")[1:]] if parts.path else []
    master, db = "", 0
    if topology == "sentinel":
        if not path or not path[0]:
            raise ValueError(
                "needs the master name Sentinel monitors as its path, e.g. "
                "redis+sentinel://sentinel-1:26379,sentinel-2:26379/mymaster"
            )
        if len(path) > 2:
            raise ValueError("has a path with more than /master-name/db")
        master = path[0]
        db = _whole("database", path[1], 10_000) if len(path) == 2 else 0
    elif path not in ([], [""], ["0"]):
        raise ValueError("has a database in its path, but a Redis Cluster has only database 0")
    return RedisTarget(
        topology=topology,
        tls=tls,
        nodes=nodes,
        master=master,
        db=db,
        username=unquote(user) if at and user else None,
        password=unquote(secret) if at and colon else None,
        sentinel_username=options.get("sentinel_username") or None,
        sentinel_password=options.get("sentinel_password") or None,
        tls_options=_tls_options(options, tls),
        wait_replicas=wait,
    )


def _standalone(parts: SplitResult, plain: str, tls: bool, wait: int) -> RedisTarget:
    try:
        parse_url(plain)  # redis-py's own reading: ports, option values
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    if parts.scheme != "unix" and parts.path.strip("/") and not parts.path.strip("/").isdigit():
        raise ValueError(f"has database {parts.path.strip('/')!r}: must be a whole number")
    return RedisTarget(topology="standalone", tls=tls, url=plain, wait_replicas=wait)
