"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file is generated from ``dsop_sandbox.topology.compose_document()`` (one source of truth,
shared with the process topology the other tests run), so the committed file must equal its
rendering; its contents are then checked on the Python description, and the YAML is read back
with PyYAML (a test dependency: the check never skips itself). The HTTPS variant
(``compose_document(tls=True)``, rendered by ``python -m dsop_sandbox.topology --tls``) is checked
the same way.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from dsop_sandbox.cli import build_parser
from dsop_sandbox.conformance.profile import InsurerProfile
from dsop_sandbox.insurer_files import write_insurer_files
from dsop_sandbox.launcher import tls_hostnames
from dsop_sandbox.mocks.authority import KeyAuthority, pki
from dsop_sandbox.mocks.common.settings import DEFAULT_PORTS, SERVICE_NAMES, Settings
from dsop_sandbox.mocks.common.trust import ca_bundle_path
from dsop_sandbox.topology import (
    ProcessTopology,
    compose_document,
    init_arguments,
    render_compose,
    serve_arguments,
    settings_environment,
)
from dsop_sandbox.topology.compose import CONTAINER_KEYS_DIR, CONTAINER_STATE_DIR, KEYS_VOLUME
from tests.authority.snapshot import snapshot

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def document() -> dict:
    return compose_document()


@pytest.fixture(scope="module")
def tls_document() -> dict:
    return compose_document(tls=True)


_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+):-([^}]*)\}")


def substitute(node, variables: dict[str, str] | None = None):
    """``node`` (a value, list or dict of the document) with ``${VAR:-default}`` replaced as Compose does."""
    if isinstance(node, dict):
        return {key: substitute(value, variables) for key, value in node.items()}
    if isinstance(node, list):
        return [substitute(value, variables) for value in node]
    if isinstance(node, str):
        return _VARIABLE.sub(lambda found: (variables or {}).get(found[1], found[2]), node)
    return node


def run_init(command: list[str], environment: dict[str, str], state_dir: Path) -> subprocess.CompletedProcess:
    """A container's init command, run here: ``dsop-sandbox`` as ``python -m dsop_sandbox.cli``, the
    container's environment with the state directory moved to ``state_dir``."""
    assert command[0] == "dsop-sandbox"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSOP_SANDBOX__")}
    env.update(environment, DSOP_SANDBOX__STATE_DIR=str(state_dir), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "dsop_sandbox.cli", *command[1:]],
        capture_output=True,
        text=True,
        cwd=state_dir.parent,
        env=env,
        timeout=120,
    )


def test_the_committed_file_is_the_rendering_of_the_python_description():
    assert COMPOSE.read_text(encoding="utf-8") == render_compose(), (
        "docker-compose.yml is stale: run  python -m dsop_sandbox.topology > docker-compose.yml"
    )


def test_the_yaml_reads_back_as_the_description(document, tls_document):
    assert yaml.safe_load(COMPOSE.read_text(encoding="utf-8")) == document
    assert yaml.safe_load(render_compose(tls=True)) == tls_document


def test_the_tls_variant_is_what_python_m_sandbox_topology_tls_prints(tls_document):
    done = subprocess.run(
        [sys.executable, "-m", "dsop_sandbox.topology", "--tls"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == render_compose(tls=True) != render_compose()
    assert "docker compose -f docker-compose.tls.yml up" in done.stdout


def test_one_container_per_service_running_what_the_process_topology_runs(document, tmp_path):
    topology = ProcessTopology(tmp_path)
    init = document["services"]["keys"]["command"]
    assert init == ["dsop-sandbox", *init_arguments()] == ["dsop-sandbox", "keys", "init"]
    assert topology.init_command()[1:] == ["-m", "dsop_sandbox.cli", *init[1:], "--config", str(topology.settings_path)]
    args = build_parser().parse_args(init[1:])
    assert (args.command, args.action, args.tls) == ("keys", "init", False)
    for name in SERVICE_NAMES:
        service = document["services"][name]
        assert service["command"] == ["dsop-sandbox", *serve_arguments(name)]
        # one process per service (a container runs one worker per core)
        assert topology.command(name)[1:] == [
            "-m",
            "dsop_sandbox.cli",
            *service["command"][1:],
            "--workers",
            "1",
            "--config",
            str(topology.settings_path),
        ]
        args = build_parser().parse_args(service["command"][1:])
        assert (args.command, args.service) == ("serve", name)
        port = DEFAULT_PORTS[name]
        # the host's loopback, never all interfaces; DSOP_SANDBOX_<NAME>_PORT moves the host's side
        assert substitute(service["ports"]) == [f"127.0.0.1:{port}:{port}"]
        moved = substitute(service["ports"], {f"DSOP_SANDBOX_{name.upper()}_PORT": "17000"})
        assert moved == [f"127.0.0.1:17000:{port}"]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_containers_get_the_process_topologys_settings_as_environment(tls, tmp_path):
    document = compose_document(tls=tls)
    scheme = "https" if tls else "http"
    process_tree = ProcessTopology(tmp_path, tls=tls).tree
    internal_keys = {f"DSOP_SANDBOX__SERVICES__{name.upper()}__INTERNAL_URL" for name in SERVICE_NAMES}
    process_keys = set(settings_environment(process_tree))
    assert not process_keys & internal_keys  # processes reach each other where a client does
    moved = {f"DSOP_SANDBOX_{name.upper()}_PORT": str(17000 + n) for n, name in enumerate(SERVICE_NAMES)}
    for name in ("keys", *SERVICE_NAMES, "register-insurer"):
        env = document["services"][name]["environment"]
        assert set(env) == process_keys | internal_keys
        settings = Settings.load(environ=substitute(env))
        assert settings.bind_host == "0.0.0.0" and settings.state_dir == Path(CONTAINER_STATE_DIR)
        assert settings.tls is tls and process_tree["tls"] is tls
        for other in SERVICE_NAMES:
            # what it hands out: the published port on the host's localhost; where the others call it:
            # its service name
            assert settings.base_url(other) == f"{scheme}://localhost:{DEFAULT_PORTS[other]}"
            assert settings.internal_url(other) == f"{scheme}://{other}:{DEFAULT_PORTS[other]}"
            assert settings.services[other].port == DEFAULT_PORTS[other]
        assert settings.issuer("maskinporten") == f"{scheme}://localhost:7102/"
        # A published port moved by its variable moves the URLs handed out, not the container's port.
        settings = Settings.load(environ=substitute(env, moved))
        for n, other in enumerate(SERVICE_NAMES):
            assert settings.base_url(other) == f"{scheme}://localhost:{17000 + n}"
            assert settings.internal_url(other) == f"{scheme}://{other}:{DEFAULT_PORTS[other]}"
            assert settings.services[other].port == DEFAULT_PORTS[other]


def test_every_service_has_a_healthcheck_on_its_health_endpoint(document):
    for name in SERVICE_NAMES:
        check = document["services"][name]["healthcheck"]
        assert check["test"][:3] == ["CMD", "python", "-c"]
        assert f"'http://127.0.0.1:{DEFAULT_PORTS[name]}/_sandbox/health'" in check["test"][3]
        assert "curl" not in " ".join(check["test"])


def test_under_tls_every_healthcheck_probes_https_trusting_only_the_key_authoritys_ca(tls_document):
    settings = Settings.load(environ=tls_document["services"]["nav"]["environment"])
    bundle = str(ca_bundle_path(settings))
    assert bundle == f"{CONTAINER_KEYS_DIR}/ca.pem"
    for name in SERVICE_NAMES:
        probe = tls_document["services"][name]["healthcheck"]["test"]
        assert probe[:3] == ["CMD", "python", "-c"]
        assert f"'https://127.0.0.1:{DEFAULT_PORTS[name]}/_sandbox/health'" in probe[3]
        assert f"cafile='{bundle}'" in probe[3] and "http://" not in probe[3]
        # the CA bundle it trusts is in the (read-only) key volume this container mounts
        assert f"{KEYS_VOLUME}:{CONTAINER_KEYS_DIR}:ro" in tls_document["services"][name]["volumes"]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_the_health_probe_is_python_that_fails_when_nothing_answers(tls, tmp_path):
    probe = compose_document(tls=tls)["services"]["nav"]["healthcheck"]["test"][3].replace(":7104", ":9")
    any_root = pki.self_signed_ca(pki.new_rsa_key(), "any root", datetime.now(UTC))
    (tmp_path / "ca.pem").write_bytes(pki.cert_pem(any_root))
    probe = probe.replace(f"{CONTAINER_KEYS_DIR}/ca.pem", str(tmp_path / "ca.pem"))
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=20).returncode != 0


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_only_the_init_step_mounts_the_key_volume_writable(tls):
    services = compose_document(tls=tls)["services"]
    init = services["keys"]
    assert init["volumes"] == [f"{KEYS_VOLUME}:{CONTAINER_KEYS_DIR}"]
    assert "profiles" not in init and "depends_on" not in init
    for name, service in services.items():
        mounts = [m for m in service.get("volumes", []) if m.split(":")[0] == KEYS_VOLUME]
        if name == "keys":
            continue
        assert all(m == f"{KEYS_VOLUME}:{CONTAINER_KEYS_DIR}:ro" for m in mounts), (name, mounts)
        if name in SERVICE_NAMES:
            assert mounts, name
            assert service["volumes"][0] == f"{name}-data:{CONTAINER_STATE_DIR}"  # the overlay's home: writable
            assert service["depends_on"]["keys"] == {"condition": "service_completed_successfully"}


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_the_init_step_creates_all_a_read_only_service_needs(tls, tmp_path):
    services = compose_document(tls=tls)["services"]
    state = tmp_path / "state"
    done = run_init(services["keys"]["command"], services["keys"]["environment"], state)
    assert done.returncode == 0, done.stderr
    assert "key authority ready" in done.stdout
    keys = state / "authority"
    assert (keys / "ca.pem").is_file() and (keys / "issuers" / "maskinporten" / "1.key.pem").is_file()
    if tls:
        made = sorted(p.name for p in (keys / "tls").glob("*.cert.pem"))
        assert made == sorted(f"{name}.cert.pem" for name in SERVICE_NAMES)
    else:
        assert not (keys / "tls").exists()
    # Now as docker mounts it: read-only (as root, chmod stops nothing, so nothing may change either).
    subprocess.run(["chmod", "-R", "a-w", str(keys)], check=True)
    try:
        before = snapshot(keys)
        for name in SERVICE_NAMES:
            settings = Settings.load(environ={**services[name]["environment"], "DSOP_SANDBOX__STATE_DIR": str(state)})
            now = datetime.now(UTC)
            authority = KeyAuthority.open(settings.state_dir, now)
            assert authority.read_only
            if tls:  # what the launcher asks for when it serves `name` over https
                cert_path, key_path = authority.tls_certificate(name, tls_hostnames(settings), now)
                assert cert_path == keys / "tls" / f"{name}.cert.pem" and key_path.parent == keys / "tls"
                leaf = x509.load_pem_x509_certificates(cert_path.read_bytes())[0]
                # the others reach it by its service name; the healthcheck by 127.0.0.1
                assert {name, "localhost", "127.0.0.1"} <= pki.host_names(leaf)
        assert snapshot(keys) == before
        assert not (state / "authority-overlay").exists()
        # Running the init step again on the complete, read-only volume is fine and changes nothing.
        again = run_init(services["keys"]["command"], services["keys"]["environment"], state)
        assert again.returncode == 0, again.stderr
        assert snapshot(keys) == before
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(keys)], check=True)


def test_a_service_without_its_init_step_says_how_to_create_the_keys(document, tmp_path):
    """A read-only key volume that the init step never filled: the service does not come up, and
    says what is missing and which command creates it."""
    keys = tmp_path / "state" / "authority"
    keys.mkdir(parents=True)
    keys.chmod(0o555)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSOP_SANDBOX__")}
    env.update(
        document["services"]["nav"]["environment"],
        DSOP_SANDBOX__STATE_DIR=str(tmp_path / "state"),
        DSOP_SANDBOX__SERVICES__NAV__PORT="0",
        PYTHONPATH=str(ROOT),
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dsop_sandbox.cli", *serve_arguments("nav")],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        keys.chmod(0o755)
    said = done.stderr
    assert done.returncode == 2, said  # exits (no server thread left behind), exit code 2
    assert len(said.strip().splitlines()) == 1, said  # one line, no traceback
    assert "read-only and incomplete" in said, said
    assert "missing root-ca.key.pem" in said and "missing issuers/nav" not in said
    assert f"dsop-sandbox keys init --state-dir {tmp_path / 'state'}" in said
    assert list(keys.iterdir()) == []
    assert not (tmp_path / "state" / "authority-overlay").exists()


def register_steps(service: dict) -> tuple[list[str], list[str]]:
    """The register-insurer container's two steps: ``sh -c "REGISTER && COMPLETE"``."""
    assert service["command"][:2] == ["sh", "-c"] and len(service["command"]) == 3
    register, complete = service["command"][2].split(" && ")
    return shlex.split(register), shlex.split(complete)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_the_reference_insurer_is_optional_behind_a_profile(tls):
    services = substitute(compose_document(tls=tls)["services"])
    for name in ("register-insurer", "reference-insurer"):
        assert services[name]["profiles"] == ["insurer"]
        # where an insurer under test runs: on the host, calling the published ports
        assert services[name]["network_mode"] == "host" and "ports" not in services[name]
    assert all("profiles" not in services[name] for name in ("keys", *SERVICE_NAMES))
    assert all("network_mode" not in services[name] for name in ("keys", *SERVICE_NAMES))
    register_command, _ = register_steps(services["register-insurer"])
    assert register_command[0] == "dsop-sandbox"
    register = build_parser().parse_args(register_command[1:])
    scheme = "https" if tls else "http"
    assert register.command == "register-insurer" and register.control_url == f"{scheme}://localhost:7100"
    assert register.redirect_uri == ["http://localhost:7200/claims/callback"]
    insurer = services["reference-insurer"]
    assert insurer["command"][:3] == ["python", "-m", "dsop_sandbox.examples.reference_insurer"]
    assert insurer["command"][insurer["command"].index("--insurer") + 1] == register.out + "/insurer.toml"
    assert ("--ca-bundle" in insurer["command"]) is tls
    if tls:  # the CA that register-insurer wrote beside the profile
        assert insurer["command"][insurer["command"].index("--ca-bundle") + 1] == register.out + "/ca.pem"
    assert insurer["depends_on"]["register-insurer"] == {"condition": "service_completed_successfully"}
    assert "http://127.0.0.1:7200/health" in insurer["healthcheck"]["test"][3]
    command = insurer["command"]
    assert command[command.index("--host") + 1] == "127.0.0.1"  # the host's loopback only
    moved = compose_document(tls=tls)["services"]["reference-insurer"]
    moved = substitute(moved, {"DSOP_SANDBOX_INSURER_PORT": "17200"})
    assert moved["command"][moved["command"].index("--port") + 1] == "17200"
    assert moved["command"][moved["command"].index("--public-url") + 1] == "http://localhost:17200"
    assert "http://127.0.0.1:17200/health" in moved["healthcheck"]["test"][3]


def test_the_insurer_profile_gets_the_reference_insurers_start_and_fetch_urls(document, tmp_path):
    document = substitute(document)
    register_command, complete = register_steps(document["services"]["register-insurer"])
    register = build_parser().parse_args(register_command[1:])
    public = "http://localhost:7200"
    insurer_command = document["services"]["reference-insurer"]["command"]
    assert insurer_command[insurer_command.index("--public-url") + 1] == public
    # What register-insurer writes (facts as the control plane answers them), then the second step.
    facts = {
        "org": "310000019",
        "name": register.name,
        "certificate": {"key_pem": "KEY", "chain_pem": "CHAIN", "ca_pem": "CA"},
        "maskinporten": {"issuer": "http://maskinporten:7102/", "client_id": "mp-client", "scopes": ["a", "b"]},
        "idporten": {
            "issuer": "http://idporten:7101",
            "client_id": "ip-client",
            "client_secret": "s",
            "redirect_uris": [f"{public}/claims/callback"],
        },
        "altinn": {"base_url": "http://altinn:7103", "api_key": "k", "service_code": "5252", "service_edition": 2},
        "nav": {"base_url": "http://nav:7104"},
    }
    out = tmp_path / "insurer"
    write_insurer_files(facts, out)
    profile_path = out / "insurer.toml"
    before = tomllib.loads(profile_path.read_text())
    assert "start_url" not in before["insurer"]  # what register-insurer alone leaves to the integration
    assert complete[:4] == ["python", "-m", "dsop_sandbox.topology", "insurer-profile"]
    assert complete[4] == register.out + "/insurer.toml"
    argv = [
        sys.executable if part == "python" else str(profile_path) if part == complete[4] else part for part in complete
    ]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    after = tomllib.loads(profile_path.read_text())
    assert (
        after["insurer"]["start_url"]
        == f"{public}/claims/start?pid={{pid}}&first_name={{first_name}}&last_name={{last_name}}"
    )
    assert after["insurer"]["fetch_url"] == f"{public}/conformance/fetch?pid={{pid}}"
    assert {k: v for k, v in after.items() if k != "insurer"} == {k: v for k, v in before.items() if k != "insurer"}
    profile = InsurerProfile.load(profile_path)  # what `dsop-sandbox conform --insurer` reads
    assert (profile.org, profile.name) == ("310000019", register.name)


def test_every_named_volume_is_declared(document):
    used = {mount.split(":")[0] for service in document["services"].values() for mount in service.get("volumes", [])}
    assert used == set(document["volumes"])


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_only_top_level_keys_docker_compose_1_29_accepts(tls):
    """docker-compose 1.29 (Debian's) refuses a top-level ``name:``; Compose v2 reads the file either way."""
    assert set(compose_document(tls=tls)) == {"services", "volumes"}


def test_the_dockerfile_installs_the_package_and_runs_as_a_non_root_user():
    text = DOCKERFILE.read_text(encoding="utf-8")
    # The base is an argument whose default is the official image: users elsewhere change nothing.
    assert text.index("\nARG BASE=python:3.11-slim\n") < text.index("\nFROM ")
    froms = re.findall(r"^FROM (.+)$", text, re.M)
    assert froms == ["${BASE} AS build", "${BASE}"], froms
    # pip installs into a venv in the build stage: the dependencies with the CA bundle as a build secret
    # (never a layer), then the package without the network; the final stage takes the venv alone.
    runs = re.findall(r"^RUN .*?(?<!\\)\n", text, re.M | re.S)
    online = [run for run in runs if run.startswith("RUN --mount=type=secret,id=ca ")]
    assert len(online) == 1 and "PIP_CERT=/run/secrets/ca" in online[0]
    assert "/opt/dsop-sandbox/bin/pip install -r " in online[0] and "['project']['dependencies']" in online[0]
    package = [run for run in runs if "pip install --no-deps --no-build-isolation ." in run]
    assert len(package) == 1 and "pip uninstall --yes pip setuptools" in package[0]
    assert text.index(online[0]) < text.index("COPY sandbox ") < text.index(package[0])
    final = text[text.rindex("\nFROM ") :]
    assert re.findall(r"^COPY --from=(\S+) (\S+)", final, re.M) == [("build", "/opt/dsop-sandbox")]
    assert not re.search(r"^(ADD|COPY) .*(\.crt|\.pem|certs)", text, re.M | re.I)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    images = {service["image"] for service in compose_document()["services"].values()}
    assert len(images) == 1, "one image for every service"
    # Every package setuptools installs is copied into the build and not excluded by .dockerignore.
    folders = package_folders()
    assert folders, "setup.py names the folders it installs"
    copied = set(re.findall(r"^COPY (\S+) ", text, re.M))
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for folder in folders:
        assert folder in copied and folder not in ignored, folder
    copied_here = [name for line in re.findall(r"^COPY (.+) \./$", text, re.M) for name in line.split()]
    assert {"pyproject.toml", "setup.py", "README.md"} <= set(copied_here)


def package_folders() -> list[str]:
    """The folders setup.py turns into packages (its ``ROOTS``), read without running it."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(getattr(target, "id", None) == "ROOTS" for target in targets):
                return list(ast.literal_eval(node.value).values())
    return []
