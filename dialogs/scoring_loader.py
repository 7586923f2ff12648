"""The scoring section of a flow file: the words and tables the scoring rules use, each id
checked against the rules' ids (`dialogs.scoring`, `dialogs.advice`) and the flow's questions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.advice import HEADLINE_IDS, STEP_IDS
from dialogs.flow import Question, RedFlag, Rung, Scoring
from dialogs.flow_reader import Reader
from dialogs.ids import Component, Depth, Hosting
from dialogs.readiness import PREREQUISITE_IDS, RED_FLAG_IDS
from dialogs.scoring import CAUTION_IDS, REASON_IDS

SCORING_FIELDS = frozenset(
    {"red_flags", "reasons", "prerequisites", "cautions", "headlines", "steps", "readiness"}
    | {"orders", "volume_tokens", "depths", "hostings", "component_labels"}
)


def _texts(r: Reader, raw: Any, ids: tuple[str, ...], where: str) -> dict[str, str]:
    """A mapping of id to text holding exactly `ids`."""
    table = r.mapping(raw, where)
    r.known(table, frozenset(ids), where)
    return {i: r.text(table, i, where) for i in ids}


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


def _red_flags(r: Reader, raw: Any, where: str) -> tuple[RedFlag, ...]:
    out: list[RedFlag] = []
    fields = frozenset({"id", "text", "first_step", "revisit"})
    for i, item in enumerate(r.items(raw, where)):
        f = r.mapping(item, f"{where}[{i}]")
        r.known(f, fields, f"{where}[{i}]")
        flag_id = r.text(f, "id", f"{where}[{i}]")
        if flag_id and flag_id not in RED_FLAG_IDS:
            r.fail(f"{where}[{i}].id", f"{flag_id!r} is not one of {', '.join(RED_FLAG_IDS)}")
        out.append(
            RedFlag(
                id=flag_id,
                text=r.text(f, "text", f"{where}[{i}]"),
                first_step=r.text(f, "first_step", f"{where}[{i}]"),
                revisit=r.text(f, "revisit", f"{where}[{i}]"),
            )
        )
    for missing in sorted(set(RED_FLAG_IDS) - {f.id for f in out}):
        r.fail(f"{where}.{missing}", "is missing")
    return tuple(out)


def _rungs(
    r: Reader, raw: Any, cls: type[Depth] | type[Hosting], where: str, *, headline: bool
) -> dict[Any, Rung]:
    out: dict[Any, Rung] = {}
    table = r.mapping(raw, where)
    r.known(table, frozenset(m.value for m in cls), where)
    fields = frozenset({"label", "headline"} if headline else {"label"})
    for member in cls:
        entry = r.mapping(table.get(member.value), f"{where}.{member.value}")
        r.known(entry, fields, f"{where}.{member.value}")
        label = r.text(entry, "label", f"{where}.{member.value}")
        line = r.text(entry, "headline", f"{where}.{member.value}") if headline else label
        out[member] = Rung(label=label, headline=line)
    return out


def _orders(
    r: Reader, raw: Any, by_id: Mapping[str, Question], where: str
) -> dict[str, tuple[str, ...]]:
    orders: dict[str, tuple[str, ...]] = {}
    for qid, seq in r.mapping(raw, where).items():
        q = by_id.get(qid)
        items = tuple(str(x) for x in r.items(seq, f"{where}.{qid}"))
        if q is None:
            r.fail(f"{where}.{qid}", "unknown question")
        elif not set(items) <= {o.id for o in q.options} or len(set(items)) != len(items):
            r.fail(f"{where}.{qid}", "must list options of the question, each once")
        orders[qid] = items
    return orders


def _volume_tokens(
    r: Reader, raw: Any, by_id: Mapping[str, Question], where: str
) -> dict[str, int]:
    volume_tokens: dict[str, int] = {}
    vol = by_id.get("volume")
    for oid, value in r.mapping(raw, where).items():
        if vol is not None and vol.option(oid) is None:
            r.fail(f"{where}.{oid}", "is not an option of volume")
        elif not isinstance(value, int) or value <= 0:
            r.fail(f"{where}.{oid}", "must be a positive whole number")
        else:
            volume_tokens[oid] = value
    return volume_tokens


def read_scoring(r: Reader, s: Mapping[str, Any], by_id: Mapping[str, Question]) -> Scoring:
    w = "scoring"
    r.known(s, SCORING_FIELDS, w)
    comp_labels: dict[Component, str] = {}
    labels = r.mapping(s.get("component_labels"), f"{w}.component_labels")
    r.known(labels, frozenset(c.value for c in Component), f"{w}.component_labels")
    for comp in Component:
        comp_labels[comp] = r.text(labels, comp.value, f"{w}.component_labels")
    return Scoring(
        red_flags=_red_flags(r, s.get("red_flags"), f"{w}.red_flags"),
        reasons=_texts(r, s.get("reasons"), REASON_IDS, f"{w}.reasons"),
        prerequisites=_texts(r, s.get("prerequisites"), PREREQUISITE_IDS, f"{w}.prerequisites"),
        cautions=_texts(r, s.get("cautions"), CAUTION_IDS, f"{w}.cautions"),
        headlines=_texts(r, s.get("headlines"), HEADLINE_IDS, f"{w}.headlines"),
        steps=_texts(r, s.get("steps"), STEP_IDS, f"{w}.steps"),
        readiness=_option_table(r, s.get("readiness"), by_id, f"{w}.readiness"),
        orders=_orders(r, s.get("orders"), by_id, f"{w}.orders"),
        volume_tokens=_volume_tokens(r, s.get("volume_tokens"), by_id, f"{w}.volume_tokens"),
        depths=_rungs(r, s.get("depths"), Depth, f"{w}.depths", headline=False),
        hostings=_rungs(r, s.get("hostings"), Hosting, f"{w}.hostings", headline=True),
        component_labels=comp_labels,
    )
