"""Choosing the Teams SDK (TEAMS_SDK) and the Agents SDK's credentials: read in bot/settings.py
under the SDK's own names, checked before start, named by `check`; `serve` refuses to start,
saying what to install, when the chosen SDK is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.check import run_checks
from bot.settings import Settings
from bot.teams_agents.credentials import credential_problems, sdk_missing
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[3]
#: The Agents SDK's names for its service connection's settings.
AGENTS_PREFIX = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"


def test_botbuilder_is_the_default_and_a_wrong_choice_is_named() -> None:
    assert Settings.from_env({}).teams_sdk == "botbuilder"
    assert Settings.from_env({"TEAMS_SDK": "Agents"}).teams_sdk == "agents"
    settings, problems = Settings.read({"TEAMS_SDK": "teams"})
    assert settings.teams_sdk == "botbuilder"
    assert [p.where for p in problems] == ["TEAMS_SDK"]


def test_the_agents_sdks_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            "TEAMS_SDK": "agents",
            AGENTS_PREFIX + "AUTHTYPE": "FederatedCredentials",
            AGENTS_PREFIX + "CLIENTID": "app",
            AGENTS_PREFIX + "TENANTID": "tenant",
            AGENTS_PREFIX + "FEDERATEDCLIENTID": "identity",
        }
    )
    assert (settings.agents_auth_type, settings.agents_client_id) == ("FederatedCredentials", "app")
    assert settings.agents_federated_client_id == "identity"
    assert credential_problems(settings, dev=False) == []
    _, problems = Settings.read({AGENTS_PREFIX + "AUTHTYPE": "Password"})
    assert [p.where for p in problems] == [AGENTS_PREFIX + "AUTHTYPE"]


@pytest.mark.parametrize(
    ("kind", "given", "missing"),
    [
        ("ClientSecret", {}, {"CLIENTSECRET", "TENANTID"}),
        ("ClientSecret", {"CLIENTSECRET": "s", "TENANTID": "t"}, set()),
        ("FederatedCredentials", {"TENANTID": "t"}, {"FEDERATEDCLIENTID"}),
        ("UserManagedIdentity", {}, set()),
        ("SystemManagedIdentity", {}, set()),
    ],
)
def test_each_kind_of_credentials_needs_its_own_variables(
    kind: str, given: dict[str, str], missing: set[str]
) -> None:
    env = {AGENTS_PREFIX + "AUTHTYPE": kind, AGENTS_PREFIX + "CLIENTID": "app"}
    env.update({AGENTS_PREFIX + k: v for k, v in given.items()})
    problems = credential_problems(Settings.from_env(env), dev=False)
    assert {p.where.removeprefix(AGENTS_PREFIX) for p in problems} == missing


def test_no_client_id_starts_only_in_dev_mode() -> None:
    settings = Settings.from_env({"TEAMS_SDK": "agents"})
    [problem] = credential_problems(settings, dev=False)
    assert problem.where == AGENTS_PREFIX + "CLIENTID" and "--dev" in problem.message
    assert credential_problems(settings, dev=True) == []


async def test_check_names_the_sdk_in_force_and_whether_it_is_installed() -> None:
    for sdk, name in (("botbuilder", "botbuilder-core"), ("agents", "microsoft-agents")):
        problems, notes = await run_checks({"TEAMS_SDK": sdk})
        [note] = [n for n in notes if n.startswith("teams sdk:")]
        assert f"TEAMS_SDK={sdk}" in note and "installed (" in note and name in note
        assert not [p for p in problems if p.where == "TEAMS_SDK"]
    assert sdk_missing(Settings(teams_sdk="agents")) == []


def without_agents_sdk(*argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process where the Agents SDK cannot be imported (as without the extra)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMS_"))
    }
    env.update({"PYTHONPATH": str(ROOT), "TEAMS_SDK": "agents"})
    code = (
        "import sys; sys.modules['microsoft_agents'] = None\n"
        "from bot.cli import main\n"
        f"sys.exit(main({list(argv)!r}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_serve_refuses_to_start_when_the_chosen_sdk_is_missing() -> None:
    for argv in (("teams", "--dev"), ("serve", "--teams-dev")):
        result = without_agents_sdk(*argv, "--port", str(free_port()))
        assert result.returncode == 2, result.stderr
        assert "TEAMS_SDK" in result.stderr
        assert "pip install 'llm-advisor[agents]'" in result.stderr


def test_check_fails_when_the_chosen_sdk_is_missing() -> None:
    result = without_agents_sdk("check")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "NOT installed" in output and "llm-advisor[agents]" in output
