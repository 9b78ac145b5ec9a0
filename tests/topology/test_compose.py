"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file is generated from ``sandbox.topology.compose_document()`` (one source of truth,
shared with the process topology the other tests run), so the committed file must equal its
rendering; its contents are then checked on the Python description, and the YAML is read back
with PyYAML where it is installed.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mocks.common.settings import DEFAULT_PORTS, SERVICE_NAMES, Settings
from sandbox.cli import build_parser
from sandbox.topology import (CONTAINER_STATE_DIR, INIT_KEYS, ProcessTopology, compose_document, render_compose,
                              serve_arguments, settings_environment)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def document() -> dict:
    return compose_document()


def test_the_committed_file_is_the_rendering_of_the_python_description():
    assert COMPOSE.read_text(encoding="utf-8") == render_compose(), \
        "docker-compose.yml is stale: run  python -m sandbox.topology > docker-compose.yml"


def test_the_yaml_reads_back_as_the_description(document):
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load(COMPOSE.read_text(encoding="utf-8")) == document


def test_one_container_per_service_running_what_the_process_topology_runs(document, tmp_path):
    topology = ProcessTopology(tmp_path)
    for name in SERVICE_NAMES:
        service = document["services"][name]
        assert service["command"] == ["dsop-sandbox", *serve_arguments(name)]
        assert topology.command(name)[1:] == ["-m", "sandbox.cli", *service["command"][1:],
                                              "--config", str(topology.settings_path)]
        args = build_parser().parse_args(service["command"][1:])
        assert (args.command, args.service) == ("serve", name)
        port = DEFAULT_PORTS[name]
        assert service["ports"] == [f"{port}:{port}"]


def test_containers_get_the_process_topologys_settings_as_environment(document, tmp_path):
    process_keys = set(settings_environment(ProcessTopology(tmp_path).tree))
    for name in SERVICE_NAMES:
        env = document["services"][name]["environment"]
        assert set(env) == process_keys
        settings = Settings.load(environ=env)
        assert settings.bind_host == "0.0.0.0" and settings.state_dir == Path(CONTAINER_STATE_DIR)
        for other in SERVICE_NAMES:
            assert settings.base_url(other) == f"http://{other}:{DEFAULT_PORTS[other]}"
            assert settings.services[other].port == DEFAULT_PORTS[other]
        assert settings.issuer("maskinporten") == "http://maskinporten:7102/"


def test_every_service_has_a_healthcheck_on_its_health_endpoint(document):
    for name in SERVICE_NAMES:
        check = document["services"][name]["healthcheck"]
        assert check["test"][:3] == ["CMD", "python", "-c"]
        assert f"http://127.0.0.1:{DEFAULT_PORTS[name]}/_sandbox/health" in check["test"][3]
        assert "curl" not in " ".join(check["test"])


def test_the_health_probe_is_python_that_fails_when_nothing_answers():
    probe = compose_document()["services"]["nav"]["healthcheck"]["test"][3].replace(":7104", ":9")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=20).returncode != 0


def test_the_key_authority_is_created_once_by_an_init_step(document, tmp_path):
    init = document["services"]["keys"]
    assert init["command"] == ["python", "-c", INIT_KEYS]
    for name in SERVICE_NAMES:
        depends = document["services"][name]["depends_on"]
        assert depends["keys"] == {"condition": "service_completed_successfully"}
        assert "authority:/state/authority" in document["services"][name]["volumes"]
        assert f"{name}-data:/state" in document["services"][name]["volumes"]
    assert "authority:/state/authority" in init["volumes"]
    # The init command really creates the authority (run here against a temporary directory).
    done = subprocess.run([sys.executable, "-c", INIT_KEYS.replace(f"'{CONTAINER_STATE_DIR}'", repr(str(tmp_path)))],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "authority" / "ca.pem").exists()
    assert (tmp_path / "authority" / "issuers" / "maskinporten" / "1.key.pem").exists()


def test_the_control_plane_waits_for_the_fakes_it_fans_out_to(document):
    depends = document["services"]["control"]["depends_on"]
    assert all(depends[name] == {"condition": "service_healthy"} for name in SERVICE_NAMES if name != "control")


def test_the_reference_insurer_is_optional_behind_a_profile(document):
    services = document["services"]
    for name in ("register-insurer", "reference-insurer"):
        assert services[name]["profiles"] == ["insurer"]
    assert all("profiles" not in services[name] for name in ("keys", *SERVICE_NAMES))
    register = build_parser().parse_args(services["register-insurer"]["command"][1:])
    assert register.command == "register-insurer" and register.control_url == "http://control:7100"
    assert register.redirect_uri == ["http://localhost:7200/claims/callback"]
    insurer = services["reference-insurer"]
    assert insurer["command"][:3] == ["python", "-m", "examples.reference_insurer"]
    assert insurer["command"][insurer["command"].index("--insurer") + 1] == register.out + "/insurer.toml"
    assert insurer["depends_on"]["register-insurer"] == {"condition": "service_completed_successfully"}
    assert "http://127.0.0.1:7200/health" in insurer["healthcheck"]["test"][3]


def test_every_named_volume_is_declared(document):
    used = {mount.split(":")[0] for service in document["services"].values() for mount in service.get("volumes", [])}
    assert used == set(document["volumes"])


def test_the_dockerfile_installs_the_package_and_runs_as_a_non_root_user():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"^RUN pip install \.", text, re.M)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    images = {service["image"] for service in compose_document()["services"].values()}
    assert len(images) == 1, "one image for every service"
    # Every package setuptools installs is copied into the build and not excluded by .dockerignore.
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = set(re.findall(r"^COPY (\S+) ", text, re.M))
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for pattern in packages:
        package = pattern.rstrip("*")
        assert package in copied and package not in ignored, package
