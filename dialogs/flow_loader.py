"""Read a flow file and validate it, naming file, question and field for every problem found."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dialogs.errors import FlowError, Problem
from dialogs.flow import Command, Flow, Option, Question
from dialogs.flow_reader import Reader, check_conditions, condition_raw
from dialogs.ids import FACTORS, MONTHLY_TOKENS, QUESTION_IDS
from dialogs.scoring_loader import read_scoring

DEFAULT_FLOW = "build_vs_buy.yaml"

# The fields each level of a flow file may have; anything else is refused, naming it.
FLOW_FIELDS = frozenset(
    {"id", "version", "title", "intro", "questions", "scoring", "messages", "commands"}
)
QUESTION_FIELDS = frozenset(
    {"id", "prompt", "short", "why", "factors", "options", "input", "skippable", "assume"}
    | {"ask_if", "since"}
)
OPTION_FIELDS = frozenset({"id", "label", "cues"})

# Every notice the engine can give; a flow that lacks one fails validation, not a user's turn.
REQUIRED_MESSAGES: tuple[str, ...] = (
    "welcome_back",
    "invalid_choice",
    "choice_ambiguous",
    "choice_taken",
    "figure_taken",
    "tokens_taken",
    "tokens_adjusted",
    "figure_cleared",
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
    "forgotten",
    "exported",
    "export_more",
    "headline",
    "effect_holds",
    "driver_text",
    "driver_text_assumed",
    "change_text",
    "next_rung",
    "red_flag_step",
    "unknown_term",
)


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
    r = Reader(file)
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise FlowError([Problem(file=file, where="yaml", message=str(exc))]) from exc
    top = r.mapping(data, "flow")
    r.known(top, FLOW_FIELDS, "flow")
    flow_id = r.text(top, "id", "flow")
    version = top.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        r.fail("flow.version", "must be a whole number of 1 or more")
        version = 1
    questions = _questions(r, top.get("questions"))
    by_id = {q.id: q for q in questions}
    check_conditions(r, by_id)
    scoring = read_scoring(r, r.mapping(top.get("scoring"), "scoring"), by_id)
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


def _questions(r: Reader, raw: Any) -> tuple[Question, ...]:
    out: list[Question] = []
    seen: set[str] = set()
    for i, item in enumerate(r.items(raw, "questions")):
        q = r.mapping(item, f"questions[{i}]")
        qid = q.get("id")
        where = f"question {qid}" if isinstance(qid, str) else f"questions[{i}]"
        r.known(q, QUESTION_FIELDS, where)
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
            r.known(om, OPTION_FIELDS, f"{where}.option {oid}")
            if not isinstance(oid, str) or not oid:
                r.fail(f"{where}.options[{j}].id", "needs an id")
                continue
            if any(x.id == oid for x in options):
                r.fail(f"{where}.options[{j}].id", f"{oid!r} is used twice")
            label = r.text(om, "label", f"{where}.option {oid}")
            cues = _cues(r, om.get("cues", []), f"{where}.option {oid}.cues")
            options.append(Option(id=oid, label=label, cues=cues))
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
        since = q.get("since", 1)
        if not isinstance(since, int) or isinstance(since, bool) or since < 1:
            r.fail(f"{where}.since", "must be the framework version that added the question")
            since = 1
        out.append(
            Question(
                id=qid,
                since=since,
                prompt=r.text(q, "prompt", where),
                short=r.text(q, "short", where),
                why=r.text(q, "why", where),
                factors=factors,
                options=tuple(options),
                input=kind,
                skippable=skippable,
                assume=assume if isinstance(assume, str) else None,
                ask_if=condition_raw(r, q.get("ask_if", {}), f"{where}.ask_if"),
            )
        )
    ids = {q.id for q in out}
    for required in (*QUESTION_IDS, MONTHLY_TOKENS):
        if required not in ids:
            r.fail(f"question {required}", "is missing (framework.md fixes this id)")
    return tuple(out)


def _cues(r: Reader, raw: Any, where: str) -> tuple[str, ...]:
    """An option's cues: a list of phrases, each with at least one letter or digit; `...`
    stands between words that may be a few words apart, `*` ends a word that may go on."""
    found: list[str] = []
    for k, cue in enumerate(r.items(raw, where)):
        if not isinstance(cue, str) or not any(c.isalnum() for c in cue):
            r.fail(f"{where}[{k}]", "must be a phrase with at least one letter or digit")
        elif cue.strip().startswith("...") or cue.strip().endswith("..."):
            r.fail(f"{where}[{k}]", "'...' goes between words, not at either end")
        else:
            found.append(cue.strip())
    return tuple(found)


def _messages(r: Reader, m: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code in REQUIRED_MESSAGES:
        out[code] = r.text(m, code, "messages")
    r.known(m, frozenset(REQUIRED_MESSAGES), "messages")
    return out
