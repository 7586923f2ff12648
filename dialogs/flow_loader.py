"""Read a flow file and validate it, naming file, question and field for every problem found."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

from dialogs.errors import FlowError, Problem
from dialogs.flow import (
    Command,
    ComponentRule,
    Condition,
    Flow,
    HostingRule,
    Option,
    Question,
    RedFlag,
    Rung,
    Scoring,
    Signal,
)
from dialogs.ids import FACTORS, MONTHLY_TOKENS, QUESTION_IDS, Component, Depth, Hosting

DEFAULT_FLOW = "build_vs_buy.yaml"

# Every notice the engine can give; a flow that lacks one fails validation, not a user's turn.
REQUIRED_MESSAGES: tuple[str, ...] = (
    "welcome_back",
    "invalid_choice",
    "invalid_number",
    "not_skippable",
    "skipped",
    "first_question",
    "went_back",
    "confirm_restart",
    "restart_kept",
    "restarted",
    "cancelled",
    "resume_hint",
    "already_answered",
    "stale_click",
    "expired",
    "flow_migrated",
    "flow_restarted",
    "edit_usage",
    "edit_unknown",
    "edit_prompt",
    "no_results",
    "done_hint",
    "unreadable_session",
    "empty_input",
    "too_long",
    "confirm_forget",
    "forget_kept",
    "forget_confirmed",
    "forgotten",
    "headline",
    "effect_pressure_up",
    "effect_pressure_down",
    "effect_cap",
    "effect_red_flag",
    "effect_rag",
    "effect_floor",
    "effect_holds",
    "driver_text",
    "driver_text_assumed",
    "change_text",
    "red_flag_step",
)

E = TypeVar("E", Depth, Hosting, Component)


class _Reader:
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


def load_flow(path: Path | str | None = None) -> Flow:
    """Load the packaged flow (or the file at `path`); raise FlowError listing every problem."""
    if path is None:
        ref = resources.files("dialogs.flows").joinpath(DEFAULT_FLOW)
        name = f"dialogs/flows/{DEFAULT_FLOW}"
        raw = ref.read_text(encoding="utf-8")
    else:
        name = str(path)
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise FlowError([Problem(file=name, where="file", message=str(exc))]) from exc
    return parse_flow(raw, name)


def parse_flow(raw: str, file: str) -> Flow:
    r = _Reader(file)
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise FlowError([Problem(file=file, where="yaml", message=str(exc))]) from exc
    top = r.mapping(data, "flow")
    flow_id = r.text(top, "id", "flow")
    version = top.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        r.fail("flow.version", "must be a whole number of 1 or more")
        version = 1
    questions = _questions(r, top.get("questions"))
    by_id = {q.id: q for q in questions}
    _check_conditions(r, by_id)
    scoring = _scoring(r, r.mapping(top.get("scoring"), "scoring"), by_id)
    messages = _messages(r, r.mapping(top.get("messages"), "messages"))
    commands = tuple(
        Command(name=r.text(c, "name", f"commands[{i}]"), text=r.text(c, "text", f"commands[{i}]"))
        for i, c in enumerate(r.items(top.get("commands"), "commands"))
        if r.mapping(c, f"commands[{i}]")
    )
    if r.problems:
        raise FlowError(r.problems)
    return Flow(
        id=flow_id,
        version=version,
        title=r.text(top, "title", "flow"),
        intro=r.text(top, "intro", "flow"),
        questions=questions,
        scoring=scoring,
        messages=messages,
        commands=commands,
        source=file,
    )


def _questions(r: _Reader, raw: Any) -> tuple[Question, ...]:
    out: list[Question] = []
    seen: set[str] = set()
    for i, item in enumerate(r.items(raw, "questions")):
        q = r.mapping(item, f"questions[{i}]")
        qid = q.get("id")
        where = f"question {qid}" if isinstance(qid, str) else f"questions[{i}]"
        if not isinstance(qid, str) or not qid:
            r.fail(where, "needs an id")
            continue
        if qid in seen:
            r.fail(where, "id is used twice")
        seen.add(qid)
        kind = q.get("input", "choice")
        if kind not in ("choice", "number"):
            r.fail(f"{where}.input", "must be choice or number")
            kind = "choice"
        options: list[Option] = []
        for j, o in enumerate(r.items(q.get("options", []), f"{where}.options")):
            om = r.mapping(o, f"{where}.options[{j}]")
            oid = om.get("id")
            if not isinstance(oid, str) or not oid:
                r.fail(f"{where}.options[{j}].id", "needs an id")
                continue
            if any(x.id == oid for x in options):
                r.fail(f"{where}.options[{j}].id", f"{oid!r} is used twice")
            options.append(Option(id=oid, label=r.text(om, "label", f"{where}.option {oid}")))
        if kind == "choice" and len(options) < 2:
            r.fail(f"{where}.options", "a choice question needs at least two options")
        factors = tuple(str(f) for f in r.items(q.get("factors", []), f"{where}.factors"))
        for f in factors:
            if f not in FACTORS:
                r.fail(f"{where}.factors", f"{f!r} is not a factor of the framework")
        assume = q.get("assume")
        if kind == "choice" and (
            not isinstance(assume, str) or assume not in {o.id for o in options}
        ):
            r.fail(f"{where}.assume", "must name one of the question's options (used when skipped)")
        skippable = q.get("skippable", True)
        if not isinstance(skippable, bool):
            r.fail(f"{where}.skippable", "must be true or false")
            skippable = True
        out.append(
            Question(
                id=qid,
                prompt=r.text(q, "prompt", where),
                short=r.text(q, "short", where),
                why=r.text(q, "why", where),
                factors=factors,
                options=tuple(options),
                input=kind,
                skippable=skippable,
                assume=assume if isinstance(assume, str) else None,
                ask_if=_condition_raw(r, q.get("ask_if", {}), f"{where}.ask_if"),
            )
        )
    ids = {q.id for q in out}
    for required in (*QUESTION_IDS, MONTHLY_TOKENS):
        if required not in ids:
            r.fail(f"question {required}", "is missing (framework.md fixes this id)")
    return tuple(out)


def _condition_raw(r: _Reader, raw: Any, where: str) -> Condition:
    m = r.mapping(raw if raw is not None else {}, where)
    req: dict[str, frozenset[str]] = {}
    for qid, allowed in m.items():
        items = allowed if isinstance(allowed, list) else [allowed]
        req[str(qid)] = frozenset(str(a) for a in items)
    return Condition(require=req)


def _check_condition(
    r: _Reader, cond: Condition, by_id: Mapping[str, Question], where: str
) -> None:
    for qid, allowed in cond.require.items():
        q = by_id.get(qid)
        if q is None:
            r.fail(where, f"names unknown question {qid!r}")
            continue
        for oid in sorted(allowed - {o.id for o in q.options}):
            r.fail(where, f"question {qid} has no option {oid!r}")


def _check_conditions(r: _Reader, by_id: Mapping[str, Question]) -> None:
    order = list(by_id)
    for q in by_id.values():
        _check_condition(r, q.ask_if, by_id, f"question {q.id}.ask_if")
        for dep in q.ask_if.require:
            if dep in by_id and order.index(dep) >= order.index(q.id):
                r.fail(f"question {q.id}.ask_if", f"depends on {dep}, which is asked later")


def _cond(r: _Reader, raw: Any, by_id: Mapping[str, Question], where: str) -> Condition:
    cond = _condition_raw(r, raw, where)
    _check_condition(r, cond, by_id, where)
    return cond


def _option_table(
    r: _Reader, raw: Any, by_id: Mapping[str, Question], where: str
) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for qid, table in r.mapping(raw, where).items():
        q = by_id.get(qid)
        if q is None:
            r.fail(f"{where}.{qid}", "unknown question")
            continue
        row: dict[str, int] = {}
        for oid, value in r.mapping(table, f"{where}.{qid}").items():
            if q.option(oid) is None:
                r.fail(f"{where}.{qid}.{oid}", "unknown option")
            elif not isinstance(value, int) or isinstance(value, bool):
                r.fail(f"{where}.{qid}.{oid}", "must be a whole number")
            else:
                row[oid] = value
        out[qid] = row
    return out


def _rungs(r: _Reader, raw: Any, cls: type[E], where: str) -> dict[E, Rung]:
    out: dict[E, Rung] = {}
    table = r.mapping(raw, where)
    for member in cls:
        entry = r.mapping(table.get(member.value), f"{where}.{member.value}")
        steps = tuple(
            str(s) for s in r.items(entry.get("steps", []), f"{where}.{member.value}.steps")
        )
        if not steps:
            r.fail(f"{where}.{member.value}.steps", "needs at least one next step")
        out[member] = Rung(
            label=r.text(entry, "label", f"{where}.{member.value}"),
            headline=r.text(entry, "headline", f"{where}.{member.value}"),
            steps=steps,
        )
    return out


def _scoring(r: _Reader, s: Mapping[str, Any], by_id: Mapping[str, Question]) -> Scoring:
    w = "scoring"
    thresholds: dict[Depth, int] = {}
    for name, value in r.mapping(s.get("thresholds"), f"{w}.thresholds").items():
        depth = r.enum(Depth, name, f"{w}.thresholds.{name}")
        if depth is not None and isinstance(value, int):
            thresholds[depth] = value
    for depth in list(Depth)[1:]:
        if depth not in thresholds:
            r.fail(f"{w}.thresholds.{depth.value}", "is missing")
    ordered = [thresholds.get(d, 0) for d in list(Depth)[1:]]
    if ordered != sorted(ordered):
        r.fail(f"{w}.thresholds", "must rise with depth")

    requirements: dict[Depth, Condition] = {}
    for name, raw in r.mapping(s.get("requirements"), f"{w}.requirements").items():
        depth = r.enum(Depth, name, f"{w}.requirements.{name}")
        if depth is not None:
            requirements[depth] = _cond(r, raw, by_id, f"{w}.requirements.{name}")
    for depth in (Depth.FINE_TUNE, Depth.CONTINUED_PRETRAINING, Depth.PRETRAINING):
        if depth not in requirements:
            r.fail(f"{w}.requirements.{depth.value}", "is missing")

    req_steps = {
        str(k): str(v)
        for k, v in r.mapping(s.get("requirement_steps"), f"{w}.requirement_steps").items()
    }
    for cond in requirements.values():
        for qid in cond.require:
            if qid not in req_steps:
                r.fail(f"{w}.requirement_steps.{qid}", "needs a next step for when it is missing")

    red_flags = tuple(
        RedFlag(
            id=r.text(f, "id", f"{w}.red_flags[{i}]"),
            when=_cond(r, f.get("when"), by_id, f"{w}.red_flags[{i}].when"),
            text=r.text(f, "text", f"{w}.red_flags[{i}]"),
            first_step=r.text(f, "first_step", f"{w}.red_flags[{i}]"),
            revisit=r.text(f, "revisit", f"{w}.red_flags[{i}]"),
        )
        for i, f in enumerate(r.items(s.get("red_flags"), f"{w}.red_flags"))
        if isinstance(f, Mapping)
    )
    signals = tuple(
        Signal(
            id=r.text(f, "id", f"{w}.signals[{i}]"),
            when=_cond(r, f.get("when"), by_id, f"{w}.signals[{i}].when"),
            text=r.text(f, "text", f"{w}.signals[{i}]"),
        )
        for i, f in enumerate(r.items(s.get("signals"), f"{w}.signals"))
        if isinstance(f, Mapping)
    )

    floor: dict[str, Hosting] = {}
    sens = by_id.get("data_sensitivity")
    for oid, value in r.mapping(s.get("hosting_floor"), f"{w}.hosting_floor").items():
        hosting = r.enum(Hosting, value, f"{w}.hosting_floor.{oid}")
        if sens is not None and sens.option(oid) is None:
            r.fail(f"{w}.hosting_floor.{oid}", "is not an option of data_sensitivity")
        if hosting is not None:
            floor[oid] = hosting
    if sens is not None:
        for o in sens.options:
            if o.id not in floor:
                r.fail(f"{w}.hosting_floor.{o.id}", "is missing")

    hosting_rules: list[HostingRule] = []
    for i, h in enumerate(r.items(s.get("hosting_rules"), f"{w}.hosting_rules")):
        hw = f"{w}.hosting_rules[{i}]"
        hm = r.mapping(h, hw)
        at_least = r.enum(Hosting, hm.get("at_least"), f"{hw}.at_least")
        min_depth = r.enum(Depth, hm["min_depth"], f"{hw}.min_depth") if "min_depth" in hm else None
        if at_least is not None:
            hosting_rules.append(
                HostingRule(
                    id=r.text(hm, "id", hw),
                    when=_cond(r, hm.get("when", {}), by_id, f"{hw}.when"),
                    at_least=at_least,
                    needs=_cond(r, hm.get("needs", {}), by_id, f"{hw}.needs"),
                    min_depth=min_depth,
                    text=r.text(hm, "text", hw),
                )
            )

    components: list[ComponentRule] = []
    for i, c in enumerate(r.items(s.get("components"), f"{w}.components")):
        cw = f"{w}.components[{i}]"
        cm = r.mapping(c, cw)
        comp = r.enum(Component, cm.get("component"), f"{cw}.component")
        min_depth = r.enum(Depth, cm["min_depth"], f"{cw}.min_depth") if "min_depth" in cm else None
        if comp is not None:
            components.append(
                ComponentRule(
                    component=comp,
                    when=_cond(r, cm.get("when", {}), by_id, f"{cw}.when"),
                    min_depth=min_depth,
                    text=r.text(cm, "text", cw),
                )
            )

    orders: dict[str, tuple[str, ...]] = {}
    for qid, seq in r.mapping(s.get("orders"), f"{w}.orders").items():
        q = by_id.get(qid)
        items = tuple(str(x) for x in r.items(seq, f"{w}.orders.{qid}"))
        if q is None:
            r.fail(f"{w}.orders.{qid}", "unknown question")
        elif sorted(items) != sorted(o.id for o in q.options):
            r.fail(f"{w}.orders.{qid}", "must list every option of the question exactly once")
        orders[qid] = items

    volume_tokens: dict[str, int] = {}
    vol = by_id.get("volume")
    for oid, value in r.mapping(s.get("volume_tokens"), f"{w}.volume_tokens").items():
        if vol is not None and vol.option(oid) is None:
            r.fail(f"{w}.volume_tokens.{oid}", "is not an option of volume")
        elif not isinstance(value, int) or value <= 0:
            r.fail(f"{w}.volume_tokens.{oid}", "must be a positive whole number")
        else:
            volume_tokens[oid] = value

    cap = r.enum(Depth, s.get("red_flag_cap", "rag"), f"{w}.red_flag_cap")
    comp_labels: dict[Component, str] = {}
    labels = r.mapping(s.get("component_labels"), f"{w}.component_labels")
    for comp in Component:
        comp_labels[comp] = r.text(labels, comp.value, f"{w}.component_labels")

    return Scoring(
        pressure=_option_table(r, s.get("pressure"), by_id, f"{w}.pressure"),
        thresholds=thresholds,
        rag_triggers={
            qid: frozenset(c)
            for qid, c in _cond(
                r, s.get("rag_triggers"), by_id, f"{w}.rag_triggers"
            ).require.items()
        },
        requirements=requirements,
        requirement_steps=req_steps,
        red_flags=red_flags,
        red_flag_cap=cap or Depth.RAG,
        signals=signals,
        hosting_floor=floor,
        hosting_rules=tuple(hosting_rules),
        components=tuple(components),
        readiness=_option_table(r, s.get("readiness"), by_id, f"{w}.readiness"),
        orders=orders,
        volume_tokens=volume_tokens,
        depths=_rungs(r, s.get("depths"), Depth, f"{w}.depths"),
        hostings=_rungs(r, s.get("hostings"), Hosting, f"{w}.hostings"),
        component_labels=comp_labels,
    )


def _messages(r: _Reader, m: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code in REQUIRED_MESSAGES:
        out[code] = r.text(m, code, "messages")
    for code, value in m.items():
        if code not in out and isinstance(value, str):
            out[str(code)] = value
    return out
