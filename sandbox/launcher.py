"""Starting services: every app on its own port, in this process, on cheroot servers.

``Sandbox(settings).start()`` binds every port first (port 0 gives a free one), then builds each
app with the real base URLs, serves them, and waits until every ``/_sandbox/health`` answers.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import requests

from mocks.altinn import create_app as create_altinn
from mocks.authority import KeyAuthority
from mocks.common.clock import Clock
from mocks.common.settings import SERVICE_NAMES, Settings
from mocks.idporten.maskinporten import create_app as create_maskinporten
from mocks.idporten.oidc import create_app as create_idporten
from mocks.nav import create_app as create_nav

from . import control_plane
from .wsgi_server import ServiceServer

FACTORIES: dict[str, Callable] = {
    "control": control_plane.create_app,
    "idporten": create_idporten,
    "maskinporten": create_maskinporten,
    "altinn": create_altinn,
    "nav": create_nav,
}


class StartupError(RuntimeError):
    pass


class Sandbox:
    """A running set of services. ``clock`` (tests only) makes every service share one clock."""

    def __init__(self, settings: Settings, services: tuple[str, ...] = SERVICE_NAMES, clock: Clock | None = None):
        unknown = set(services) - set(FACTORIES)
        if unknown:
            raise StartupError(f"unknown service(s): {', '.join(sorted(unknown))}; known: {', '.join(FACTORIES)}")
        self.requested = settings
        self.settings = settings
        self.services = tuple(services)
        self.shared_clock = clock
        self.apps: dict = {}
        self.servers: dict[str, ServiceServer] = {}
        self.startup_seconds: float | None = None

    def start(self, timeout: float = 15.0) -> "Sandbox":
        began = time.perf_counter()
        if self.requested.tls:
            raise StartupError("--tls is not available yet: TLS certificates exist in the key authority, "
                               "serving them comes with the TLS work")
        try:
            for name in self.services:
                server = ServiceServer(name, self.requested.bind_host, self.requested.services[name].port)
                self.servers[name] = server
                server.bind()
        except OSError as exc:
            self.stop()
            raise StartupError(f"cannot bind {name} to port {self.requested.services[name].port}: {exc}") from exc
        self.settings = self.requested.with_ports({name: s.port for name, s in self.servers.items()})
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        authority = KeyAuthority.open(self.settings.state_dir, (self.shared_clock or Clock()).now())
        for name in self.services:
            clock = self.shared_clock or Clock()
            self.apps[name] = FACTORIES[name](self.settings, authority=authority, clock=clock)
        for name in self.services:
            self.servers[name].start(self.apps[name])
        self.wait_healthy(timeout)
        self.startup_seconds = time.perf_counter() - began
        return self

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = set(self.services)
        with requests.Session() as session:
            session.trust_env = False
            while pending:
                for name in sorted(pending):
                    try:
                        answer = session.get(self.url(name) + "/_sandbox/health", timeout=1)
                        if answer.status_code == 200 and answer.json().get("status") == "ok":
                            pending.discard(name)
                    except (requests.RequestException, ValueError):
                        pass
                if pending and time.monotonic() > deadline:
                    self.stop()
                    raise StartupError(f"not healthy after {timeout:.0f} s: {', '.join(sorted(pending))}")
                if pending:
                    time.sleep(0.01)

    def url(self, name: str) -> str:
        return self.settings.base_url(name)

    def app(self, name: str):
        return self.apps[name]

    def stop(self) -> None:
        # Each cheroot server needs up to one poll interval to notice; stop them side by side.
        stoppers = [threading.Thread(target=server.stop) for server in self.servers.values()]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for app in self.apps.values():
            runtime = app.extensions.get("sandbox")
            if runtime is not None:
                runtime.store.close()
        control = self.apps.get("control")
        if control is not None:
            control.extensions["control"].store.close()
        self.servers.clear()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
