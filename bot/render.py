"""Jinja2 rendering shared by every adapter: templates loaded from the installed package."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Hashable, Iterable
from json.encoder import encode_basestring_ascii
from typing import Any, Generic, TypeVar

import jinja2

from dialogs.errors import RenderError
from dialogs.flow import Flow

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(value: object) -> str:
    """Drop control characters (terminal escapes, bidi overrides) from untrusted text."""
    return _CONTROL.sub("", str(value))


def usd(value: float | int) -> str:
    return f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


def tokens(value: int) -> str:
    for size, unit in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "k")):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return str(value)


def extract(key: str, mapping: dict[str, str]) -> str:
    """`ids | map("extract", labels.depth)`: look each id up in a label table."""
    return mapping.get(key, key)


def mrkdwn(value: object) -> str:
    """Escape Slack mrkdwn control characters so `<!channel>`, `<@U..>` and links stay text."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TEAMS_LINK = re.compile(r"\]\s*\(")


def teams_text(value: object) -> str:
    """Defuse Adaptive Card TextBlock features in text: `{{DATE(...)}}` functions and links."""
    text = _CONTROL.sub("", str(value))
    return _TEAMS_LINK.sub("] (", text.replace("{{", "{ {").replace("}}", "} }"))


def code(value: object) -> str:
    text = str(value).replace("`", "'")
    return f"`{text}`"


def bullets(items: Iterable[object]) -> str:
    return "\n".join(f"• {item}" for item in items)


def numbered(items: Iterable[object]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def zip_lines(left: Iterable[object], right: Iterable[object]) -> str:
    """`• left — right` lines, for help and status lists."""
    return "\n".join(f"• {a} — {b}" for a, b in zip(left, right, strict=False))


def pairs(left: Iterable[object], right: Iterable[object]) -> str:
    """`left: right · left: right`, for a compact answers line."""
    return " · ".join(f"{a}: {b}" for a, b in zip(left, right, strict=False))


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """`{{ n | plural("question") }}`: "1 question", "3 questions"."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


# Where a wrapped line's continuation starts: under the text after a list marker ("1) ", "• ",
# "! "), a "[3/17] " counter, an aligned "label : " column or a help "name   " column; else two
# columns in from an indented line's own indent.
_HANG = re.compile(
    r" *(?:(?:\d+[.)]|[•!+-]|->|\[\d+/\d+\]) +|\S[^:]{0,40}? +: +|\S.{0,30}? {2,}(?=\S))"
)
_SPAN = re.compile(r"`[^`\n]*`")
_GLUE = "\ue000"  # a private-use character: a space inside a `command` that must not break
_ROOM = 24  # the least text a continuation line keeps beside a hanging indent


def flag_line(flag: dict[str, str]) -> str:
    """A red flag and when to look at training again (what to do first is a next step)."""
    return f"{flag['text']} Revisit {flag['revisit']}"


def glossary_line(entry: dict[str, str], *, short: bool = False) -> str:
    """A term and its meaning; `short` keeps the meaning's first sentence (cards have little
    room; `help <term>` gives the rest)."""
    meaning = entry["meaning"]
    if short:
        meaning = re.split(r"(?<=[.!?])\s", meaning, maxsplit=1)[0]
    return f"{entry['term']}: {meaning}"


def assumed_lines(assumed: dict[str, str], names: dict[str, Any]) -> list[str]:
    """`{question: option}` taken in place of missing answers, in words ("Budget: Under $10k")."""
    return [
        f"{names['question'].get(q, q)}: {names['option'].get(q, {}).get(o, o)}"
        for q, o in assumed.items()
    ]


def by_answer(answers: dict[str, str]) -> list[tuple[str, list[str]]]:
    """`{member: option}` grouped by option, the most chosen first ("ana, cy: regulated")."""
    groups: dict[str, list[str]] = {}
    for member, option in answers.items():
        groups.setdefault(option, []).append(member)
    return sorted(groups.items(), key=lambda item: -len(item[1]))


def wrap(text: str, width: int) -> str:
    """Fold each line to `width` columns at spaces, never inside a word or a `command`; a line's
    continuation is indented under its text. A single word longer than `width` stays whole."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        glued = _SPAN.sub(lambda m: m.group().replace(" ", _GLUE), line)
        indent = len(glued) - len(glued.lstrip(" "))
        marker = _HANG.match(glued)
        hang = len(marker.group()) if marker else indent + 2 if indent else 0
        if width - hang < _ROOM:
            hang = indent
        folded = textwrap.fill(
            glued,
            width,
            subsequent_indent=" " * hang,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out.append(folded.replace(_GLUE, " "))
    return "\n".join(out)


def json_value(value: object) -> str:
    """`tojson` for JSON templates: the value as JSON text (strings through the C encoder).
    Jinja2's own filter also HTML-escapes and wraps in Markup, which JSON has no use for."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    return json.dumps(value)


def create_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        # The repository's templates/ folder, installed as `bot.templates` (pyproject.toml): found
        # by package, so neither the working directory nor another `templates` can stand in.
        loader=jinja2.PackageLoader(f"{__package__}.templates", "."),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Templates ship with the package; checking their files on every render is wasted work.
        auto_reload=False,
    )
    env.filters["tojson"] = json_value
    env.filters["plain"] = plain
    env.filters["usd"] = usd
    env.filters["tokens"] = tokens
    env.filters["extract"] = extract
    env.filters["mrkdwn"] = mrkdwn
    env.filters["teams_text"] = teams_text
    env.filters["code"] = code
    env.filters["bullets"] = bullets
    env.filters["numbered"] = numbered
    env.filters["zip_lines"] = zip_lines
    env.filters["pairs"] = pairs
    env.filters["plural"] = plural
    env.filters["flag_line"] = flag_line
    env.filters["glossary_line"] = glossary_line
    env.filters["assumed_lines"] = assumed_lines
    env.filters["by_answer"] = by_answer
    return env


def labels(flow: Flow) -> dict[str, Any]:
    """Display names of recommendation, question and option ids, for templates."""
    s = flow.scoring
    return {
        "depth": {d.value: r.label for d, r in s.depths.items()},
        "hosting": {h.value: r.label for h, r in s.hostings.items()},
        "component": {c.value: text for c, text in s.component_labels.items()},
        "question": {q.id: q.short for q in flow.questions},
        "option": {q.id: {o.id: o.label for o in q.options} for q in flow.questions},
    }


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most `size` entries, the oldest put first out: for renders worth keeping."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        if len(self._items) >= self.size:
            self._items.pop(next(iter(self._items)))
        self._items[key] = value

    def __len__(self) -> int:
        return len(self._items)


class JsonRenderer:
    """Renders JSON templates (Block Kit, Adaptive Cards) with the flow's labels and parses the
    result, so a template that emits broken JSON fails with its name, not at the platform."""

    def __init__(self, *, env: jinja2.Environment, flow: Flow, folder: str) -> None:
        self.env = env
        self.flow = flow
        self.folder = folder
        self.labels = labels(flow)
        # Templates by path: the environment's own cache takes a lock and a loader check.
        self._templates: dict[str, jinja2.Template] = {}

    def _load(self, path: str) -> jinja2.Template:
        template = self._templates[path] = self.env.get_template(path)
        return template

    def render_json(self, name: str, **context: Any) -> tuple[dict[str, Any], int]:
        """The parsed payload and the size of the rendered text in bytes."""
        path = f"{self.folder}/{name}"
        try:
            template = self._templates.get(path) or self._load(path)
            text = template.render(labels=self.labels, **context)
        except jinja2.TemplateError as exc:
            raise RenderError(f"templates/{path}: {exc}") from exc
        try:
            payload: dict[str, Any] = json.loads(text)
        except ValueError as exc:
            raise RenderError(f"templates/{path}: rendered JSON does not parse: {exc}") from exc
        return payload, len(text.encode())


class Renderer:
    """Renders one folder of templates (`console`, `markdown`, ...) with the flow's labels."""

    def __init__(self, *, env: jinja2.Environment, flow: Flow, folder: str) -> None:
        self.env = env
        self.flow = flow
        self.folder = folder
        self.labels = labels(flow)

    def render(self, name: str, **context: Any) -> str:
        path = f"{self.folder}/{name}"
        try:
            template = self.env.get_template(path)
            return template.render(labels=self.labels, **context).strip("\n")
        except jinja2.TemplateError as exc:
            raise RenderError(f"templates/{path}: {exc}") from exc
