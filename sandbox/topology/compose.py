"""The topology as a Docker Compose document: one image, one container per service, healthchecks,
the init step ``keys`` that alone writes the key authority's volume (every service mounts it
read-only), the reference insurer behind a profile. :func:`render_compose` writes it as YAML."""

from __future__ import annotations

import json
import re
import shlex

from dsop_sandbox.mocks.authority.authority import KEYS_FOLDER
from dsop_sandbox.mocks.common.settings import DEFAULT_PORTS, SERVICE_NAMES, Settings
from dsop_sandbox.mocks.common.trust import ca_bundle_path

from ..launcher import HEALTH_PATH
from .settings_tree import init_arguments, serve_arguments, settings_environment, topology_settings

IMAGE = "dsop-sandbox:0.1.0"
CONTAINER_STATE_DIR = "/state"
CONTAINER_KEYS_DIR = f"{CONTAINER_STATE_DIR}/{KEYS_FOLDER}"
CONTAINER_INSURER_DIR = "/insurer"
KEYS_VOLUME = "authority"
INSURER_VOLUME = "insurer"
INSURER_PORT = 7200
INSURER_ORG = "310000019"
INSURER_NAME = "Eksempel Forsikring AS"
#: The key authority's volume: written by the init step alone, read-only in everything else.
KEYS_MOUNT = f"{KEYS_VOLUME}:{CONTAINER_KEYS_DIR}"
KEYS_MOUNT_READ_ONLY = f"{KEYS_MOUNT}:ro"


#: The host address every port is published on: the host's loopback, never all its interfaces. (Inside,
#: each container binds 0.0.0.0, so its admin API takes only calls with the admin token, which the
#: `keys` step makes beside the key authority: /state/authority/admin-token.)
PUBLISH_ON = "127.0.0.1"
#: The name the host (its browsers, its insurer under test, the suite) reaches the published ports by;
#: every URL a service hands out is on it.
PUBLIC_HOST = "localhost"


def host_port_variable(name: str) -> str:
    """The variable that moves ``name``'s published port (``DSOP_SANDBOX_NAV_PORT``; the insurer's is
    ``DSOP_SANDBOX_INSURER_PORT``): Compose v2 and docker-compose 1.29 both substitute it."""
    return f"DSOP_SANDBOX_{name.upper()}_PORT"


def host_port(name: str, default: int) -> str:
    return f"${{{host_port_variable(name)}:-{default}}}"


def published(name: str, port: int) -> str:
    return f"{PUBLISH_ON}:{host_port(name, port)}:{port}"


def public_url(name: str, port: int, scheme: str = "http") -> str:
    return f"{scheme}://{PUBLIC_HOST}:{host_port(name, port)}"


def container_settings(tls: bool = False) -> dict:
    """The settings tree of the containers: default ports, bind 0.0.0.0; each service's base URL is
    its published port on the host's ``localhost`` (what it hands out: issuers, endpoints, redirects),
    its internal URL the service name (where the other containers call it)."""
    tree = topology_settings(
        dict(DEFAULT_PORTS),
        {name: name for name in SERVICE_NAMES},
        state_dir=CONTAINER_STATE_DIR,
        bind_host="0.0.0.0",
        tls=tls,
    )
    for name, service in tree["services"].items():
        service["internal_url"] = service["base_url"]
        service["base_url"] = public_url(name, service["port"], "https" if tls else "http")
    return tree


def healthcheck(url: str, ca_bundle: str | None = None) -> dict:
    """A probe in the image's own Python (slim images have no curl): fails unless ``url`` answers
    2xx; an https ``url`` is verified against ``ca_bundle`` (the key authority's root) only."""
    if url.startswith("https:"):
        if not ca_bundle:
            raise ValueError("an https healthcheck needs the CA bundle to trust")
        probe = (
            f"import ssl, urllib.request; urllib.request.urlopen('{url}', timeout=2, "
            f"context=ssl.create_default_context(cafile='{ca_bundle}'))"
        )
    else:
        probe = f"import urllib.request; urllib.request.urlopen('{url}', timeout=2)"
    return {
        "test": ["CMD", "python", "-c", probe],
        "interval": "2s",
        "timeout": "3s",
        "retries": 15,
        "start_period": "5s",
    }


def register_insurer_command(settings: Settings, public_url: str) -> list[str]:
    """``register-insurer`` as a user runs it, then the reference insurer's two URLs filled in
    (the profile it writes leaves them for the integration to fill)."""
    register = [
        "dsop-sandbox",
        "register-insurer",
        "--control-url",
        settings.base_url("control"),
        "--org",
        INSURER_ORG,
        "--name",
        INSURER_NAME,
        "--redirect-uri",
        f"{public_url}/claims/callback",
        "--out",
        CONTAINER_INSURER_DIR,
    ]
    complete = [
        "python",
        "-m",
        "dsop_sandbox.topology",
        "insurer-profile",
        f"{CONTAINER_INSURER_DIR}/insurer.toml",
        "--public-url",
        public_url,
    ]
    return ["sh", "-c", f"{shlex.join(register)} && {shlex.join(complete)}"]


def compose_document(tls: bool = False) -> dict:
    tree = container_settings(tls)
    env = settings_environment(tree)
    settings = Settings.load(environ=env)
    ca_bundle = str(ca_bundle_path(settings))
    services: dict = {
        "keys": {
            "image": IMAGE,
            # containers/debian-base makes a BASE where the official Python image cannot be pulled
            "build": {"context": ".", "args": {"BASE": "${DSOP_SANDBOX_BASE:-python:3.11-slim}"}},
            "command": ["dsop-sandbox", *init_arguments()],
            "environment": dict(env),
            "volumes": [KEYS_MOUNT],
        },
    }
    for name in SERVICE_NAMES:
        port = DEFAULT_PORTS[name]
        depends = {"keys": {"condition": "service_completed_successfully"}}
        if name == "control":
            depends.update({fake: {"condition": "service_healthy"} for fake in SERVICE_NAMES if fake != "control"})
        services[name] = {
            "image": IMAGE,
            "command": ["dsop-sandbox", *serve_arguments(name)],
            "environment": dict(env),
            "ports": [published(name, port)],
            "volumes": [f"{name}-data:{CONTAINER_STATE_DIR}", KEYS_MOUNT_READ_ONLY],
            "healthcheck": healthcheck(f"{settings.scheme}://127.0.0.1:{port}{HEALTH_PATH}", ca_bundle),
            "depends_on": depends,
            "restart": "unless-stopped",
        }
    # The reference insurer stands where an insurer under test stands: on the host's network, calling
    # the services at their published URLs, as the citizen's browser does.
    public = public_url("insurer", INSURER_PORT)
    insurer_port = host_port("insurer", INSURER_PORT)
    services["register-insurer"] = {
        "image": IMAGE,
        "profiles": ["insurer"],
        "network_mode": "host",
        "command": register_insurer_command(settings, public),
        "environment": dict(env),
        # the CA bundle, to trust the control plane over https
        "volumes": [f"{INSURER_VOLUME}:{CONTAINER_INSURER_DIR}", KEYS_MOUNT_READ_ONLY],
        "depends_on": {"control": {"condition": "service_healthy"}},
    }
    insurer_command = [
        "python",
        "-m",
        "dsop_sandbox.examples.reference_insurer",
        "--insurer",
        f"{CONTAINER_INSURER_DIR}/insurer.toml",
        "--host",
        PUBLISH_ON,
        "--port",
        insurer_port,
        "--public-url",
        public,
        "--state-file",
        f"{CONTAINER_INSURER_DIR}/claims.sqlite3",
    ]
    if tls:  # the CA that register-insurer handed the insurer, as an integration would use it
        insurer_command += ["--ca-bundle", f"{CONTAINER_INSURER_DIR}/ca.pem"]
    services["reference-insurer"] = {
        "image": IMAGE,
        "profiles": ["insurer"],
        "network_mode": "host",
        "command": insurer_command,
        "volumes": [f"{INSURER_VOLUME}:{CONTAINER_INSURER_DIR}"],
        "healthcheck": healthcheck(f"http://{PUBLISH_ON}:{insurer_port}/health"),
        "depends_on": {
            "register-insurer": {"condition": "service_completed_successfully"},
            **{name: {"condition": "service_healthy"} for name in SERVICE_NAMES},
        },
    }
    volumes = {KEYS_VOLUME: {}, INSURER_VOLUME: {}, **{f"{name}-data": {} for name in SERVICE_NAMES}}
    # No top-level `name:` (docker-compose 1.29 refuses it): the project is named by -p or
    # COMPOSE_PROJECT_NAME, else after the folder.
    return {"services": services, "volumes": volumes}


COMPOSE_HEADER = """\
# Generated by `python -m dsop_sandbox.topology{flag} > {file}` from sandbox/topology/compose.py
# (tests/topology/test_compose.py checks that docker-compose.yml equals that rendering): edit the Python.
#
# One image, one container per service (`dsop-sandbox serve NAME`), the same settings as
# dsop_sandbox.topology.ProcessTopology uses, here as environment variables. Each service is published
# on the host's 127.0.0.1 and hands out URLs there ({scheme}://localhost:7101 …: issuers, endpoints, the
# pages a browser is sent to), so browsers, the suite and an insurer on the host need nothing more; the
# containers call each other at {scheme}://<service>:<port> (internal_url). DSOP_SANDBOX_<SERVICE>_PORT
# (DSOP_SANDBOX_NAV_PORT=17104 …, DSOP_SANDBOX_INSURER_PORT) moves a published port, and its URLs with it.
# Runs under Compose v2 and docker-compose 1.29 (hence no top-level name: use -p NAME).
# The init service `keys` (`dsop-sandbox keys init`) alone writes the key authority's volume
# `authority`; every other container mounts it read-only (rotated keys go to the service's own
# /state/authority-overlay). Ports are published on the host's 127.0.0.1 only. The containers bind
# 0.0.0.0, so their admin API (/_sandbox) needs the admin token that `keys` leaves in the volume:
#   export DSOP_SANDBOX_ADMIN_TOKEN=$(docker compose{file_option} run --rm --no-deps -T keys \\
#     cat /state/authority/admin-token)
{variant}#
#   docker compose{file_option} up                      # the five services
#   docker compose{file_option} --profile insurer up    # ... plus the registered reference insurer on :7200
# (the reference insurer runs on the host's network, where an insurer under test runs)
"""
TLS_NOTE = """\
# HTTPS variant: `keys` also makes every service's TLS server certificate (for its service name,
# localhost and 127.0.0.1); clients trust only the key authority's root, which a host gets with
#   docker compose -f docker-compose.tls.yml run --rm --no-deps -T keys cat /state/authority/ca.pem > ca.pem
"""


def render_compose(document: dict | None = None, tls: bool = False) -> str:
    """``document`` (default :func:`compose_document` of ``tls``) as YAML: block mappings, with every
    scalar and every list of scalars written as JSON (which YAML reads as the same value)."""
    file = "docker-compose.tls.yml" if tls else "docker-compose.yml"
    header = COMPOSE_HEADER.format(
        flag=" --tls" if tls else "",
        file=file,
        scheme="https" if tls else "http",
        file_option=f" -f {file}" if tls else "",
        variant=TLS_NOTE if tls else "",
    )
    lines = [header.rstrip("\n")]
    _emit(document if document is not None else compose_document(tls), 0, lines)
    return "\n".join(lines) + "\n"


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _emit(node: dict, indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    for key, value in node.items():
        label = key if _PLAIN_KEY.match(key) else json.dumps(key)
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{label}:")
            _emit(value, indent + 1, lines)
        elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
            raise ValueError(f"{key}: only lists of scalars are rendered")
        else:
            lines.append(f"{pad}{label}: {json.dumps(value, ensure_ascii=False)}")
