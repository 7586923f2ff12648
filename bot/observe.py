"""Metrics (Prometheus) and one structured JSON log line per turn; no answer text by default."""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from dialogs.errors import StoreConflict, StoreUnavailable
from dialogs.replies import TurnResult
from dialogs.turn import Turn

turn_log = logging.getLogger("llm_advisor.turns")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)


def hashed(*parts: str) -> str:
    """A stable pseudonym for ids in logs: correlates lines without naming anyone."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


class Metrics:
    """All of the service's metrics in a registry of its own (no process-wide globals)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.turns = Counter(
            "advisor_turns", "Turns by platform and outcome", ["platform", "outcome"], registry=r
        )
        self.latency = Histogram(
            "advisor_turn_seconds",
            "Turn latency (load, step, commit)",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.started = Counter(
            "advisor_assessments_started", "Assessments started", ["platform"], registry=r
        )
        self.completed = Counter(
            "advisor_assessments_completed", "Assessments completed", ["platform"], registry=r
        )
        self.recommendations = Counter(
            "advisor_recommendations",
            "Recommendations by depth and hosting",
            ["depth", "hosting"],
            registry=r,
        )
        self.feedback = Counter(
            "advisor_feedback",
            "Was the advice useful: votes by recommendation (depth and hosting ids)",
            ["depth", "hosting", "vote"],
            registry=r,
        )
        self.duplicates = Counter(
            "advisor_duplicate_deliveries", "Redelivered events dropped", ["platform"], registry=r
        )
        self.store_errors = Counter(
            "advisor_store_errors",
            "Turns that failed on the session store",
            ["platform"],
            registry=r,
        )
        self.api_errors = Counter(
            "advisor_outbound_api_errors",
            "Errors from the Slack and Teams APIs",
            ["platform", "status"],
            registry=r,
        )

    def api_error(self, platform: str, status: int | str | None) -> None:
        self.api_errors.labels(platform=platform, status=str(status or "none")).inc()

    def vote(self, depth: str, hosting: str, vote: str) -> None:
        """One "was it useful" vote (bot.feedback) on a summary with this recommendation."""
        self.feedback.labels(depth=depth, hosting=hosting, vote=str(vote)).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class TurnObserver:
    """Feeds every turn to the metrics and writes its log line (dialogs.advisor.TurnObserver)."""

    def __init__(self, *, metrics: Metrics, log_text: bool = False) -> None:
        self.metrics = metrics
        self.log_text = log_text

    def turn_done(
        self, turn: Turn, result: TurnResult | None, error: BaseException | None, seconds: float
    ) -> None:
        platform = turn.key.platform
        m = self.metrics
        if error is None and result is not None:
            outcome = "duplicate" if result.duplicate else "ok"
        elif isinstance(error, StoreUnavailable):
            outcome = "store_unavailable"
        elif isinstance(error, StoreConflict):
            outcome = "conflict"
        else:
            outcome = "error"
        m.turns.labels(platform=platform, outcome=outcome).inc()
        m.latency.labels(platform=platform).observe(seconds)
        if outcome == "store_unavailable":
            m.store_errors.labels(platform=platform).inc()
        if result is not None:
            if result.duplicate:
                m.duplicates.labels(platform=platform).inc()
            if result.started:
                m.started.labels(platform=platform).inc()
            if result.completed:
                m.completed.labels(platform=platform).inc()
            if result.recommendation is not None:
                depth, hosting = result.recommendation
                m.recommendations.labels(depth=depth, hosting=hosting).inc()
        fields: dict[str, Any] = {
            "event": "turn",
            "platform": platform,
            "user": hashed(platform, turn.key.workspace, turn.key.user),
            "conversation": hashed(
                platform, turn.key.workspace, turn.key.conversation, turn.key.thread
            ),
            "question": result.question if result is not None else None,
            "outcome": outcome,
            "latency_ms": round(seconds * 1000, 2),
        }
        if self.log_text:
            fields["text"] = turn.text
        turn_log.info("turn", extra={"fields": fields})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, structured fields, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


# slack_sdk decides whether to format each Web API call's whole request and response for a
# debug line by reading its own logger's level (`logger.level <= DEBUG`), which a logger with
# no level set (0) passes whatever the root level is: about 6% of a turn's CPU, for lines
# nobody sees. These loggers get the level in force, so that work is done only at DEBUG.
LEVEL_READING_LOGGERS = (
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.async_slack_response",
    "slack_sdk.web.base_client",
    "slack_sdk.web.slack_response",
)


def set_library_levels(level: str | int) -> None:
    """Give the libraries' level-reading loggers an explicit level (see above)."""
    for name in LEVEL_READING_LOGGERS:
        logging.getLogger(name).setLevel(level)


def configure_json_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    set_library_levels(level)
    turn_log.setLevel(logging.INFO)
