"""The team card as an Adaptive Card 1.5 (issue 14), built as data: every name and title goes in
a TextRun (no markdown, no links, no template functions), so no typed text can change the
card. Before the reveal: who has finished and who is still answering (names only), the Join,
Join as observer, Reveal, Remind and Close buttons. After it: the disagreements first (the
spread per option, names unless anonymous, whether it changes the advice, a Settle menu), the
agreed questions folded into one line, the team's advice and how it was formed, each member's
own headline, the cost, the next steps. Folded step by step until it fits Teams' size limit
(a team of 100 with 20 disagreements: tests/bot/teams/test_team_card.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.render import labels, plain, usd
from dialogs import team_texts as shared
from dialogs.flow import Flow
from dialogs.team_session import Team

# The team card's controls: Action.Submit data {"team": <one of these>, ...}.
JOIN, OBSERVE, REVEAL, REMIND, CLOSE, SETTLE = (
    "join",
    "observe",
    "reveal",
    "remind",
    "close",
    "settle",
)
CONTROLS = (JOIN, OBSERVE, REVEAL, REMIND, CLOSE, SETTLE)
SETTLE_INPUT = "o."  # + question id: the ChoiceSet of a disagreement's Settle menu
CARD_BUDGET = 23_000  # bytes of card JSON; Teams refuses messages over about 28 KB
NAMES_LISTED = 40
TEXT_LIMIT = 400
NAMES_LIMIT = NAMES_LISTED * 90  # a line of names: up to NAMES_LISTED names of 80 characters
HOW = {
    "strictest": "the strictest answer",
    "lower_median": "the lower median",
    "majority": "the most chosen answer",
    "settled": "settled by the facilitator",
}

Name = Callable[[str], str]


def card_size(card: Mapping[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode())


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    text = plain(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run(
    text: str, *, bold: bool = False, italic: bool = False, limit: int = TEXT_LIMIT
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "TextRun", "text": _clip(text, limit)}
    if bold:
        out["weight"] = "Bolder"
    if italic:
        out["italic"] = True
    return out


def rich(*runs: dict[str, Any], subtle: bool = False, size: str = "") -> dict[str, Any]:
    """A RichTextBlock: text shown as typed, never read as markdown."""
    inlines = [dict(r, isSubtle=True) if subtle else r for r in runs]
    if size:
        inlines = [dict(r, size=size) for r in inlines]
    return {"type": "RichTextBlock", "inlines": inlines}


def line(text: str, **how: Any) -> dict[str, Any]:
    return rich(run(text), **how)


def submit(title: str, data: dict[str, str], *, style: str = "") -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": data}
    if style:
        action["style"] = style
    return action


def card(body: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }


def _names(users: list[str], name: Name) -> str:
    shown = [name(u) for u in users[:NAMES_LISTED]]
    more = len(users) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "") if users else "nobody"


def team_card(
    team: Team, *, flow: Flow, result: Mapping[str, Any] | None, mention: Name
) -> dict[str, Any]:
    """The card: progress while answers are hidden, the results after the reveal."""
    title = team.title or shared.DEFAULT_TITLE
    who = shared.CARD_ANONYMOUS if team.anonymous else shared.CARD_NAMED
    gone = shared.left_note(team.left)
    head = [
        rich(run("Team: " + title, bold=True), size="Large"),
        rich(
            run("Started by "),
            run(mention(team.facilitator), bold=True),
            run(f" (facilitator). {who}{gone}"),
            subtle=True,
        ),
    ]

    def name(user: str) -> str:
        return team.name(user, mention=mention)

    if not (team.revealed and result is not None):
        return card([*head, *_progress(team, name)])
    for fold in FOLDS:
        built = card([*head, *_results(team, flow, result, fold, name)])
        if card_size(built) <= CARD_BUDGET:
            break
    return built


@dataclass(frozen=True, kw_only=True)
class Fold:
    """How much of the results a card shows: tried in order until one fits."""

    names: bool = True  # who chose what, beside each answer's count
    menus: str = "all"  # Settle menus on "all" disagreements, those that "matter", or "none"
    shown: int = 20  # disagreements shown one by one; the rest summed up in one line
    grouped: bool = False  # members' own advice grouped by headline, without names
    cost: bool = True


FOLDS = (
    Fold(),
    Fold(menus="matters"),
    Fold(names=False, grouped=True),
    Fold(names=False, grouped=True, menus="matters"),
    Fold(names=False, grouped=True, menus="matters", shown=10, cost=False),
    Fold(names=False, grouped=True, menus="none", shown=6, cost=False),
)


def _progress(team: Team, name: Name) -> list[dict[str, Any]]:
    finished = [s.user for s in team.finished]
    answering = [s.user for s in team.answering]

    def names(users: list[str]) -> dict[str, Any]:
        return run(_names(users, name), limit=NAMES_LIMIT)

    body = [
        rich(run(f"Finished ({len(finished)}): ", bold=True), names(finished)),
        rich(run(f"Still answering ({len(answering)}): ", bold=True), names(answering)),
    ]
    if team.observers:
        watching = [s.user for s in team.observers]
        body.append(
            rich(run(f"Watching ({len(watching)}): ", bold=True), run(_names(watching, name)))
        )
    if team.closed:
        body.append(line("This team assessment is closed.", subtle=True))
        return body
    body.append(
        line(
            "Each member answers the same questions privately, in a personal chat with me. "
            "Answers stay hidden until every member has finished or the facilitator reveals "
            "them. Only the facilitator can reveal, remind, or close it (Close ends the "
            "assessment and shows what is finished).",
            subtle=True,
        )
    )
    body.append(
        {
            "type": "ActionSet",
            "actions": [
                submit("Join", {"team": JOIN}, style="positive"),
                submit("Join as observer", {"team": OBSERVE}),
                submit("Reveal answers", {"team": REVEAL}),
                submit("Remind", {"team": REMIND}),
                submit("Close", {"team": CLOSE}),
            ],
        }
    )
    return body


def _spread(
    team: Team, flow: Flow, d: Mapping[str, Any], names: Mapping[str, Any], *, named: bool
) -> dict[str, Any]:
    """One disagreement in one RichTextBlock (a block per line would double its size): the
    question, each answer with its count (and names), and whether it changes the advice."""
    qid = str(d["question"])
    question = flow.question(qid)
    options = names["option"].get(qid, {})
    by_option: dict[str, list[str]] = {}
    for member, option in d["answers"].items():
        by_option.setdefault(str(option), []).append(str(member))
    runs = [run(question.short if question is not None else qid, bold=True)]
    for option, members in sorted(by_option.items(), key=lambda kv: -len(kv[1])):
        listed = ": " + ", ".join(members[:NAMES_LISTED]) if named else ""
        if named and len(members) > NAMES_LISTED:
            listed += f" and {len(members) - NAMES_LISTED} more"
        runs.append(run("\n" + str(options.get(option, option)), italic=True))
        runs.append(run(f" ({len(members)}){listed}", limit=NAMES_LIMIT))
    changes = d.get("changes")
    if changes:
        other = options.get(changes["answer"], changes["answer"])
        depth = names["depth"].get(changes["depth"], changes["depth"])
        hosting = names["hosting"].get(changes["hosting"], changes["hosting"])
        matters = f"It matters: going with “{other}” changes the advice to {depth}, {hosting}."
    else:
        matters = "Either way the advice stays the same."
    settled = team.settled.get(qid)
    if settled:
        matters += f" Settled: {options.get(settled, settled)}."
    runs.append(run("\n" + matters, bold=bool(changes)))
    return rich(*runs)


def _settle_menu(flow: Flow, qid: str, chosen: set[str]) -> dict[str, Any] | None:
    """Settle: pick, among the answers members chose, the one the team goes with."""
    question = flow.question(qid)
    options = [o for o in question.options if o.id in chosen] if question is not None else []
    if not options:
        return None
    choices = {
        "type": "Input.ChoiceSet",
        "id": SETTLE_INPUT + qid,
        "style": "compact",
        "value": options[0].id,
        "choices": [{"title": _clip(o.label, 80), "value": o.id} for o in options],
    }
    inner = card([choices])
    inner.pop("$schema")
    inner["actions"] = [submit("Go with this answer", {"team": SETTLE, "q": qid})]
    show = {"type": "Action.ShowCard", "title": "Settle", "card": inner}
    return {"type": "ActionSet", "actions": [show]}


def _results(
    team: Team, flow: Flow, result: Mapping[str, Any], fold: Fold, name: Name
) -> list[dict[str, Any]]:
    names = labels(flow)
    info = result["team"]
    disagreements = list(info["disagreements"])
    body: list[dict[str, Any]] = []
    if team.answering:
        done = f"Revealed with {len(team.finished)} of {len(team.members)} members done."
        body.append(line(done, subtle=True))
    if disagreements:
        body.append(
            rich(run(f"Where you disagree ({len(disagreements)})", bold=True), size="Medium")
        )
        for d in disagreements[: fold.shown]:
            items = [_spread(team, flow, d, names, named=fold.names and not team.anonymous)]
            chosen = {str(o) for o in d["answers"].values()}
            menu = _settle_menu(flow, str(d["question"]), chosen)
            wanted = fold.menus == "all" or (fold.menus == "matters" and d.get("changes"))
            if menu is not None and wanted and not team.closed:
                items.append(menu)
            body.append({"type": "Container", "separator": True, "items": items})
        rest = disagreements[fold.shown :]
        if rest:
            shorts = ", ".join(names["question"].get(d["question"], "") for d in rest)
            body.append(line(f"{len(rest)} more: {shorts}", subtle=True))
    else:
        body.append(rich(run("Everyone answered every question the same way.", bold=True)))
    differ = {str(d["question"]) for d in disagreements}
    for qid, option in team.settled.items():  # settled where nobody (any more) disagrees
        if qid not in differ and qid in names["question"]:
            label = names["option"][qid].get(option, option)
            body.append(line(f"{names['question'][qid]}: Settled: {label}.", subtle=True))
    agreed = [q for q in info["consensus"]["answers"] if q not in differ and q in names["question"]]
    if agreed:
        shorts = ", ".join(names["question"][q] for q in agreed)
        body.append(line(f"Agreed on {len(agreed)} questions: {shorts}", subtle=True))
    rec = info["recommendation"]
    depth = names["depth"].get(rec["depth"], rec["depth"])
    hosting = names["hosting"].get(rec["hosting"], rec["hosting"])
    how = sorted({HOW[h] for h in info["consensus"]["how"].values() if h in HOW})
    body += [
        {
            "type": "Container",
            "separator": True,
            "items": [
                rich(run("The team's advice: ", bold=True), run(f"{depth}, {hosting}")),
                line(str(rec["headline"])),
                line(
                    f"On the team's answers: {', '.join(how) or 'no answers yet'}, per question "
                    "(data rules: the strictest; readiness: the lower median; others: the most "
                    "chosen, ties to the cautious side).",
                    subtle=True,
                ),
            ],
        },
        rich(run("Each member's own advice", bold=True)),
    ]
    individual = info["individual"]
    if fold.grouped:
        heads = Counter(str(i["recommendation"]["headline"]) for i in individual)
        body += [line(f"{n} of {len(individual)}: {h}") for h, n in heads.most_common(10)]
    else:
        body += [line(f"{i['member']}: {i['recommendation']['headline']}") for i in individual]
    if fold.cost:
        body += _cost(result.get("cost"))
    steps = [str(s) for s in result.get("next_steps", [])]
    if steps:
        body.append(rich(run("Next steps", bold=True)))
        body += [line("• " + s) for s in steps[:8]]
    if team.closed:
        body.append(line("This team assessment is closed.", subtle=True))
    else:
        body.append({"type": "ActionSet", "actions": [submit("Close", {"team": CLOSE})]})
    return body


def _cost(cost: Any) -> list[dict[str, Any]]:
    if not isinstance(cost, Mapping):
        return [line("No cost comparison: the team's monthly volume is not known.", subtle=True)]
    facts = []
    for o in cost.get("options", []):
        if not o.get("allowed"):
            continue
        monthly, upfront = o["monthly_usd"], o["upfront_usd"]
        value = f"{usd(monthly['low'])} to {usd(monthly['high'])} a month"
        if upfront.get("high"):
            value += f", plus {usd(upfront['low'])} to {usd(upfront['high'])} upfront"
        facts.append({"title": _clip(str(o["label"]), 80), "value": value})
    head = rich(run("Cost on the team's answers", bold=True))
    if not facts:
        return [head, line("None of the priced options is allowed for the team's data.")]
    return [head, {"type": "FactSet", "facts": facts}]
