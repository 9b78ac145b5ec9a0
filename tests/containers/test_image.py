"""The image alone: one container runs every service (``docker run -p …``), healthy, as the
non-root user, with nothing of its build left inside."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import requests

from dsop_sandbox.examples.with_testcontainers.container import ADMIN_TOKEN_FILE, SERVICES, docker_run_options

from .engine import IMAGE, SANDBOX_UID, docker, wait_until

pytestmark = pytest.mark.containers

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.fixture(scope="module")
def container():
    """``docker run -d -p …`` of the image as it is (CMD ``dsop-sandbox up``), every service on a free
    port, published on the host's 127.0.0.1; healthy (polled, never slept) before the tests."""
    ports, options = docker_run_options(IMAGE)
    cid = docker("run", "-d", *options).stdout.strip()
    urls = {name: f"http://localhost:{port}" for name, port in ports.items()}
    try:
        yield cid, urls
    finally:
        docker("rm", "-f", "-v", cid, check=False)


def healthy(urls: dict[str, str]) -> bool:
    for name, url in urls.items():
        answer = requests.get(url + "/_sandbox/health", timeout=2)
        if answer.status_code != 200 or answer.json() != {"status": "ok", "service": name}:
            return False
    return True


def test_one_container_runs_every_service_healthy(container):
    cid, urls = container
    wait_until(lambda: healthy(urls), 60, "every service healthy")
    token = docker("exec", cid, "cat", ADMIN_TOKEN_FILE).stdout.strip()
    listed = requests.get(
        urls["control"] + "/_sandbox/services", headers={"X-Sandbox-Admin-Token": token}, timeout=10
    ).json()
    assert {name: item["health"] for name, item in listed["services"].items()} == dict.fromkeys(SERVICES, "ok")
    assert {name: item["base_url"] for name, item in listed["services"].items()} == urls


def test_every_process_runs_as_the_non_root_user(container):
    cid, urls = container
    wait_until(lambda: healthy(urls), 60, "every service healthy")
    assert docker("inspect", "--format", "{{.Config.User}}", IMAGE).stdout.strip() == "sandbox"
    assert docker("exec", cid, "id", "-u").stdout.strip() == SANDBOX_UID
    lines = docker("top", cid, "-o", "pid,uid").stdout.splitlines()[1:]  # the header, then one per process
    uids = [line.split()[1] for line in lines]
    assert uids and set(uids) == {SANDBOX_UID}, uids


#: Run inside the image: what of the build would still be there.
LEFTOVERS = """
import hashlib, importlib.util, json, os, shutil, sys
size, digest = int(sys.argv[1]), sys.argv[2]
same = []
for top in ("/etc", "/usr", "/opt", "/home", "/root", "/var", "/run", "/tmp"):
    for folder, _, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            try:
                if os.path.isfile(path) and os.path.getsize(path) == size:
                    with open(path, "rb") as handle:
                        if hashlib.sha256(handle.read()).hexdigest() == digest:
                            same.append(path)
            except OSError:
                pass
print(json.dumps({
    "host_ca_bundle": same,
    "pip": [m for m in ("pip", "setuptools") if importlib.util.find_spec(m)],
    "tools": [t for t in ("gcc", "cc", "make", "pip", "pip3", "git") if shutil.which(t)],
    "paths": [p for p in ("/src", "/run/secrets", "/root/.cache", "/home/sandbox/.cache") if os.path.exists(p)],
}))
"""


def test_nothing_of_the_build_is_left_in_the_image():
    """No pip or setuptools in the venv, no compilers, no sources or pip caches, and not the CA
    bundle the build was handed (a build secret: this machine's, with its proxy's root)."""
    bundle = HOST_CA_BUNDLE.read_bytes()
    found = docker(
        "run",
        "--rm",
        "--user",
        "0",  # root sees every file
        IMAGE,
        "python",
        "-c",
        LEFTOVERS,
        str(len(bundle)),
        hashlib.sha256(bundle).hexdigest(),
    )
    assert json.loads(found.stdout) == {"host_ca_bundle": [], "pip": [], "tools": [], "paths": []}
