"""Redis clients for each topology, with the same short timeouts and bounded retry."""

from __future__ import annotations

from typing import Any, cast

from redis import asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import ExponentialBackoff, NoBackoff

from dialogs.stores.redis_url import RedisTarget, parse_redis_url

RedisClient = aioredis.Redis | RedisCluster


class _SentinelPrimary(aioredis.Redis):
    """The primary Sentinel names; closing it also closes the connections to the sentinels."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        pool = self.connection_pool
        if isinstance(pool, SentinelConnectionPool):
            await pool.sentinel_manager.aclose()


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1)


def create_redis_client(url: str, *, timeout_seconds: float) -> RedisClient:
    """Short timeouts and one quick retry: a hung Redis must fail a turn fast, not in a minute.

    The same limits hold on every topology: a Sentinel primary (found anew through the
    sentinels after a failover) and each Cluster node.
    """
    return _client(parse_redis_url(url), timeout_seconds=timeout_seconds)


def _client(target: RedisTarget, *, timeout_seconds: float) -> RedisClient:
    timeouts: dict[str, Any] = {
        "socket_connect_timeout": timeout_seconds,
        "socket_timeout": timeout_seconds,
    }
    tls: dict[str, Any] = {"ssl": True, **target.tls_options} if target.tls else {}
    if target.topology == "standalone":
        return aioredis.Redis.from_url(
            target.url,
            retry=_retry(),
            retry_on_timeout=True,
            health_check_interval=30,
            decode_responses=True,
            **timeouts,
        )
    credentials: dict[str, Any] = {"username": target.username, "password": target.password}
    if target.topology == "cluster":
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
            retry=_retry(),
            health_check_interval=30,
            decode_responses=True,
            **credentials,
            **timeouts,
            **tls,
        )
    sentinel_auth: dict[str, Any] = {
        "username": target.sentinel_username,
        "password": target.sentinel_password,
    }
    # No retry against one sentinel: the next sentinel in the list is the retry.
    sentinels = Sentinel(
        list(target.nodes),
        sentinel_kwargs={**timeouts, **tls, **sentinel_auth, "retry": Retry(NoBackoff(), 0)},
    )
    primary = sentinels.master_for(
        target.master,
        redis_class=_SentinelPrimary,
        db=target.db,
        retry=_retry(),
        retry_on_timeout=True,
        health_check_interval=30,
        decode_responses=True,
        **credentials,
        **timeouts,
        **tls,
    )
    return cast(_SentinelPrimary, primary)
