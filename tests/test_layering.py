"""The pure engine stays free of platform, storage and template code."""

from __future__ import annotations

import ast
from pathlib import Path

DIALOGS = Path(__file__).resolve().parents[1] / "dialogs"
FORBIDDEN = ("redis", "slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp", "jinja2")
# Only the Redis store itself may talk to Redis.
ALLOWED = {
    DIALOGS / "stores" / name: ("redis",)
    for name in ("redis_store.py", "redis_client.py", "redis_url.py")
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_dialogs_imports_no_platform_storage_or_template_code() -> None:
    offences = []
    for path in sorted(DIALOGS.rglob("*.py")):
        allowed = ALLOWED.get(path, ())
        for module in imported_modules(path):
            root = module.split(".")[0]
            if root in FORBIDDEN and root not in allowed:
                offences.append(f"{path.relative_to(DIALOGS.parent)} imports {module}")
    assert offences == []


def test_engine_modules_import_no_store_implementation() -> None:
    pure = [
        "engine.py",
        "flow.py",
        "scoring.py",
        "assessment.py",
        "commands.py",
        "session.py",
        "turn.py",
        "views.py",
        "cost.py",
    ]
    for name in pure:
        modules = imported_modules(DIALOGS / name)
        assert not any(m.startswith("dialogs.stores") for m in modules), name


def test_each_platform_sdk_stays_in_its_adapter_package() -> None:
    """Replacing one SDK (botbuilder reached end of support) must touch one folder."""
    root = DIALOGS.parent
    boxed = {
        "botbuilder": "bot/teams",
        "botframework": "bot/teams",
        "msrest": "bot/teams",
        "slack_bolt": "bot/slack",
        "slack_sdk": "bot/slack",
    }
    offences = []
    for folder in ("bot", "dialogs", "templates"):
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            for module in imported_modules(path):
                home = boxed.get(module.split(".")[0])
                if home is not None and not relative.startswith(home + "/"):
                    offences.append(f"{relative} imports {module}")
    assert offences == []
