"""Jinja2 templates, one folder per platform; installed as `bot.templates` (see pyproject.toml)."""
