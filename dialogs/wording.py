"""Small rules of wording shared by every message the engine writes."""

from __future__ import annotations

import re

_COUNTED = re.compile(r"\b(\d[\d,]*)\b([^\d.;:!?]*?)\b(\w+)\(s\)")


def plurals(value: object) -> str:
    """Resolve "3 item(s)" in prose (flow messages formatted with a count) to "3 items" and
    "1 item(s)" to "1 item"; an "(s)" with no number before it reads as a plural."""

    def one(match: re.Match[str]) -> str:
        number, between, word = match.groups()
        return f"{number}{between}{word}{'' if number == '1' else 's'}"

    return _COUNTED.sub(one, str(value)).replace("(s)", "s")
