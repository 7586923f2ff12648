"""Typed text as it enters from any platform, made safe to store and show."""

from __future__ import annotations

import re

# A lone UTF-16 surrogate (JSON's "\ud800" decodes to one) cannot be encoded as UTF-8, so a
# session holding one could never be written; it stands for no character anyone typed.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """The text with every lone surrogate replaced by U+FFFD (the replacement character)."""
    return _LONE_SURROGATE.sub("\ufffd", text)
