"""deploy/compose.yaml, checked by the Compose CLI's own loader and then field by field."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.support import (
    DEPLOY,
    DOCKER_COMPOSE,
    all_settings,
    parse_env_file,
    run_offline,
)

COMPOSE = DEPLOY / "compose.yaml"
SOCKET = DEPLOY / "compose.socket.yaml"


def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def compose_config(
    tmp_path: Path, *files: Path, env_file: bool = True
) -> tuple[int, dict[str, Any], str]:
    """`docker-compose config` on a copy of deploy/ whose .env is .env.example."""
    checkout = tmp_path / "checkout"
    deploy = checkout / "deploy"
    deploy.mkdir(parents=True)
    for f in files:
        shutil.copy2(f, deploy / f.name)
    if env_file:
        shutil.copy2(DEPLOY / ".env.example", deploy / ".env")
    args = [DOCKER_COMPOSE.path()]
    for f in files:
        args += ["-f", f.name]
    result = run_offline([*args, "config", "--format", "json"], cwd=deploy)
    config = json.loads(result.stdout) if result.returncode == 0 else {}
    return result.returncode, config, result.stderr


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Any]:
    code, loaded, stderr = compose_config(tmp_path, COMPOSE)
    assert code == 0, stderr
    assert "warn" not in stderr.lower(), stderr
    return loaded


def seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    assert parts, duration
    return sum(float(n) * units[u] for n, u in parts)


def test_services(config: dict[str, Any]) -> None:
    assert set(config["services"]) == {"advisor", "redis"}


def test_advisor_is_built_from_the_repository_root(config: dict[str, Any], tmp_path: Path) -> None:
    build = config["services"]["advisor"]["build"]
    assert Path(build["context"]) == tmp_path / "checkout"
    assert build["dockerfile"] == "deploy/Dockerfile"
    assert config["services"]["advisor"]["command"] == [
        "llm-advisor",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
    ]


def test_advisor_waits_for_a_healthy_redis(config: dict[str, Any]) -> None:
    depends = config["services"]["advisor"]["depends_on"]
    assert depends["redis"]["condition"] == "service_healthy"


def test_healthchecks(config: dict[str, Any]) -> None:
    advisor = config["services"]["advisor"]["healthcheck"]
    assert advisor["test"][0] == "CMD" and advisor["test"][1] == "python", advisor
    assert "http://127.0.0.1:8080/healthz" in advisor["test"][-1]
    redis = config["services"]["redis"]["healthcheck"]
    command = " ".join(redis["test"][1:])
    assert "redis-cli" in command and "ping" in command, redis
    for check in (advisor, redis):
        assert seconds(check["timeout"]) < seconds(check["interval"])
        assert check["retries"] >= 3


def test_settings_come_from_the_env_file(config: dict[str, Any]) -> None:
    env_files = raw()["services"]["advisor"]["env_file"]
    assert env_files == [{"path": ".env", "required": True}]
    # Loaded through Compose's own dotenv parser: every setting arrives, as written.
    environment = config["services"]["advisor"]["environment"]
    example = parse_env_file((DEPLOY / ".env.example").read_text())
    assert all_settings() <= set(environment), all_settings() - set(environment)
    for name, value in example.items():
        if name != "REDIS_URL":
            assert environment[name] == value, name
    # An empty REDIS_URL in .env means the Redis service of this file.
    assert environment["REDIS_URL"] == "redis://redis:6379/0"


def test_an_external_redis_url_in_env_wins(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout" / "deploy"
    code, _, stderr = compose_config(tmp_path, COMPOSE)
    assert code == 0, stderr
    env = (
        (checkout / ".env").read_text().replace("\nREDIS_URL=\n", "\nREDIS_URL=rediss://r:6380/0\n")
    )
    (checkout / ".env").write_text(env)
    result = run_offline(
        [DOCKER_COMPOSE.path(), "-f", "compose.yaml", "config", "--format", "json"], cwd=checkout
    )
    assert result.returncode == 0, result.stderr
    environment = json.loads(result.stdout)["services"]["advisor"]["environment"]
    assert environment["REDIS_URL"] == "rediss://r:6380/0"


def test_a_missing_env_file_is_an_error(tmp_path: Path) -> None:
    code, _, stderr = compose_config(tmp_path, COMPOSE, env_file=False)
    assert code != 0
    assert ".env" in stderr


def test_redis_persists_append_only_on_a_volume(config: dict[str, Any]) -> None:
    redis = config["services"]["redis"]
    assert redis["image"] == "redis:7"
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    (volume,) = redis["volumes"]
    assert volume["type"] == "volume" and volume["target"] == "/data"
    assert volume["source"] in config["volumes"]


def test_the_drain_fits_in_the_stop_grace_period(config: dict[str, Any]) -> None:
    example = parse_env_file((DEPLOY / ".env.example").read_text())
    drain = float(example["ADVISOR_SHUTDOWN_SECONDS"])
    grace = seconds(config["services"]["advisor"]["stop_grace_period"])
    assert grace >= drain + 5, (grace, drain)


def test_advisor_is_locked_down(config: dict[str, Any]) -> None:
    advisor = config["services"]["advisor"]
    assert advisor["read_only"] is True
    assert advisor["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in advisor["security_opt"]
    assert advisor["restart"] == "unless-stopped"


def test_socket_mode_override(tmp_path: Path) -> None:
    code, config, stderr = compose_config(tmp_path, COMPOSE, SOCKET)
    assert code == 0, stderr
    advisor = config["services"]["advisor"]
    assert advisor["command"] == [
        "llm-advisor",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
        "--slack-socket",
    ]
    assert not advisor.get("ports"), advisor.get("ports")
    assert advisor["healthcheck"]["test"][1] == "python"
