"""deploy/Dockerfile: lint-clean, multi-stage, non-root, and installing what the README installs."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.deploy.support import (
    DEPLOY,
    HADOLINT,
    ROOT,
    Instruction,
    dockerignore_excludes,
    parse_dockerfile,
    run_offline,
)

DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
PORT = 8080
SERVE = ["llm-advisor", "serve", "--host", "0.0.0.0", "--port", str(PORT)]


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    defaults = {}
    for i in instructions:
        if i.keyword == "ARG" and "=" in i.arguments:
            name, _, value = i.arguments.partition("=")
            defaults[name.strip()] = value.strip()
    return defaults


def expand(text: str, defaults: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: defaults[m[1] or m[2]], text)


def one(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in instructions if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def exec_form(instruction: Instruction) -> list[str]:
    text = instruction.arguments
    if instruction.keyword == "HEALTHCHECK":
        text = text[text.index("CMD ") + 4 :].strip()
    argv = json.loads(text)
    assert isinstance(argv, list), f"{instruction.keyword} must use the JSON (exec) form"
    return [str(a) for a in argv]


# ---- hadolint --------------------------------------------------------------------------------


def hadolint(dockerfile: Path, cwd: Path) -> list[dict[str, object]]:
    """hadolint's findings at every level (style included), with no user or project config."""
    result = run_offline(
        [
            HADOLINT.path(),
            "--no-color",
            "--format",
            "json",
            "--failure-threshold",
            "style",
            str(dockerfile),
        ],
        cwd=cwd,
    )
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout or "[]")
    return findings


def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    findings = hadolint(DOCKERFILE, tmp_path)
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)


def test_hadolint_does_lint(tmp_path: Path) -> None:
    """A control: the same run reports the usual mistakes, so a clean result means something."""
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "FROM python:latest\nRUN apt-get update && apt-get install -y curl\n"
        "RUN pip install requests\nCMD python app.py\n"
    )
    codes = {f["code"] for f in hadolint(bad, tmp_path)}
    assert {"DL3007", "DL3008", "DL3013", "DL3025"} <= codes, codes


# ---- structure -------------------------------------------------------------------------------


def test_multi_stage_on_a_slim_python(instructions: list[Instruction]) -> None:
    defaults = arg_defaults(instructions)
    froms = [i for i in instructions if i.keyword == "FROM"]
    assert len(froms) >= 2, "the Dockerfile must be multi-stage"
    bases = [expand(f.arguments.split()[0], defaults) for f in froms]
    assert re.fullmatch(r"python:3\.1[12]-slim", bases[-1]), bases
    # The venv is copied between stages: both must be the same Python at the same path.
    assert bases[0] == bases[-1], bases
    builder = froms[0].arguments.split()
    assert builder[1:] == ["AS", "builder"], froms[0]


def test_final_stage_has_no_build_tools(instructions: list[Instruction]) -> None:
    final = final_stage(instructions)
    copies = [i.arguments for i in final if i.keyword == "COPY"]
    assert copies == ["--from=builder /opt/venv /opt/venv"], copies
    for run in (i for i in final if i.keyword == "RUN"):
        words = set(re.split(r"[\s;&|]+", run.arguments))
        assert not words & {"apt-get", "apt", "pip", "pip3", "gcc", "make", "curl", "wget"}, run
    assert not any(i.keyword == "ADD" for i in final)


def test_runs_as_a_numeric_non_root_user(instructions: list[Instruction]) -> None:
    final = final_stage(instructions)
    users = [i for i in final if i.keyword == "USER"]
    assert users, "the final stage must set USER"
    uid, _, gid = users[-1].arguments.partition(":")
    # Numeric, so Kubernetes' runAsNonRoot can verify it; the same id as the Deployment's.
    assert uid.isdigit() and int(uid) > 0 and (not gid or gid.isdigit()), users[-1]
    assert final.index(users[-1]) < final.index(one(final, "CMD"))
    assert f"--uid {uid}" in " ".join(i.arguments for i in final if i.keyword == "RUN")


def test_expose_and_cmd(instructions: list[Instruction]) -> None:
    final = final_stage(instructions)
    assert one(final, "EXPOSE").arguments == str(PORT)
    assert exec_form(one(final, "CMD")) == SERVE
    assert "ENTRYPOINT" not in {i.keyword for i in final}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert SERVE[0] in scripts


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        _Health.status = 200


def test_healthcheck_asks_healthz_with_the_standard_library(
    instructions: list[Instruction], health_server: HTTPServer
) -> None:
    check = one(final_stage(instructions), "HEALTHCHECK")
    argv = exec_form(check)
    assert argv[:2] == ["python", "-c"], argv
    url = f"http://127.0.0.1:{PORT}/healthz"
    assert url in argv[2] and "urllib.request" in argv[2], argv
    assert re.search(r"--timeout=\d+s", check.arguments), check.arguments
    # Run the very command against a stand-in: healthy, then failing.
    port = health_server.server_address[1]
    code = argv[2].replace(f":{PORT}/", f":{port}/")
    command = [sys.executable, "-I", "-c", code]
    ok = subprocess.run(command, capture_output=True, timeout=10, check=False)
    assert ok.returncode == 0, ok.stderr
    _Health.status = 503
    failing = subprocess.run(command, capture_output=True, timeout=10, check=False)
    assert failing.returncode != 0


# ---- what it installs ------------------------------------------------------------------------


def readme_install_target() -> str:
    """What the README's `pip install X` installs (the first such command in it)."""
    found = re.search(r"`pip install ([^`]+)`", (ROOT / "README.md").read_text())
    assert found, "the README names no `pip install` command"
    return found[1].strip().strip("'\"")


def pip_commands(instructions: list[Instruction]) -> list[tuple[str, list[str]]]:
    """Every pip invocation in a RUN: (subcommand, argv from `pip` on)."""
    found = []
    for run in (i for i in instructions if i.keyword == "RUN"):
        for part in re.split(r"&&|;|\|\|", run.arguments):
            argv = shlex.split(part)
            if argv[:3] == ["python", "-m", "pip"]:
                argv = ["pip", *argv[3:]]
            if not argv or argv[0].rsplit("/", 1)[-1] not in ("pip", "pip3"):
                continue
            rest = argv[1:]
            while rest and rest[0].startswith("-"):  # global options, `--python X` the only one
                rest = rest[2:] if rest[0] == "--python" else rest[1:]
            found.append((rest[0], argv))
    return found


def test_installs_exactly_what_the_readme_installs(instructions: list[Instruction]) -> None:
    """`pip install .` = build the wheel of `.` + install it with its dependencies; the image
    takes the dependencies from the lock (hash-checked), then the wheel alone."""
    target = readme_install_target()
    assert target == ".", f"README installs {target!r}: update the Dockerfile and this test"
    commands = pip_commands(instructions)
    assert [verb for verb, _ in commands] == ["wheel", "install", "install"], commands
    (_, wheel), (_, locked), (_, install) = commands
    assert wheel[-1] == target, wheel
    assert "--no-deps" in wheel, wheel
    wheel_dir = wheel[wheel.index("--wheel-dir") + 1]
    # Into the venv, and nothing that changes what is resolved: only the lock's pins, then the
    # project's wheel with no resolution of its own.
    assert locked == [
        "pip",
        "--python",
        "/opt/venv/bin/python",
        "install",
        "--require-hashes",
        "--no-deps",
        "-r",
        "deploy/requirements.txt",
    ], locked
    assert install == [
        "pip",
        "--python",
        "/opt/venv/bin/python",
        "install",
        "--no-deps",
        f"{wheel_dir}/llm_advisor-*.whl",
    ], install


def copy_sources(instructions: list[Instruction]) -> list[str]:
    builder = [i for i in instructions if i.stage == 0 and i.keyword == "COPY"]
    sources: list[str] = []
    for copy in builder:
        words = [w for w in copy.arguments.split() if not w.startswith("--")]
        sources.extend(w.rstrip("/") for w in words[:-1])
    return sources


def source_folder(package: str) -> Path:
    """Where a package's files are in the checkout: setuptools' `package-dir` mapping applied
    (the longest mapped prefix wins; `bot.templates` is the repository's templates/ folder)."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping: dict[str, str] = setuptools.get("package-dir", {})
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in mapping:
            return ROOT / mapping[prefix] / "/".join(parts[cut:])
    return ROOT / mapping.get("", "") / "/".join(parts)


def test_source_folder_follows_package_dir() -> None:
    assert source_folder("bot.console") == ROOT / "bot" / "console"
    assert source_folder("bot.templates") == ROOT / "templates"
    assert source_folder("bot.templates.slack") == ROOT / "templates" / "slack"


def test_copies_every_package(instructions: list[Instruction]) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["setuptools"]["packages"]
    needed = {source_folder(p).relative_to(ROOT).parts[0] for p in packages} | {
        "pyproject.toml",
        pyproject["project"]["readme"],
    }
    assert needed <= set(copy_sources(instructions)), needed - set(copy_sources(instructions))


def test_the_copied_files_build_the_wheel(instructions: list[Instruction], tmp_path: Path) -> None:
    """Only what the Dockerfile copies, built as its builder does (offline here): every module
    and data file of the packages, and the console script, land in the wheel."""
    context = tmp_path / "src"
    context.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for source in copy_sources(instructions):
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, context / source, ignore=ignore)
        else:
            (context / source).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, context / source)
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--no-index", "-q", "--wheel-dir", str(wheels), "."),
        ],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("llm_advisor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data = pyproject["tool"]["setuptools"]["package-data"]
    for package in pyproject["tool"]["setuptools"]["packages"]:
        folder = source_folder(package)
        expected = {p.name for p in folder.glob("*.py")}
        assert expected, f"{package}: no modules in {folder}"
        for pattern in data.get(package, []):
            expected |= {p.name for p in folder.glob(pattern)}
        for name in expected:
            assert f"{package.replace('.', '/')}/{name}" in names, (package, name)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "llm-advisor = bot.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


# ---- build context ---------------------------------------------------------------------------


def ignore_patterns() -> list[str]:
    return DOCKERIGNORE.read_text().splitlines()


def test_dockerignore_lets_through_every_copied_file(instructions: list[Instruction]) -> None:
    patterns = ignore_patterns()
    checked = 0
    for source in copy_sources(instructions):
        origin = ROOT / source
        files = [origin] if origin.is_file() else [p for p in origin.rglob("*") if p.is_file()]
        for path in files:
            relative = path.relative_to(ROOT).as_posix()
            if "__pycache__" in relative or relative.endswith(".pyc"):
                continue
            assert not dockerignore_excludes(patterns, relative), relative
            checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        ".env",
        "deploy/.env",
        "bot/.env",
        "bot/__pycache__/cli.cpython-311.pyc",
        "dialogs/stores/__pycache__/redis_store.cpython-311.pyc",
        "tests/conftest.py",
        "build/lib/bot/cli.py",
        "llm_advisor.egg-info/PKG-INFO",
        ".hypothesis/examples/x",
        "deploy/kubernetes/secret.yaml",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert dockerignore_excludes(ignore_patterns(), path), path


def test_dockerignore_matcher_follows_docker_rules() -> None:
    """The matcher above, on the cases of Docker's documentation."""
    assert dockerignore_excludes(["*/temp*"], "somedir/temporary.txt")
    assert not dockerignore_excludes(["*/temp*"], "temp")
    assert dockerignore_excludes(["*/*/temp*"], "somedir/subdir/temporary.txt")
    assert dockerignore_excludes(["temp?"], "tempa")
    assert dockerignore_excludes(["**/*.go"], "a/b/c.go")
    assert dockerignore_excludes(["*.md", "!README*.md", "README-secret.md"], "README-secret.md")
    assert not dockerignore_excludes(["*.md", "!README*.md", "README-secret.md"], "README.md")
    assert dockerignore_excludes(["docs"], "docs/a/b.txt")
    assert not dockerignore_excludes(["*", "!src/"], "src/a/b.py")
