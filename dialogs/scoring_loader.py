"""The scoring section of a flow file: thresholds, requirements, red flags, signals, hosting
and component rules, point tables and rungs, each checked against the flow's questions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.flow import (
    ComponentRule,
    Condition,
    HostingRule,
    Question,
    RedFlag,
    Rung,
    Scoring,
    Signal,
)
from dialogs.flow_reader import E, Reader, checked_condition
from dialogs.ids import Component, Depth, Hosting


def _option_table(
    r: Reader, raw: Any, by_id: Mapping[str, Question], where: str
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


def _rungs(r: Reader, raw: Any, cls: type[E], where: str) -> dict[E, Rung]:
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


SCORING_FIELDS = frozenset(
    {"thresholds", "requirements", "requirement_steps", "red_flags", "red_flag_cap", "signals"}
    | {"pressure", "readiness", "orders", "rag_triggers", "volume_tokens", "depths", "hostings"}
    | {"hosting_rules", "hosting_floor", "components", "component_labels"}
)


def read_scoring(r: Reader, s: Mapping[str, Any], by_id: Mapping[str, Question]) -> Scoring:
    w = "scoring"
    r.known(s, SCORING_FIELDS, w)
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
            requirements[depth] = checked_condition(r, raw, by_id, f"{w}.requirements.{name}")
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
            when=checked_condition(r, f.get("when"), by_id, f"{w}.red_flags[{i}].when"),
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
            when=checked_condition(r, f.get("when"), by_id, f"{w}.signals[{i}].when"),
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
                    when=checked_condition(r, hm.get("when", {}), by_id, f"{hw}.when"),
                    at_least=at_least,
                    needs=checked_condition(r, hm.get("needs", {}), by_id, f"{hw}.needs"),
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
                    when=checked_condition(r, cm.get("when", {}), by_id, f"{cw}.when"),
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
            for qid, c in checked_condition(
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
