"""deploy/.env.example documents every setting bot/settings.py reads, with safe values."""

from __future__ import annotations

from bot.settings import Settings
from tests.deploy.support import (
    DEPLOY,
    EXTRA_SETTINGS,
    SECRET_SETTINGS,
    all_settings,
    parse_env_file,
    readme_settings,
    settings_env_names,
)

EXAMPLE = DEPLOY / ".env.example"


def example() -> dict[str, str]:
    return parse_env_file(EXAMPLE.read_text())


def test_the_settings_parser_sees_every_shape() -> None:
    source = """
NAMES = ("A_ONE", "A_TWO")
def read(env):
    def flag(name, default):
        return env.get(name, default)
    x = flag("B_HELPER", "")
    y = {n: env.get(n, "") for n in NAMES}
    z = {n: env.get(n) for n in ("C_ONE", "C_TWO")}
    for n, prefix in (("D_PAIR", "x-"),):
        env.get(n)
    for n, prefix in (("NOT_READ", "x-"),):
        print(n)
    level = env.get("E_DIRECT", "WARNING") in ("DEBUG", "INFO")
    return os.environ.get("F_OS") or os.getenv("G_GETENV") or env["H_ITEM"]
"""
    assert settings_env_names(source) == {
        "A_ONE",
        "A_TWO",
        "B_HELPER",
        "C_ONE",
        "C_TWO",
        "D_PAIR",
        "E_DIRECT",
        "F_OS",
        "G_GETENV",
        "H_ITEM",
    }


def test_the_parser_finds_everything_the_readme_documents() -> None:
    """A guard on the parser: if it missed a shape, README's variables would go unfound."""
    missing = readme_settings() - settings_env_names()
    assert not missing, (
        f"bot/settings.py reads these in a way tests/deploy/support.py misses: {missing}"
    )
    assert len(readme_settings()) >= 16


def test_every_setting_is_documented() -> None:
    documented = set(example())
    missing = settings_env_names() - documented
    assert not missing, f"add to deploy/.env.example: {sorted(missing)}"
    assert (readme_settings() | EXTRA_SETTINGS) <= documented


def test_nothing_unknown_is_documented() -> None:
    unknown = set(example()) - all_settings()
    assert not unknown, f"deploy/.env.example names variables nothing reads: {sorted(unknown)}"


def test_every_variable_has_a_comment() -> None:
    lines = EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if line and not line.startswith("#"):
            above = lines[number - 1]
            assert above.startswith("#") or "=" in above, f"no comment above {line!r}"


def test_secrets_are_empty_placeholders() -> None:
    values = example()
    for name in SECRET_SETTINGS:
        assert values[name] == "", name


def test_the_example_is_a_valid_configuration() -> None:
    """Copied to .env as is, it starts (no malformed value) with nothing sensitive on."""
    settings, problems = Settings.read(example())
    assert problems == [], problems
    assert settings.teams_dev_mode is False
    assert settings.log_debug_text is False
    assert settings.session_ttl_days == 30
