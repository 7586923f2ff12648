"""Factories that wire settings, flow, store and engine; no import-time globals."""

from __future__ import annotations

from bot.intake_model import ModelReader, ModelSettings
from bot.settings import Settings
from dialogs.advisor import Advisor, AdvisorConfig
from dialogs.cost import load_assumptions
from dialogs.engine import EngineConfig
from dialogs.flow import Flow
from dialogs.flow_loader import load_flow
from dialogs.glossary import load_glossary
from dialogs.intake_reader import PreReader, ReadingLimits
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
    store = store if store is not None else create_store(settings)
    reader = model_reader(settings, flow)
    pre_reader = None
    if reader is not None:
        limits = ReadingLimits(
            per_person=settings.llm_calls_per_person,
            window_seconds=settings.llm_window_seconds,
            deadline_seconds=reader.settings.timeout_seconds + 1.0,
        )
        pre_reader = PreReader(flow=flow, store=store, reader=reader, limits=limits)
    return Advisor(
        flow=flow,
        store=store,
        engine=EngineConfig(
            session_ttl_seconds=settings.session_ttl_seconds,
            costs=costs,
            intake_reader=reader.name if reader is not None else "",
        ),
        runner=AdvisorConfig(
            turn_timeout_seconds=settings.turn_timeout_seconds,
            cached_sessions=settings.session_cache,
        ),
        pre_reader=pre_reader,
    )


def model_reader(settings: Settings, flow: Flow) -> ModelReader | None:
    """The intake's model (issue 16) when an operator configured one; descriptions typed in
    the chat go to it (and people are told so before they type), else nowhere."""
    if not (settings.llm_url and settings.llm_model):
        return None
    model = ModelSettings(
        url=settings.llm_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_seconds=settings.llm_timeout_seconds,
    )
    return ModelReader(settings=model, flow=flow)
