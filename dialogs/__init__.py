"""The platform-neutral heart of llm-advisor: flow, scoring, dialog engine and session stores.

The pure modules (flow, scoring, cost, engine, commands, session, turn) import no Redis, Slack,
botbuilder or Jinja2 code; `tests/test_layering.py` keeps it that way.
"""
