"""The package works when installed (not run from the checkout): it installs two import names,
`bot` and `dialogs`, with the templates inside `bot` as `bot.templates`, and finds its templates
and flow from any directory, whatever other `templates` package is importable."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What the wheel is built from (the same list deploy/Dockerfile copies).
SOURCES = ("pyproject.toml", "README.md", "bot", "dialogs", "templates")
# Where each source folder lands in the wheel (pyproject.toml's package-dir).
INSTALLED_AS = {"bot": "bot", "dialogs": "dialogs", "templates": "bot/templates"}
WHY = "console/why.txt.j2"


def clean_env() -> dict[str, str]:
    """The environment without anything that would let the checkout or a setting leak in."""
    dropped = ("ADVISOR_", "REDIS_URL", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)}


def run(argv: list[str | Path], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built offline from a clean copy of the sources: an in-tree build
    reuses build/lib/, where files of an older layout (a top-level templates/) linger and would
    be packed into the wheel again."""
    base = tmp_path_factory.mktemp("wheel")
    context = base / "src"
    context.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, context / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, context / name)
    wheels = base / "wheels"
    build = run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--no-index", "-q", "--wheel-dir", wheels, "."),
        ],
        cwd=context,
    )
    assert build.returncode == 0, build.stderr
    (found,) = wheels.glob("llm_advisor-*.whl")
    return found


def package_files(wheel: Path) -> set[str]:
    """The wheel's files, without its .dist-info (and .data) metadata."""
    names = zipfile.ZipFile(wheel).namelist()
    return {n for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}


def test_wheel_installs_two_import_names(wheel: Path) -> None:
    top_level = {name.split("/")[0] for name in package_files(wheel)}
    assert top_level == {"bot", "dialogs"}, top_level
    with zipfile.ZipFile(wheel) as archive:
        listed = next(n for n in archive.namelist() if n.endswith(".dist-info/top_level.txt"))
        assert set(archive.read(listed).decode().split()) == {"bot", "dialogs"}


def test_wheel_holds_every_source_file_where_it_belongs(wheel: Path) -> None:
    """Every module, template and flow of the checkout is in the wheel (a package missing from
    pyproject.toml's list shows up here), templates/<platform>/ as bot/templates/<platform>/."""
    expected = set()
    for folder, target in INSTALLED_AS.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                expected.add(f"{target}/{path.relative_to(ROOT / folder).as_posix()}")
    assert "bot/templates/slack/ask.json.j2" in expected
    files = package_files(wheel)
    assert sorted(expected - files) == [], "in the checkout, not in the wheel"
    assert sorted(files - expected) == [], "in the wheel, not in the checkout"


def fresh_venv(tmp_path: Path, wheel: Path) -> tuple[Path, Path]:
    """A new virtual environment with only the wheel installed, its dependencies borrowed from
    the running environment (appended after its own site-packages, so offline and unshadowed).
    Returns its bin directory and site-packages."""
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert made.returncode == 0, made.stderr
    bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    python = bindir / "python"
    install = run(
        [
            *(sys.executable, "-m", "pip", "--python", python),
            *("install", "--no-deps", "--no-index", "-q", wheel),
        ]
    )
    assert install.returncode == 0, install.stderr
    where = run([python, "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    site_packages = Path(where.stdout.strip())
    # Path lines only: the running environment's own .pth files (its editable install of this
    # checkout among them) are not processed from a directory added this way.
    deps = sysconfig.get_path("purelib"), sysconfig.get_path("platlib")
    (site_packages / "_test_dependencies.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    return bindir, site_packages


def decoy_templates(directory: Path) -> None:
    """Another distribution's top-level `templates` package, with a template of the same name."""
    (directory / "templates" / "console").mkdir(parents=True)
    (directory / "templates" / "__init__.py").write_text("")
    (directory / "templates" / "console" / "__init__.py").write_text("")
    (directory / "templates" / "console" / "why.txt.j2").write_text("{{ decoy.undefined }}\n")


def test_installed_wheel_runs_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    bindir, site_packages = fresh_venv(tmp_path, wheel)
    assert not (site_packages / "templates").exists(), "the wheel installed a top-level templates"
    # A foreign `templates` both installed next to the package and in the working directory: the
    # old PackageLoader("templates") rendered whichever came first on sys.path.
    decoy_templates(site_packages)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    decoy_templates(elsewhere)

    check = run([bindir / "llm-advisor", "check"], cwd=elsewhere)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "all sound" in check.stdout

    found = run(
        [
            *(bindir / "python", "-I", "-c"),
            "import bot, dialogs; from bot.render import create_environment;"
            f"print(bot.__file__); print(dialogs.__file__);"
            f"print(create_environment().get_template({WHY!r}).filename)",
        ],
        cwd=elsewhere,
    )
    assert found.returncode == 0, found.stderr
    bot_init, dialogs_init, template = map(Path, found.stdout.splitlines())
    assert bot_init == site_packages / "bot" / "__init__.py"
    assert dialogs_init == site_packages / "dialogs" / "__init__.py"
    assert template == site_packages / "bot" / "templates" / WHY

    (elsewhere / "a.json").write_text(
        json.dumps(
            {
                "stage": "idea",
                "value": "nice_to_have",
                "current_gap": "not_tried",
                "data_sensitivity": "public",
            }
        )
    )
    assess = run(
        [
            *(bindir / "llm-advisor", "assess", "--partial"),
            *("--answers", "a.json", "--format", "markdown"),
        ],
        cwd=elsewhere,
    )
    assert assess.returncode == 0, assess.stderr
    assert assess.stdout.startswith("# Prompt a strong hosted model")


def editable_checkout() -> Path | None:
    """The checkout the running environment has installed in editable mode (uv sync), if any.
    The build leaves an llm_advisor.egg-info in the checkout, which `importlib.metadata` finds
    first when the checkout is on sys.path: look at every distribution of the name."""
    for dist in importlib.metadata.distributions(name="llm-advisor"):
        info = json.loads(dist.read_text("direct_url.json") or "{}")
        if info.get("dir_info", {}).get("editable"):
            return Path(unquote(urlparse(info["url"]).path))
    return None


def test_editable_install_loads_the_checkouts_templates_by_package(tmp_path: Path) -> None:
    """uv's editable install maps `bot.templates` to the checkout's templates/ folder (setuptools'
    editable finder honours package-dir), and still installs no top-level `templates`."""
    checkout = editable_checkout()
    if checkout is None:
        pytest.skip("llm-advisor is not installed in editable mode here")
    decoy_templates(tmp_path)
    found = run(
        [
            *(sys.executable, "-I", "-c"),
            "import importlib.util, sys; print(importlib.util.find_spec('templates'));"
            # The working directory (with its decoy) first on the path, as `python -m` puts it.
            "sys.path.insert(0, ''); from bot.render import create_environment;"
            f"print(create_environment().get_template({WHY!r}).filename)",
        ],
        cwd=tmp_path,
    )
    assert found.returncode == 0, found.stderr
    templates_spec, template = found.stdout.splitlines()
    assert templates_spec == "None"
    assert Path(template) == checkout / "templates" / WHY
