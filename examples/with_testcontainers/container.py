"""dsop-sandbox in one container, as Testcontainers starts it.

The services hand out URLs (issuers, endpoints, the pages a citizen's browser is sent to) that must
work from the host. A container learns nothing about the host ports Testcontainers maps, so the
ports are picked first and given to both sides: each service listens inside on the port the host
reaches it by (``DSOP_SANDBOX__SERVICES__<NAME>__PORT``, bound to the same host port), its URLs are
on ``DSOP_SANDBOX__PUBLIC_HOST`` (the host the Docker engine publishes on), and the services call each
other inside the container at 127.0.0.1 (``…__INTERNAL_URL``), which holds wherever the engine runs.
"""

from __future__ import annotations

import socket

from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import CompositeWaitStrategy, HttpWaitStrategy

IMAGE = "dsop-sandbox:0.1.0"
SERVICES = ("control", "idporten", "maskinporten", "altinn", "nav")
HEALTH = "/_sandbox/health"
#: Where `dsop-sandbox up` keeps its admin token in the image (its state directory is /state).
ADMIN_TOKEN_FILE = "/state/admin-token"


def free_ports(count: int) -> list[int]:
    """``count`` ports free on this host a moment ago (a small race, accepted, as with any fixed port)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def sandbox_environment(ports: dict[str, int], public_host: str) -> dict[str, str]:
    """The settings that make the container's URLs the host's: same port inside and out, URLs on
    ``public_host``, calls between the services on the container's own loopback."""
    env = {"DSOP_SANDBOX__PUBLIC_HOST": public_host}
    for name, port in ports.items():
        key = f"DSOP_SANDBOX__SERVICES__{name.upper()}__"
        env[key + "PORT"] = str(port)
        env[key + "INTERNAL_URL"] = f"http://127.0.0.1:{port}"
    return env


def docker_run_options(image: str = IMAGE) -> tuple[dict[str, int], list[str]]:
    """The same set-up without Testcontainers: (each service's free port, the options of ``docker run``
    that publish them on the host's 127.0.0.1 and hand out URLs on localhost), the image last."""
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    options = []
    for name, value in sandbox_environment(ports, "localhost").items():
        options += ["-e", f"{name}={value}"]
    for port in ports.values():
        options += ["-p", f"127.0.0.1:{port}:{port}"]
    return ports, [*options, image]


class SandboxContainer(DockerContainer):
    """``with SandboxContainer() as sandbox:`` every service in one container, started and healthy;
    ``sandbox.url("altinn")``, ``sandbox.admin_token()``."""

    def __init__(self, image: str = IMAGE, startup_timeout: int = 60, public_host: str | None = None):
        super().__init__(image)
        self.service_ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
        # Default: the Docker engine's host as Testcontainers names it before a container runs (localhost
        # for a local engine, DOCKER_HOST's host for a remote one, TESTCONTAINERS_HOST_OVERRIDE when
        # set). The sandbox answers its admin API only on the host names it hands out.
        self.public_host = public_host or self.get_docker_client().host()
        for name, value in sandbox_environment(self.service_ports, self.public_host).items():
            self.with_env(name, value)
        for port in self.service_ports.values():
            self.with_bind_ports(port, port)
        # Started means every service answers its health endpoint.
        self.waiting_for(
            CompositeWaitStrategy(
                *(
                    HttpWaitStrategy(port, HEALTH)
                    .for_status_code(200)
                    .with_startup_timeout(startup_timeout)
                    .with_poll_interval(0.2)
                    for port in self.service_ports.values()
                )
            )
        )

    def url(self, service: str) -> str:
        return f"http://{self.public_host}:{self.service_ports[service]}"

    def admin_token(self) -> str:
        """The token the admin API (/_sandbox) asks for: the container binds 0.0.0.0."""
        code, output = self.exec(["cat", ADMIN_TOKEN_FILE])
        if code != 0:
            raise RuntimeError(f"no admin token in the container: {output!r}")
        return output.decode().strip()
