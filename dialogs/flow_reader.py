"""A reader for hand-edited YAML that collects every problem (file, where, what) instead of
stopping at the first, and the `ask_if`/`when` conditions that flow and scoring share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from dialogs.errors import Problem
from dialogs.flow import Condition, Question
from dialogs.ids import Component, Depth, Hosting

E = TypeVar("E", Depth, Hosting, Component)


class Reader:
    """Collects problems instead of stopping at the first one."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(file=self.file, where=where, message=message))

    def text(
        self, obj: Mapping[str, Any], name: str, where: str, default: str | None = None
    ) -> str:
        value = obj.get(name, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}.{name}", "must be a non-empty text")
            return default or ""
        return value.strip()

    def known(self, obj: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
        """Fail on every key outside `allowed` (a typo, or a label cut at a comma: in a YAML
        flow mapping `{id: a, label: 1 to 10,000}` reads as a label and a stray key `000`)."""
        for key in obj:
            if str(key) not in allowed:
                hint = " (quote a text that holds a comma)" if obj[key] is None else ""
                self.fail(f"{where}.{key}", f"is not a field here{hint}")

    def mapping(self, obj: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(obj, Mapping):
            self.fail(where, "must be a mapping")
            return {}
        return obj

    def items(self, obj: Any, where: str) -> list[Any]:
        if not isinstance(obj, list):
            self.fail(where, "must be a list")
            return []
        return obj

    def enum(self, cls: type[E], value: Any, where: str) -> E | None:
        try:
            return cls(value)
        except ValueError:
            self.fail(where, f"{value!r} is not one of {', '.join(m.value for m in cls)}")
            return None


def condition_raw(r: Reader, raw: Any, where: str) -> Condition:
    m = r.mapping(raw if raw is not None else {}, where)
    req: dict[str, frozenset[str]] = {}
    for qid, allowed in m.items():
        items = allowed if isinstance(allowed, list) else [allowed]
        req[str(qid)] = frozenset(str(a) for a in items)
    return Condition(require=req)


def _check_condition(r: Reader, cond: Condition, by_id: Mapping[str, Question], where: str) -> None:
    for qid, allowed in cond.require.items():
        q = by_id.get(qid)
        if q is None:
            r.fail(where, f"names unknown question {qid!r}")
            continue
        for oid in sorted(allowed - {o.id for o in q.options}):
            r.fail(where, f"question {qid} has no option {oid!r}")


def check_conditions(r: Reader, by_id: Mapping[str, Question]) -> None:
    order = list(by_id)
    for q in by_id.values():
        _check_condition(r, q.ask_if, by_id, f"question {q.id}.ask_if")
        for dep in q.ask_if.require:
            if dep in by_id and order.index(dep) >= order.index(q.id):
                r.fail(f"question {q.id}.ask_if", f"depends on {dep}, which is asked later")


def checked_condition(r: Reader, raw: Any, by_id: Mapping[str, Question], where: str) -> Condition:
    condition = condition_raw(r, raw, where)
    _check_condition(r, condition, by_id, where)
    return condition
