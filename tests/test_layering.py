"""The layers stay apart: the engine knows no platform, the adapters do not know each other,
and each SDK is boxed in one folder (replacing one must touch one folder)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIALOGS = ROOT / "dialogs"
# Third-party roots the engine must not import: platforms, web, templates.
FORBIDDEN = ("redis", "slack_bolt", "slack_sdk", "botbuilder", "botframework", "msrest")
FORBIDDEN += ("aiohttp", "jinja2", "microsoft_agents", "bot", "templates")
# Only the Redis store itself may talk to Redis.
ALLOWED = {
    DIALOGS / "stores" / name: ("redis",)
    for name in ("redis_store.py", "redis_client.py", "redis_url.py")
}
ADAPTERS = ("bot/slack", "bot/teams", "bot/teams_agents", "bot/console")
# The two Teams adapters (botbuilder, the Agents SDK) share bot/teams' SDK-neutral modules.
TEAMS_SHARED = ("bot/teams/common", "bot/teams/render", "bot/teams/chart")
# Team mode's SDK-neutral modules (issue 14); each adapter adds only its team_connector.
TEAMS_SHARED += tuple(
    f"bot/teams/team_{name}"
    for name in ("card", "desk", "flow", "member", "port", "roster", "texts")
)
# SDK import root -> the one folder of the product that may import it.
BOXED = {
    "botbuilder": "bot/teams",
    "botframework": "bot/teams",
    "msrest": "bot/teams",
    "microsoft_agents": "bot/teams_agents",
    "slack_bolt": "bot/slack",
    "slack_sdk": "bot/slack",
}
# Tests and benchmarks reach each Teams SDK through one helper.
TEAMS_SDK_HELPERS = {
    "tests/support/teams_sdk.py": ("botbuilder", "botframework", "msrest"),
    "tests/support/teams_agents_sdk.py": ("microsoft_agents",),
}
TEAMS_SDK = ("botbuilder", "botframework", "msrest", "microsoft_agents")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def python_files(*folders: str) -> list[tuple[str, Path]]:
    return [
        (path.relative_to(ROOT).as_posix(), path)
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]


def test_dialogs_imports_no_adapter_sdk_or_template_code() -> None:
    offences = []
    for relative, path in python_files("dialogs"):
        allowed = ALLOWED.get(path, ())
        for module in imported_modules(path):
            root = module.split(".")[0]
            if root in FORBIDDEN and root not in allowed:
                offences.append(f"{relative} imports {module}")
    assert offences == []


def test_engine_modules_import_no_store_implementation() -> None:
    offences = []
    for relative, path in python_files("dialogs"):
        if relative.startswith("dialogs/stores/"):
            continue
        for module in imported_modules(path):
            if module.startswith("dialogs.stores.") and module != "dialogs.stores.base":
                offences.append(f"{relative} imports {module}")
    assert offences == []


def test_adapters_never_import_each_other() -> None:
    offences = []
    for relative, path in python_files(*ADAPTERS):
        home = next(a for a in ADAPTERS if relative.startswith(a + "/"))
        for module in imported_modules(path):
            target = module.replace(".", "/")
            if home == "bot/teams_agents" and target in TEAMS_SHARED:
                continue
            for other in ADAPTERS:
                if other != home and (target == other or target.startswith(other + "/")):
                    offences.append(f"{relative} imports {module}")
    assert offences == []


def test_each_platform_sdk_stays_in_its_adapter_package() -> None:
    offences = []
    for relative, path in python_files("bot", "dialogs", "templates"):
        for module in imported_modules(path):
            home = BOXED.get(module.split(".")[0])
            if home is not None and not relative.startswith(home + "/"):
                offences.append(f"{relative} imports {module}")
    assert offences == []


def test_tests_and_benchmarks_reach_the_teams_sdk_through_one_helper() -> None:
    offences = []
    for relative, path in python_files("tests", "bench"):
        allowed = TEAMS_SDK_HELPERS.get(relative, ())
        for module in imported_modules(path):
            root = module.split(".")[0]
            if root in TEAMS_SDK and root not in allowed:
                offences.append(f"{relative} imports {module}")
    assert offences == []


def test_what_both_teams_adapters_share_imports_neither_sdk() -> None:
    """bot/teams' shared modules import no SDK (nor anything of bot/teams that does), so the
    Agents SDK adapter runs without botbuilder and the other way round."""
    offences = []
    for shared in TEAMS_SHARED:
        path = ROOT / f"{shared}.py"
        for module in imported_modules(path):
            target = module.replace(".", "/")
            root = module.split(".")[0]
            inside = target.startswith("bot/teams/") and target not in TEAMS_SHARED
            if root in TEAMS_SDK or inside:
                offences.append(f"{shared}.py imports {module}")
    assert offences == []
