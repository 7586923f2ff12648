"""The README stays true: the numbers it quotes, the ids it lists and the files it names are
worked out here from the code, the flow and the repository."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot.settings import Settings
from dialogs.cost import load_assumptions
from dialogs.flow import Flow

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The prose and tables, without the fenced blocks (whose backticks would pair up with the text's).
PROSE = re.sub(r"^```.*?^```\n", "", README, flags=re.MULTILINE | re.DOTALL)


def section(title: str) -> str:
    """The README's text under a heading, up to the next heading of any level."""
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#)", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of the Markdown tables in `text`."""
    rows = []
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            rows.append([c.strip() for c in cells])
    return rows


def quoted(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def test_the_question_counts_are_the_flows(flow: Flow) -> None:
    choices = [q for q in flow.questions if q.input == "choice"]
    typed = [q for q in flow.questions if q.input != "choice"]
    conditional = [q.id for q in flow.questions if q.ask_if.require]
    text = " ".join(README.split())
    assert f"{len(choices)} multiple-choice questions" in text
    assert f"{len(flow.questions)} questions in all" in text
    # The sentence says one typed question, asked only on a condition, and two conditional
    # choice questions; it must stay so.
    assert len(typed) == 1 and typed[0].id in conditional and len(conditional) == 3
    assert "two of them are asked only for some data answers" in text
    assert "a typed one for the exact figure" in text and "only once a monthly volume" in text


def test_the_ids_table_is_the_flow(flow: Flow) -> None:
    rows = table_rows(section("Question and option ids"))
    assert [quoted(row[0])[0] for row in rows] == [q.id for q in flow.questions]
    for row, question in zip(rows, flow.questions, strict=True):
        _, short, options = row
        assert short == question.short, question.id
        if question.input == "choice":
            assert quoted(options.split(";")[0]) == [o.id for o in question.options], question.id
        else:
            assert "a number of tokens" in options, question.id
        named = set(quoted(options))
        for asked_after, allowed in question.ask_if.require.items():
            assert "asked only when" in options, question.id
            assert {asked_after, *allowed} <= named, question.id
        if not question.ask_if.require:
            assert "asked only when" not in options, question.id


def configuration_rows() -> dict[str, str]:
    """Variable -> its default as the Configuration table gives it."""
    return {quoted(row[0])[0]: row[1] for row in table_rows(section("Configuration"))}


def test_the_configuration_table_names_every_variable_the_settings_read() -> None:
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    read = {name for name in re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', source)}
    assert set(configuration_rows()) == read


def quoted_defaults() -> dict[str, str]:
    """The defaults the table quotes as a value (others say "required for ..." or the like)."""
    found = {name: re.fullmatch(r"`([^`]+)`", cell) for name, cell in configuration_rows().items()}
    return {name: match.group(1) for name, match in found.items() if match}


# Defaults that are files: the README names the file that loads when the variable is unset.
FILE_DEFAULTS = {"ADVISOR_COST_ASSUMPTIONS": lambda: load_assumptions().source}


@pytest.mark.parametrize(("name", "value"), sorted(quoted_defaults().items()))
def test_each_quoted_default_is_the_default(name: str, value: str) -> None:
    if name in FILE_DEFAULTS:
        assert value == FILE_DEFAULTS[name]()
    else:  # setting the variable to the quoted default changes nothing
        assert Settings.read({name: value}) == Settings.read({})


def test_the_versions_it_quotes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    python = re.search(r"Python (3\.\d+) or newer", README)
    assert python and project["requires-python"] == f">={python.group(1)}"
    sdk = re.search(r"\((4\.\d+\.\d+) is its last\s+release\)", README)
    assert sdk and f"botbuilder-core=={sdk.group(1)}" in project["dependencies"]
    card = re.search(r"Adaptive Card \(version (\d\.\d)\)", README)
    template = (ROOT / "templates" / "teams" / "_card.j2").read_text(encoding="utf-8")
    assert card and f'"version": "{card.group(1)}"' in template


def generated() -> set[str]:
    """Top-level folders the scripts make and .gitignore keeps out of the repository."""
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    return {line.strip().strip("/") for line in lines if line.strip().endswith("/")}


FILE_NAME = re.compile(r"[\w.-]+\.(py|md|toml|lock|ya?ml|json|j2|sh)")


def named_paths() -> list[str]:
    """Every `quoted` span of the README that names a file or folder of the repository (not
    those the scripts make, such as .venv/)."""
    paths = []
    for span in dict.fromkeys(quoted(PROSE)):
        if re.search(r"\s", span) or "://" in span or span.startswith(("/", "-", "?")):
            continue  # a command, a URL, an HTTP route, an option or a query
        if ("/" in span or FILE_NAME.fullmatch(span)) and span.split("/")[0] not in generated():
            paths.append(span)
    return paths


def test_the_ids_are_pointed_to_where_they_are() -> None:
    assert "dialogs/flows/build_vs_buy.yaml" in named_paths()
    assert "framework document" not in README  # never in the repository


@pytest.mark.parametrize("path", named_paths())
def test_every_file_it_names_exists(path: str) -> None:
    pattern = re.sub(r"<[^>]+>", "*", path).rstrip("/")  # templates/<platform>/*.j2
    assert list(ROOT.glob(pattern)), f"README names {path}, which does not exist"
