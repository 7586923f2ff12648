"""Validate Adaptive Cards and the Teams app manifest against the JSON schemas kept as fixtures.

Where each schema file came from is in ``tests/fixtures/README.md``. Both validators return a
list of readable problems (empty when valid) instead of raising, so one assertion shows them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft4Validator, Draft6Validator, Draft7Validator, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

FIXTURES: Final = Path(__file__).resolve().parents[1] / "fixtures"
ADAPTIVE_CARD_SCHEMA: Final = FIXTURES / "adaptive-card-1.5.schema.json"
#: The highest card version Teams renders everywhere (engineering.md, "Rendering cards safely").
MAX_CARD_VERSION: Final = (1, 5)
ADAPTIVE_CARD_CONTENT_TYPE: Final = "application/vnd.microsoft.card.adaptive"

# The Teams manifest schemas declare draft-04 but use `const` (manifestVersion) and, from v1.2x,
# `if`/`then`: keywords a plain Draft4Validator silently skips (it would accept any
# manifestVersion). Keep draft-04 semantics for the rest and honour those two.
_ManifestValidator = extend(  # type: ignore[no-untyped-call]
    Draft4Validator,
    {"const": Draft7Validator.VALIDATORS["const"], "if": Draft7Validator.VALIDATORS["if"]},
)


def manifest_schema_path(manifest_version: str) -> Path:
    """The fixture for one ``manifestVersion`` (e.g. "1.17"); it may not exist."""
    return FIXTURES / f"teams-manifest-{manifest_version}.schema.json"


def validate_adaptive_card(card: Any) -> list[str]:
    """Problems of ``card`` against the official Adaptive Card 1.5 schema, plus ``version``.

    The schema does not require ``version``; Teams does (mobile clients drop cards without it),
    and it must be 1.5 or lower.
    """
    problems = [f"version: {problem}" for problem in _version_problems(card)]
    problems.extend(_describe(_card_validator().iter_errors(card)))
    return problems


def validate_teams_manifest(manifest: Any) -> list[str]:
    """Problems of a Teams app manifest against the schema of its own ``manifestVersion``."""
    if not isinstance(manifest, dict):
        return [f"(root): a manifest is a JSON object, not {type(manifest).__name__}"]
    version = manifest.get("manifestVersion")
    if not isinstance(version, str):
        return ["manifestVersion: missing or not a string"]
    path = manifest_schema_path(version)
    if not path.is_file():
        have = sorted(p.name for p in FIXTURES.glob("teams-manifest-*.schema.json"))
        return [
            f"manifestVersion: no schema fixture for {version!r} (have {have}); see "
            "tests/fixtures/README.md for how to add one"
        ]
    return list(_describe(_manifest_validator(path).iter_errors(manifest)))


def manifest_validator(manifest_version: str) -> Validator:
    """The validator ``validate_teams_manifest`` uses for one ``manifestVersion``."""
    path = manifest_schema_path(manifest_version)
    if not path.is_file():
        raise FileNotFoundError(f"no Teams manifest schema fixture {path.name}")
    return _manifest_validator(path)


def card_version_problems(card: Any) -> list[str]:
    """Only the ``version`` check of ``validate_adaptive_card``."""
    return list(_version_problems(card))


def _version_problems(card: Any) -> Iterator[str]:
    if not isinstance(card, dict):
        return
    version = card.get("version")
    if version is None:
        yield "missing; declare '1.5' or lower (cards without a version do not render on mobile)"
        return
    parsed = _parse_version(version)
    if parsed is None:
        yield f"{version!r} is not a version like '1.5'"
    elif parsed > MAX_CARD_VERSION:
        yield f"{version!r} is above 1.5, the highest Teams renders everywhere"


def _parse_version(version: Any) -> tuple[int, ...] | None:
    if not isinstance(version, str):
        return None
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


def _describe(errors: Iterable[ValidationError]) -> Iterator[str]:
    """One line per problem: where it is, and the most specific reason.

    The card schema wraps every element in ``anyOf`` (one branch per element type), whose own
    message only says "is not valid under any of the given schemas". Descend into the branch
    written for the element's declared ``type`` and report what is wrong there.
    """
    seen: set[str] = set()
    for where, message in _flatten(errors):
        line = f"{_path(where) or '(root)'}: {message}"
        if line not in seen:
            seen.add(line)
            yield line


def _flatten(errors: Iterable[ValidationError]) -> Iterator[tuple[list[str | int], str]]:
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator not in ("anyOf", "oneOf") or not error.context:
            yield list(error.absolute_path), error.message
            continue
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
        here = list(error.absolute_path)
        fitting = [subs for subs in branches.values() if not _wrong_branch(subs, here)]
        if fitting:
            best: list[ValidationError] = min(fitting, key=len)
            yield from _flatten(best)
            continue
        declared = error.instance.get("type") if isinstance(error.instance, dict) else None
        if declared is not None and all(_wrong_type(subs, here) for subs in branches.values()):
            yield [*here, "type"], f"unknown or misplaced type {declared!r}"
        else:
            # No branch fits (e.g. a value outside an enum): the first branch's reason reads best.
            yield from _flatten(branches[min(branches)])


def _wrong_branch(errors: list[ValidationError], here: list[str | int]) -> bool:
    """True when a branch of an anyOf is for a different kind of value than the one at ``here``."""
    return _wrong_type(errors, here) or any(
        list(e.absolute_path) == here and e.validator in ("type", "enum", "const", "pattern")
        for e in errors
    )


def _wrong_type(errors: list[ValidationError], here: list[str | int]) -> bool:
    """True when a branch rejected the element's own ``type`` property (another element type)."""
    return any(
        list(e.absolute_path) == [*here, "type"] and e.validator in ("enum", "const")
        for e in errors
    )


def _path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@cache
def _card_validator() -> Validator:
    schema = json.loads(ADAPTIVE_CARD_SCHEMA.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)  # the file declares draft-06
    return Draft6Validator(schema)


@cache
def _manifest_validator(path: Path) -> Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    validator: Validator = _ManifestValidator(schema)
    return validator
