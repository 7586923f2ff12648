"""`llm-advisor teams-package`: build the installable Teams app package (manifest and icons)."""

from __future__ import annotations

import json
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from dialogs.errors import ConfigError, Problem

ICONS = {"color.png": (192, 192), "outline.png": (32, 32)}
APP_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def build_manifest(source: Path, app_id: str) -> dict[str, Any]:
    raw = (source / "manifest.json").read_text(encoding="utf-8")
    manifest: dict[str, Any] = json.loads(raw.replace("${MICROSOFT_APP_ID}", app_id))
    return manifest


def build_package(*, source: Path, app_id: str, out: Path) -> dict[str, Any]:
    """Write the zip Teams installs; ConfigError names every problem found first."""
    problems: list[Problem] = []
    if not APP_ID.match(app_id):
        problems.append(
            Problem(
                file="--app-id",
                where="value",
                message="must be the bot's Microsoft app id (a GUID)",
            )
        )
    manifest_path = source / "manifest.json"
    if not manifest_path.is_file():
        problems.append(Problem(file=str(manifest_path), where="file", message="is missing"))
    icons: dict[str, bytes] = {}
    for name, expected in ICONS.items():
        path = source / name
        if not path.is_file():
            problems.append(Problem(file=str(path), where="file", message="is missing"))
            continue
        data = path.read_bytes()
        if png_size(data) != expected:
            problems.append(
                Problem(
                    file=str(path),
                    where="size",
                    message=f"must be a {expected[0]}x{expected[1]} PNG",
                )
            )
        icons[name] = data
    if problems:
        raise ConfigError(problems)
    try:
        manifest = build_manifest(source, app_id)
    except ValueError as exc:
        raise ConfigError(
            [Problem(file=str(manifest_path), where="json", message=str(exc))]
        ) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2))
        for name, data in icons.items():
            package.writestr(name, data)
    return manifest
