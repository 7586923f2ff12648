"""The team card in Block Kit (issue 14), built as data (so no user text can break the JSON):
before the reveal, who has finished and who is still answering (names only); after it, the
disagreements first, then the team's advice on the consensus, each member's own headline and
the next steps. Agreed questions are folded into one line. Fits Block Kit's limits for a team
of 100 and every question in disagreement (tests/bot/slack/test_team.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.render import labels
from bot.slack.render import value
from dialogs import team_texts as shared
from dialogs.flow import Flow
from dialogs.team_session import Team

# Action ids of the team card's controls; each has its handler in bot/slack/listeners/team.py.
TEAM_JOIN = "team_join"
TEAM_OBSERVE = "team_observe"
TEAM_REVEAL = "team_reveal"
TEAM_REMIND = "team_remind"
TEAM_CLOSE = "team_close"
TEAM_SETTLE = "team_settle"
TEAM_ACTIONS = (TEAM_JOIN, TEAM_OBSERVE, TEAM_REVEAL, TEAM_REMIND, TEAM_CLOSE, TEAM_SETTLE)

SECTION_LIMIT = 3000  # characters of a section's text
BLOCK_LIMIT = 50
HEADER_LIMIT = 150
# Disagreements shown one section each, at most; the rest are summed up in one line.
SHOWN_DISAGREEMENTS = 20
# Names listed on a line of progress, at most ("and 12 more" after them).
NAMES_LISTED = 40
HOW = {
    "strictest": "the strictest answer",
    "lower_median": "the lower median",
    "majority": "the most chosen answer",
    "settled": "settled by the facilitator",
}


def escape(text: str) -> str:
    """User text in mrkdwn: no live mentions, links or broadcasts."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user: str) -> str:
    return f"<@{user}>"


def _clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names(team: Team, users: list[str]) -> str:
    shown = [team.name(u, mention=mention) for u in users[:NAMES_LISTED]]
    more = len(users) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "") if users else "nobody"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


def _button(action_id: str, text: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value(k="team"),
    }
    if style:
        button["style"] = style
    return button


def team_card(team: Team, *, flow: Flow, result: Mapping[str, Any] | None) -> dict[str, Any]:
    """The card's `text` and `blocks`: progress while answers are hidden, the results after."""
    title = team.title or shared.DEFAULT_TITLE
    header = {
        "type": "header",
        "text": {"type": "plain_text", "text": _clip("Team: " + title, HEADER_LIMIT)},
    }
    who = shared.CARD_ANONYMOUS if team.anonymous else shared.CARD_NAMED
    gone = shared.left_note(team.left)
    blocks: list[dict[str, Any]] = [
        header,
        _context(f"Started by {mention(team.facilitator)} (facilitator). {who}{gone}"),
    ]
    text = f"Team assessment: {escape(title)}"
    if not (team.revealed and result is not None):
        return {"text": text, "blocks": [*blocks, *_progress(team)][:BLOCK_LIMIT]}
    for fold in FOLDS:
        card = [*blocks, *_results(team, flow, result, fold)][:BLOCK_LIMIT]
        if blocks_size(card) <= BLOCKS_BUDGET:
            break
    return {"text": text, "blocks": card}


@dataclass(frozen=True, kw_only=True)
class Fold:
    """How much of the results a card shows: tried in order until one fits Slack's size."""

    names: bool = True  # who chose what, beside each answer's count
    menus: str = "all"  # settle menus on "all" disagreements, those that "matter", or "none"
    shown: int = SHOWN_DISAGREEMENTS  # disagreements with a section of their own
    grouped: bool = False  # members' own advice grouped by headline, without names


FOLDS = (
    Fold(),
    Fold(names=False, grouped=True),
    Fold(names=False, grouped=True, menus="matters"),
    Fold(names=False, grouped=True, menus="matters", shown=10),
    Fold(names=False, grouped=True, menus="none", shown=8),
)
# Slack refuses messages of about 12,000 characters of blocks (bot/slack/render.py).
BLOCKS_BUDGET = 11_500


def blocks_size(blocks: list[dict[str, Any]]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))


def _progress(team: Team) -> list[dict[str, Any]]:
    finished = [s.user for s in team.finished]
    answering = [s.user for s in team.answering]
    lines = [
        f"*Finished ({len(finished)}):* {_names(team, finished)}",
        f"*Still answering ({len(answering)}):* {_names(team, answering)}",
    ]
    if team.observers:
        watching = [s.user for s in team.observers]
        lines.append(f"*Watching ({len(watching)}):* {_names(team, watching)}")
    blocks = [_section("\n".join(lines))]
    if team.closed:
        blocks.append(_context("This team assessment is closed."))
        return blocks
    blocks.append(
        _context(
            "Each member answers the same questions privately, in a direct message with me. "
            "Answers stay hidden until every member has finished or the facilitator reveals "
            "them. Only the facilitator can reveal, remind or close."
        )
    )
    blocks.append(
        {
            "type": "actions",
            "block_id": "team_join",
            "elements": [
                _button(TEAM_JOIN, "Join", style="primary"),
                _button(TEAM_OBSERVE, "Join as observer"),
                _button(TEAM_REVEAL, "Reveal answers"),
                _button(TEAM_REMIND, "Remind"),
                _button(TEAM_CLOSE, "Close"),
            ],
        }
    )
    return blocks


def _spread(
    team: Team, flow: Flow, d: Mapping[str, Any], names: Mapping[str, Any], *, named: bool
) -> str:
    question = flow.question(str(d["question"]))
    short = question.short if question is not None else str(d["question"])
    options = names["option"].get(str(d["question"]), {})
    by_option: dict[str, list[str]] = {}
    for member, option in d["answers"].items():
        by_option.setdefault(str(option), []).append(str(member))
    parts = []
    for option, members in sorted(by_option.items(), key=lambda kv: -len(kv[1])):
        label = escape(str(options.get(option, option)))
        listed = ": " + ", ".join(members[:NAMES_LISTED]) if named else ""
        if named and len(members) > NAMES_LISTED:
            listed += f" and {len(members) - NAMES_LISTED} more"
        parts.append(f"• _{label}_ ({len(members)}){listed}")
    changes = d.get("changes")
    if changes:
        other = escape(str(options.get(changes["answer"], changes["answer"])))
        depth = names["depth"].get(changes["depth"], changes["depth"])
        hosting = names["hosting"].get(changes["hosting"], changes["hosting"])
        matters = f"It matters: going with _{other}_ changes the advice to {depth}, {hosting}."
    else:
        matters = "Either way the advice stays the same."
    settled = team.settled.get(str(d["question"]))
    if settled:
        matters += f" Settled: _{escape(str(options.get(settled, settled)))}_."
    return f"*{escape(short)}*\n" + "\n".join(parts) + "\n" + matters


def _settle_menu(flow: Flow, question_id: str) -> dict[str, Any] | None:
    question = flow.question(question_id)
    if question is None or not question.options:
        return None
    return {
        "type": "static_select",
        "action_id": TEAM_SETTLE,
        "placeholder": {"type": "plain_text", "text": "Settle it"},
        "options": [
            {
                "text": {"type": "plain_text", "text": _clip(o.label, 75)},
                "value": value(q=question_id, o=o.id),
            }
            for o in question.options[:100]
        ],
    }


def _results(team: Team, flow: Flow, result: Mapping[str, Any], fold: Fold) -> list[dict[str, Any]]:
    names = labels(flow)
    info = result["team"]
    disagreements = list(info["disagreements"])
    blocks: list[dict[str, Any]] = []
    if team.answering:
        blocks.append(
            _context(f"Revealed with {len(team.finished)} of {len(team.members)} members done.")
        )
    if disagreements:
        blocks.append(_section(f"*Where you disagree ({len(disagreements)})*"))
        for d in disagreements[: fold.shown]:
            named = fold.names and not team.anonymous
            section = _section(_spread(team, flow, d, names, named=named))
            menu = _settle_menu(flow, str(d["question"]))
            wanted = fold.menus == "all" or (fold.menus == "matters" and d.get("changes"))
            if menu is not None and wanted and not team.closed:
                section["accessory"] = menu
            blocks.append(section)
        rest = disagreements[fold.shown :]
        if rest:
            shorts = ", ".join(escape(names["question"].get(d["question"], "")) for d in rest)
            blocks.append(_context(f"{len(rest)} more: {shorts}"))
    else:
        blocks.append(_section("*Everyone answered every question the same way.*"))
    differ = {str(d["question"]) for d in disagreements}
    agreed = [q for q in info["consensus"]["answers"] if q not in differ and q in names["question"]]
    if agreed:
        shorts = ", ".join(escape(names["question"][q]) for q in agreed)
        blocks.append(_context(f"Agreed on {len(agreed)} questions: {shorts}"))
    rec = info["recommendation"]
    depth = names["depth"].get(rec["depth"], rec["depth"])
    hosting = names["hosting"].get(rec["hosting"], rec["hosting"])
    how = sorted({HOW[h] for h in info["consensus"]["how"].values() if h in HOW})
    blocks.append(
        _section(
            f"*The team's advice:* {depth}, {hosting}\n{escape(str(rec['headline']))}\n"
            f"_On the team's answers: {', '.join(how) or 'no answers yet'}, per question "
            "(data rules: the strictest; readiness: the lower median; others: the most "
            "chosen, ties to the cautious side)._"
        )
    )
    if fold.grouped:
        heads = Counter(str(i["recommendation"]["headline"]) for i in info["individual"])
        own = [f"• {n} of {len(info['individual'])}: {escape(h)}" for h, n in heads.most_common()]
    else:
        own = [
            f"• {i['member']}: {escape(str(i['recommendation']['headline']))}"
            for i in info["individual"]
        ]
    blocks.append(_section("*Each member's own advice*\n" + "\n".join(own)))
    steps = [f"• {escape(str(s))}" for s in result.get("next_steps", [])]
    if steps:
        blocks.append(_section("*Next steps*\n" + "\n".join(steps)))
    if team.closed:
        blocks.append(_context("This team assessment is closed."))
    else:
        blocks.append(
            {
                "type": "actions",
                "block_id": "team_after",
                "elements": [_button(TEAM_CLOSE, "Close")],
            }
        )
    return blocks
