"""A compose project of the sandbox up for one test module, and ``dsop-sandbox conform`` run from
the host against it, as a user runs them (the shared part of test_compose_http and test_compose_tls)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from dsop_sandbox.examples.with_testcontainers.container import SERVICES, free_ports

from .engine import Compose, wait_until

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


def start(project: str, file: Path, scheme: str, ca_pem: Path | None = None) -> Sandbox:
    ports = dict(zip((*SERVICES, "insurer"), free_ports(len(SERVICES) + 1), strict=True))
    compose = Compose(project, file, ports)
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
