"""A channel's team assessments, newest first, as lines (issue 14): each team's state or
result, and whether its advice changed since the one before it. The same on every platform;
each adapter shows the title its own way (bold, escaped) and the rest as plain text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dialogs.team_session import Team

Labels = Mapping[str, Mapping[str, str]]  # question id -> option id -> label


@dataclass(frozen=True, kw_only=True)
class Row:
    """One listed team: its title, the team (None: expired), its result once revealed, and
    the facilitator's name as the platform shows it."""

    title: str
    team: Team | None
    result: Mapping[str, Any] | None
    facilitator: str = ""


def history_lines(rows: Sequence[Row], names: Labels) -> list[tuple[str, str]]:
    """Each row's title and the rest of its line, newest first."""
    lines: list[tuple[str, str]] = []
    for i, row in enumerate(rows):
        team, result = row.team, row.result
        if team is None:
            lines.append((row.title, ": expired"))
            continue
        if result is None:
            state = "closed" if team.closed else "answering"
            done = f"{len(team.finished)} of {len(team.members)} finished"
            lines.append((row.title, f" ({row.facilitator}): {state}, {done}"))
            continue
        rec = result["recommendation"]
        text = f" ({row.facilitator}): {_advice(rec, names)}"
        earlier = next((r.result for r in rows[i + 1 :] if r.result is not None), None)
        if earlier is not None:
            old = earlier["recommendation"]
            if (old["depth"], old["hosting"]) == (rec["depth"], rec["hosting"]):
                text += "; the same advice as the one before"
            else:
                text += f"; changed from {_advice(old, names)}"
        lines.append((row.title, text))
    return lines


def _advice(rec: Mapping[str, Any], names: Labels) -> str:
    return f"{names['depth'][rec['depth']]}, {names['hosting'][rec['hosting']]}"
