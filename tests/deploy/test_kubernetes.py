"""deploy/kubernetes: schema-valid manifests, a complete kustomization, and sound wiring."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    import kubernetes_validate
    from kubernetes_validate.utils import latest_version
except ImportError:  # pragma: no cover - the test extras install it
    pytest.fail(
        "kubernetes-validate is missing: install the test extras (pip install -e '.[test]')",
        pytrace=False,
    )

from bot.settings import Settings
from tests.deploy.support import (
    KUBERNETES,
    ROOT,
    SECRET_SETTINGS,
    all_settings,
    kubectl,
    run_offline,
)

KUSTOMIZATION = KUBERNETES / "kustomization.yaml"
MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p != KUSTOMIZATION)
# The oldest Kubernetes these manifests claim, and the newest whose schemas the package ships.
VERSIONS = ("1.29", ".".join(latest_version().split(".")[:2]))
PORT = 8080


def load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.fixture(scope="module")
def objects() -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in MANIFESTS:
        for doc in load(path):
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in found, f"{key} defined twice"
            found[key] = doc
    return found


def get(objects: dict[tuple[str, str], dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    assert (kind, name) in objects, f"no {kind} {name}"
    return objects[(kind, name)]


def validate(doc: dict[str, Any], version: str) -> None:
    """Strict schema validation (unknown fields are errors) against the shipped schemas."""
    try:
        used = kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        where = ".".join(str(p) for p in e.path)
        pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} at {where}: {e.message}")
    assert used == version, f"validated against {used}, not {version}"


# ---- schemas and kustomization -------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid(path: Path, version: str) -> None:
    docs = load(path)
    assert docs, f"{path.name} is empty"
    for doc in docs:
        validate(doc, version)


def test_validation_catches_mistakes() -> None:
    """A control: a misspelt probe field and a string replica count are rejected."""
    (deployment,) = load(KUBERNETES / "deployment.yaml")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGett"] = container["readinessProbe"].pop("httpGet")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)
    (deployment,) = load(KUBERNETES / "deployment.yaml")
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


def test_kustomization_lists_every_manifest() -> None:
    (kustomization,) = load(KUSTOMIZATION)
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed)), "a resource is listed twice"
    assert set(listed) == {p.name for p in MANIFESTS}
    assert not (set(kustomization) & {"configMapGenerator", "secretGenerator", "helmCharts"})


def kustomize(folder: Path, tmp_path: Path) -> list[dict[str, Any]]:
    result = run_offline([kubectl(), "kustomize", str(folder)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def test_kustomize_builds_valid_manifests(tmp_path: Path) -> None:
    rendered = kustomize(KUBERNETES, tmp_path)
    assert len(rendered) == sum(len(load(p)) for p in MANIFESTS)
    for doc in rendered:
        validate(doc, VERSIONS[0])
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "llm-advisor"
    (deployment,) = (d for d in rendered if d["kind"] == "Deployment")
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/llm-advisor:0.1.0"


def readme_overlays() -> dict[str, str]:
    text = (ROOT / "deploy" / "README.md").read_text()
    found = dict(re.findall(r"<!-- overlay: ([\w-]+) -->\n```yaml\n(.*?)```", text, re.S))
    assert set(found) == {"no-ingress", "external-redis", "socket-mode"}, set(found)
    return found


@pytest.mark.parametrize("name", ["no-ingress", "external-redis", "socket-mode"])
def test_readme_overlays_build(name: str, tmp_path: Path) -> None:
    """The overlays deploy/README.md shows render and validate, and do what they say."""
    overlay = tmp_path / "site"
    overlay.mkdir()
    base = os.path.relpath(KUBERNETES, overlay)
    text = re.sub(r"\.\./llm-advisor/deploy/kubernetes", base, readme_overlays()[name])
    (overlay / "kustomization.yaml").write_text(text)
    rendered = kustomize(overlay, tmp_path)
    for doc in rendered:
        validate(doc, VERSIONS[0])
        assert doc["metadata"].get("namespace") == "llm-advisor", doc["metadata"]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in rendered}
    deployment = next(d for d in rendered if d["kind"] == "Deployment")
    command = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
    if name in ("no-ingress", "socket-mode"):
        assert ("Ingress", "llm-advisor") not in kinds
    if name == "socket-mode":
        assert command[-1] == "--slack-socket"
    if name == "external-redis":
        assert not [k for k in kinds if k[1] == "llm-advisor-redis"], kinds
        config = next(d for d in rendered if d["kind"] == "ConfigMap")
        assert config["data"]["REDIS_URL"].startswith("rediss://")


# ---- the advisor -----------------------------------------------------------------------------


def pod_spec(objects: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = get(objects, "Deployment", "llm-advisor")["spec"]["template"]["spec"]
    return spec


def advisor(objects: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    (container,) = pod_spec(objects)["containers"]
    return dict(container)


def test_at_least_two_replicas(objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    deployment = get(objects, "Deployment", "llm-advisor")
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_probes_hit_health_endpoints_on_the_container_port(
    objects: dict[tuple[str, str], dict[str, Any]],
) -> None:
    container = advisor(objects)
    assert container["command"] == [
        "llm-advisor",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        str(PORT),
    ]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert list(ports.values()) == [PORT]
    expected = {
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
        "startupProbe": "/healthz",
    }
    for probe, path in expected.items():
        http = container[probe]["httpGet"]
        assert http["path"] == path, probe
        port = http["port"]
        assert (ports.get(port) if isinstance(port, str) else port) == PORT, probe
    # Liveness must not be stricter than readiness: a Redis outage makes pods unready, not dead.
    assert container["livenessProbe"]["failureThreshold"] >= 3


def test_restrictive_security_context(objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    for kind, name in (("Deployment", "llm-advisor"), ("StatefulSet", "llm-advisor-redis")):
        spec = get(objects, kind, name)["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["runAsNonRoot"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
            assert context.get("privileged", False) is False, name
    # The Dockerfile's numeric user, so the image and the pod agree.
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    uid = pod_spec(objects)["securityContext"]["runAsUser"]
    assert f"USER {uid}:" in dockerfile


def test_resources_are_set(objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    for kind, name in (("Deployment", "llm-advisor"), ("StatefulSet", "llm-advisor-redis")):
        for container in get(objects, kind, name)["spec"]["template"]["spec"]["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert "memory" in resources["limits"], name


def test_grace_period_covers_the_drain(objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    spec = pod_spec(objects)
    settings = get(objects, "ConfigMap", "llm-advisor-settings")["data"]
    drain = float(settings["ADVISOR_SHUTDOWN_SECONDS"])
    pre_stop = advisor(objects)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert spec["terminationGracePeriodSeconds"] >= float(pre_stop[1]) + drain + 5


def test_settings_from_configmap_and_secret(
    objects: dict[tuple[str, str], dict[str, Any]],
) -> None:
    sources = advisor(objects)["envFrom"]
    assert {"configMapRef": {"name": "llm-advisor-settings"}} in sources
    assert {"secretRef": {"name": "llm-advisor-secrets"}} in sources
    config = get(objects, "ConfigMap", "llm-advisor-settings")["data"]
    secret = get(objects, "Secret", "llm-advisor-secrets")["stringData"]
    assert not set(config) & set(secret), set(config) & set(secret)
    assert set(config) | set(secret) == all_settings(), (set(config) | set(secret)) ^ all_settings()
    assert set(secret) == SECRET_SETTINGS
    assert all(value == "" for value in secret.values()), "the Secret holds placeholders only"
    assert all(isinstance(value, str) for value in config.values())
    assert config["TEAMS_DEV_MODE"] == "false"
    assert config["ADVISOR_LOG_DEBUG_TEXT"] == "false"


def test_configmap_is_a_valid_configuration(
    objects: dict[tuple[str, str], dict[str, Any]],
) -> None:
    config = get(objects, "ConfigMap", "llm-advisor-settings")["data"]
    secret = get(objects, "Secret", "llm-advisor-secrets")["stringData"]
    _, problems = Settings.read({**config, **secret})
    assert problems == [], problems


def test_hpa_and_pdb(objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    deployment = get(objects, "Deployment", "llm-advisor")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    hpa = get(objects, "HorizontalPodAutoscaler", "llm-advisor")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "llm-advisor",
    }
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"]
    # Socket Mode allows 10 connections per Slack app, one per replica.
    assert hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"] <= 10
    pdb = get(objects, "PodDisruptionBudget", "llm-advisor")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    # A node drain can always proceed: fewer must stay up than there are replicas.
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


def test_services_select_their_own_pods(objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    advisor_labels = get(objects, "Deployment", "llm-advisor")["spec"]["template"]["metadata"][
        "labels"
    ]
    redis = get(objects, "StatefulSet", "llm-advisor-redis")
    redis_labels = redis["spec"]["template"]["metadata"]["labels"]
    service = get(objects, "Service", "llm-advisor")
    assert selects(service["spec"]["selector"], advisor_labels)
    assert not selects(service["spec"]["selector"], redis_labels)
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] in {p["name"] for p in advisor(objects)["ports"]}
    headless = get(objects, "Service", "llm-advisor-redis")
    assert headless["spec"]["clusterIP"] == "None"
    assert selects(headless["spec"]["selector"], redis_labels)
    assert not selects(headless["spec"]["selector"], advisor_labels)
    for selector in (
        get(objects, "Deployment", "llm-advisor")["spec"]["selector"]["matchLabels"],
        redis["spec"]["selector"]["matchLabels"],
    ):
        assert selects(selector, advisor_labels) != selects(selector, redis_labels)


def test_ingress_routes_only_the_webhooks(objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    ingress = get(objects, "Ingress", "llm-advisor")
    service = get(objects, "Service", "llm-advisor")
    port_names = {p["name"] for p in service["spec"]["ports"]}
    paths = set()
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            paths.add(path["path"])
            backend = path["backend"]["service"]
            assert backend["name"] == "llm-advisor"
            assert backend["port"]["name"] in port_names
    assert paths == {"/slack/events", "/api/messages"}
    assert ingress["spec"]["tls"], "Slack and Teams call HTTPS only"


# ---- the bundled Redis -----------------------------------------------------------------------


def test_redis_statefulset_persists_append_only(
    objects: dict[tuple[str, str], dict[str, Any]],
) -> None:
    redis = get(objects, "StatefulSet", "llm-advisor-redis")
    assert redis["spec"]["replicas"] == 1
    assert redis["spec"]["serviceName"] == "llm-advisor-redis"
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    assert container["image"].startswith("redis:7")
    args = container["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--dir") + 1] == "/data"
    assert args[args.index("--maxmemory-policy") + 1] == "noeviction"
    (claim,) = redis["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == "/data"
    for probe in ("livenessProbe", "readinessProbe"):
        assert "redis-cli" in " ".join(container[probe]["exec"]["command"]), probe


def test_redis_url_points_at_the_headless_service(
    objects: dict[tuple[str, str], dict[str, Any]],
) -> None:
    url = get(objects, "ConfigMap", "llm-advisor-settings")["data"]["REDIS_URL"]
    (port,) = get(objects, "Service", "llm-advisor-redis")["spec"]["ports"]
    assert url == f"redis://llm-advisor-redis:{port['port']}/0"


def test_only_the_advisor_reaches_redis(objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    policy = get(objects, "NetworkPolicy", "llm-advisor-redis")
    redis_labels = get(objects, "StatefulSet", "llm-advisor-redis")["spec"]["template"]["metadata"][
        "labels"
    ]
    advisor_labels = get(objects, "Deployment", "llm-advisor")["spec"]["template"]["metadata"][
        "labels"
    ]
    assert selects(policy["spec"]["podSelector"]["matchLabels"], redis_labels)
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    (source,) = rule["from"]
    assert selects(source["podSelector"]["matchLabels"], advisor_labels)
    assert not selects(source["podSelector"]["matchLabels"], redis_labels)
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]
