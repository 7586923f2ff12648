"""deploy/README.md covers what an operator needs, and leaves the benchmark figures marked."""

from __future__ import annotations

import re

import pytest

from tests.deploy.support import DEPLOY

README = (DEPLOY / "README.md").read_text()


@pytest.mark.parametrize(
    "needle",
    [
        "deploy/slack/manifest.yaml",
        "deploy/slack/manifest.socket.yaml",
        "connections:write",
        "Azure Bot",
        "llm-advisor teams-package --app-id",
        "docker build -f deploy/Dockerfile",
        "docker compose up",
        "cp .env.example .env",
        "kubectl apply -n llm-advisor -k deploy/kubernetes",
        "--slack-socket",
        "ADVISOR_SESSION_TTL_DAYS",
        "ADVISOR_SHUTDOWN_SECONDS",
        "llm-advisor admin forget --user",
        "BGSAVE",
        "appendonlydir",
        "REDIS_URL",
    ],
)
def test_readme_mentions(needle: str) -> None:
    assert needle in README


def test_sizing_figures_come_from_the_benchmarks() -> None:
    sizing = README[README.index("## 8. Sizing") : README.index("## 9.")]
    for figure in ("sessions per GB", "turns per second per replica"):
        row = next(line for line in sizing.splitlines() if line.startswith(f"| {figure}"))
        assert "TODO" not in row and re.search(r"\d", row), row
    assert "bench/RESULTS.md" in sizing


def test_every_deploy_file_is_described() -> None:
    names = {"Dockerfile", "Dockerfile.dockerignore", "compose.yaml", "compose.socket.yaml"}
    names |= {".env.example", "kubernetes/"}
    for name in names:
        assert re.search(rf"`{re.escape(name)}`", README), name
