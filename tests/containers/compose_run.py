"""A compose project of the sandbox up for one test module, and ``dsop-sandbox conform`` run from
the host against it, as a user runs them (the shared part of test_compose_http and test_compose_tls)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
import yaml

from dsop_sandbox.examples.with_testcontainers.container import SERVICES, free_ports

from .engine import Compose, docker, wait_until

TOKEN_HEADER = "X-Sandbox-Admin-Token"


class Sandbox:
    """The project once ``--profile insurer up`` returned, the reference insurer healthy."""

    def __init__(self, compose: Compose, scheme: str, verify: bool | str):
        self.compose, self.scheme, self.verify = compose, scheme, verify
        self.token = compose.read("control", "/state/authority/admin-token").decode().strip()

    def url(self, service: str) -> str:
        return f"{self.scheme}://localhost:{self.compose.ports[service]}"

    def admin(self, service: str, path: str) -> dict:
        answer = requests.get(
            self.url(service) + "/_sandbox" + path, headers={TOKEN_HEADER: self.token}, timeout=10, verify=self.verify
        )
        answer.raise_for_status()
        return answer.json()

    def health(self) -> dict[str, str]:
        """Each service's health as the control plane sees it."""
        return {name: item["health"] for name, item in self.admin("control", "/services")["services"].items()}


#: The URL (and the CA file, over https) in a healthcheck probe as dsop_sandbox.topology writes it.
PROBED = re.compile(r"urlopen\('(https?)://([^:/']+):([^/']+)(/[^']*)'(?:.*cafile='([^']+)')?")


def light_probe(probe: str) -> list[str]:
    """The committed probe's request made without urllib: the same GET of the same URL (over https,
    trusting the same CA file only), failing unless it answers 2xx, in a Python started without its
    site packages. It costs the container about 30 ms of CPU instead of 65-75 ms, three times a second
    for a project of six services (measured in the image), while the tests run beside the rest of the
    suite; the committed probes are run as they are by :func:`committed_probe_codes`."""
    found = PROBED.search(probe)
    assert found, f"a healthcheck probe this does not know: {probe}"
    scheme, host, port, path, cafile = found.groups()
    port = port if port.startswith("$") else int(port)  # ${DSOP_SANDBOX_INSURER_PORT:-7200}: compose fills it in
    modules, connect = "socket, sys", f"c = socket.create_connection(({host!r}, {port}), 2)"
    if scheme == "https":
        trusted = f"ssl.create_default_context(cafile={cafile!r})"
        modules, connect = modules + ", ssl", connect + f"; c = {trusted}.wrap_socket(c, server_hostname={host!r})"
    request = f"GET {path} HTTP/1.0\\r\\nHost: {host}\\r\\n\\r\\n"
    code = f"import {modules}; {connect}; c.sendall(b'{request}'); sys.exit(c.recv(12)[9:10] != b'2')"
    return ["CMD", "python", "-I", "-S", "-c", code]


def light_healthchecks(file: Path, project: str) -> Path:
    """A compose override (in the temporary directory, named for the project) that gives each healthcheck
    its :func:`light_probe` (the timing, retries and dependencies stay as committed)."""
    services = yaml.safe_load(file.read_text(encoding="utf-8"))["services"]
    override = {
        "services": {
            name: {"healthcheck": {"test": light_probe(service["healthcheck"]["test"][3])}}
            for name, service in services.items()
            if "healthcheck" in service
        }
    }
    path = Path(tempfile.gettempdir()) / f"{project}.light-healthchecks.yml"
    path.write_text(yaml.safe_dump(override), encoding="utf-8")
    return path


def committed_probe_codes(sandbox: Sandbox, file: Path) -> dict[str, int]:
    """Each healthcheck probe of ``file``, run once as it is in its service's container: the exit codes."""
    services = yaml.safe_load(file.read_text(encoding="utf-8"))["services"]
    containers, codes = sandbox.compose.containers(), {}
    for name, service in services.items():
        if "healthcheck" in service:
            argv = service["healthcheck"]["test"][1:]  # after "CMD"
            argv = [re.sub(r"\$\{(\w+):-[^}]*\}", lambda m: sandbox.compose.env[m.group(1)], arg) for arg in argv]
            codes[name] = docker("exec", containers[name], *argv, check=False).returncode
    return codes


def start(project: str, file: Path, scheme: str, ca_pem: Path | None = None) -> Sandbox:
    ports = dict(zip((*SERVICES, "insurer"), free_ports(len(SERVICES) + 1), strict=True))
    compose = Compose(project, file, ports, light_healthchecks(file, project))
    compose.down()  # a project left by an interrupted run
    try:
        compose("--profile", "insurer", "up", "-d", timeout=240)
        verify: bool | str = True
        if ca_pem is not None:  # the key authority's root, copied out as the compose file's header says
            ca_pem.write_bytes(
                compose("run", "--rm", "--no-deps", "-T", "keys", "cat", "/state/authority/ca.pem").stdout.encode()
            )
            verify = str(ca_pem)
        sandbox = Sandbox(compose, scheme, verify)
        insurer = f"http://127.0.0.1:{ports['insurer']}/health"
        wait_until(lambda: requests.get(insurer, timeout=2).status_code == 200, 60, "the reference insurer healthy")
    except BaseException as exc:
        logs = compose("--profile", "insurer", "logs", "--no-color", "--tail", "30", check=False)
        compose.down()
        raise AssertionError(f"compose up failed ({exc!r}); the logs:\n{logs.stdout[-6000:]}") from exc
    return sandbox


def conform(
    sandbox: Sandbox, folder: Path, ca_pem: Path | None = None, *options: str
) -> tuple[subprocess.CompletedProcess, dict]:
    """``dsop-sandbox conform [options]`` from the host with the profile ``register-insurer`` wrote in
    the insurer volume; (the finished command, its JSON report)."""
    profile = folder / "insurer.toml"
    profile.write_bytes(sandbox.compose.read("reference-insurer", "/insurer/insurer.toml"))
    report = folder / "report.json"
    argv = [sys.executable, "-m", "dsop_sandbox.cli", "conform", "--insurer", str(profile)]
    argv += ["--control-url", sandbox.url("control"), "--json", str(report)]
    if ca_pem is not None:
        argv += ["--ca-bundle", str(ca_pem)]
    argv += options
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSOP_SANDBOX")}
    env["DSOP_SANDBOX_ADMIN_TOKEN"] = sandbox.token
    done = subprocess.run(argv, capture_output=True, text=True, cwd=folder, env=env, timeout=300)
    return done, json.loads(report.read_text()) if report.exists() else {}


def musts(report: dict) -> dict[str, str]:
    return {item["id"]: item["verdict"] for item in report.get("requirements", []) if item["level"] == "MUST"}
