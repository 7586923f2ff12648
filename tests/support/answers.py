"""One complete assessment, as tests and benchmarks give it (no pytest here: the benchmarks
import it too)."""

from __future__ import annotations

from typing import Final

FULL_ANSWERS: Final = {
    "stage": "live",
    "value": "core_feature",
    "current_gap": "inconsistent_behavior",
    "knowledge_change": "rarely",
    "data_sensitivity": "regulated",
    "latency": "interactive",
    "volume": "500m_10b",
    "monthly_tokens": "2000000000",
    "breadth": "single_task",
    "explainability": "citations",
    "ownership": "portability",
    "evals": "labelled_set",
    "examples": "100_10k",
    "domain_corpus": "10m_1b",
    "team": "ml_eng",
    "gpus": "serverless",
    "budget": "10k_100k",
    "open_weights": "allowed",
    "vendor_tuning": "acceptable",
    "deprecation": "can_migrate",
    "residency": "none",
    "output_format": "free_text",
    "tool_use": "tools",
    "inputs": "text",
}

# The same assessment typed instead of clicked: numbers, option ids, names and their starts,
# free-form figures (the number question is answered "2B").
TYPED_ANSWERS: Final = (
    "3",
    "core",
    "inconsistent",
    "rarely",
    "regulated",
    "interactive",
    "500m_10b",
    "2B",
    "one",
    "citations",
    "switch",
    "labelled",
    "100",
    "10 million",
    "ML engineers",
    "serverless",
    "$10k",
    "yes",
    "under our agreement",
    "re-test",
    "no rule",
    "free text",
    "tools",
    "text only",
)
