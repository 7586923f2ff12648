"""Factories that wire settings, flow, store and engine; no import-time globals."""

from __future__ import annotations

from bot.settings import Settings
from dialogs.advisor import Advisor, AdvisorConfig
from dialogs.cost import load_assumptions
from dialogs.engine import EngineConfig
from dialogs.flow_loader import load_flow
from dialogs.glossary import load_glossary
from dialogs.stores.base import SessionStore
from dialogs.stores.memory import MemoryStore
from dialogs.stores.redis_store import RedisStore


def create_store(settings: Settings) -> SessionStore:
    """Redis when REDIS_URL is set (a single server, Sentinel or Cluster, with the URL's
    `wait_replicas`); otherwise an in-memory store (local use only)."""
    if settings.redis_url is None:
        return MemoryStore()
    return RedisStore.from_url(settings.redis_url, timeout_seconds=settings.redis_timeout_seconds)


def create_advisor(settings: Settings, store: SessionStore | None = None) -> Advisor:
    flow = load_flow(settings.flow_file)
    costs = load_assumptions(settings.cost_assumptions_file)
    load_glossary()  # `help <term>` reads it: a malformed glossary fails here, not in a turn
    return Advisor(
        flow=flow,
        store=store if store is not None else create_store(settings),
        engine=EngineConfig(session_ttl_seconds=settings.session_ttl_seconds, costs=costs),
        runner=AdvisorConfig(
            turn_timeout_seconds=settings.turn_timeout_seconds,
            cached_sessions=settings.session_cache,
        ),
    )
