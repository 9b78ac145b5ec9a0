"""Starting services: every app on its own port, in this process, on cheroot servers.

``Sandbox(settings).start()`` binds every port first (port 0 gives a free one), then builds each
app with the real base URLs, serves them, and waits until every ``/_sandbox/health`` answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests

from dsop_sandbox.mocks.altinn import create_app as create_altinn
from dsop_sandbox.mocks.authority import AuthorityError, KeyAuthority, pki
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.service import TLS_CERTIFICATE_KEY
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, Settings
from dsop_sandbox.mocks.common.trust import ca_bundle_path, trust
from dsop_sandbox.mocks.common.turn import TURN
from dsop_sandbox.mocks.idporten import create_app as create_idporten
from dsop_sandbox.mocks.maskinporten import create_app as create_maskinporten
from dsop_sandbox.mocks.nav import create_app as create_nav

from . import control_plane, dashboard
from .control_plane.fanout import trusted_root_file
from .wsgi_server import ServiceServer


def create_control_plane(settings: Settings, *, authority: KeyAuthority | None = None, clock: Clock | None = None):
    """The control plane, with the workshop dashboard's pages on it."""
    return dashboard.install(control_plane.create_app(settings, authority=authority, clock=clock))


FACTORIES: dict[str, Callable] = {
    "control": create_control_plane,
    "idporten": create_idporten,
    "maskinporten": create_maskinporten,
    "altinn": create_altinn,
    "nav": create_nav,
}


class StartupError(RuntimeError):
    pass


def tls_hostnames(settings: Settings, service: str | None = None) -> list[str]:
    """The names a service certificate covers: the public host, plus localhost and 127.0.0.1 so
    that in-process clients reach a server by either, plus the host of ``service``'s own base URL
    and of its internal URL (the name other services reach it by: ``nav`` in docker compose)."""
    names = [settings.public_host]
    extras = ["localhost", "127.0.0.1"]
    if service is not None:
        extras += [urlsplit(url).hostname or "" for url in (settings.base_url(service), settings.internal_url(service))]
    for extra in extras:
        if extra and extra not in names:
            names.append(extra)
    return names


def untrusted_certificate(folder: Path, name: str, hostnames: list[str], now) -> tuple[Path, Path]:
    """(chain path, key path) of a server certificate for ``hostnames`` issued by a throwaway root
    that is not the key authority's (so it does not verify against the sandbox's CA bundle)."""
    folder.mkdir(parents=True, exist_ok=True)
    root_key, key = pki.new_rsa_key(), pki.new_rsa_key()
    root = pki.self_signed_ca(root_key, "dsop-sandbox Untrusted Root (not in the CA bundle)", now)
    cert = pki.tls_server_certificate(key, hostnames, root_key, root, now)
    cert_path, key_path = folder / f"{name}.cert.pem", folder / f"{name}.key.pem"
    key_path.write_bytes(pki.key_pem(key))
    key_path.chmod(0o600)
    cert_path.write_bytes(pki.cert_pem(cert) + pki.cert_pem(root))
    return cert_path, key_path


HEALTH_PATH = "/_sandbox/health"


def unhealthy_after(
    settings: Settings, services, timeout: float, alive: Callable[[str], None] | None = None, interval: float = 0.01
) -> list[str]:
    """Poll each service's ``/_sandbox/health`` (trusting what ``settings`` trust) until every one
    answers ``{"status": "ok", "service": name}`` or ``timeout`` seconds pass; the services still not
    healthy, sorted (empty: all are). ``alive(name)`` may raise to stop at once (a dead process)."""
    deadline = time.monotonic() + timeout
    pending = set(services)
    with requests.Session() as session:
        session.trust_env = False
        session.verify = trust(settings)
        while pending:
            for name in sorted(pending):
                if alive is not None:
                    alive(name)
                try:
                    answer = session.get(settings.internal_url(name) + HEALTH_PATH, timeout=1)
                    if answer.status_code == 200 and answer.json() == {"status": "ok", "service": name}:
                        pending.discard(name)
                except (requests.RequestException, ValueError):
                    pass
            if pending and time.monotonic() > deadline:
                break
            if pending:
                time.sleep(interval)
    return sorted(pending)


class Certificates:
    """The certificate one server of a :class:`Sandbox` presents (see ``CertificateSwitch`` in
    mocks/common/service.py): the key authority's, or an untrusted one for the same names.

    The service's runtime records a switch in its store (``ServiceRuntime.serve_certificate``); with
    several worker processes on one socket, each takes it up before its next handshake
    (``ServiceRuntime.take_up_certificate``). An untrusted certificate is made when the service
    switches to it, and every process that takes the switch up presents those files, so that all
    present one root."""

    def __init__(self, sandbox: Sandbox, name: str):
        self.sandbox, self.name = sandbox, name

    def current(self) -> str:
        return self.sandbox.serving.get(self.name, "authority")

    def serve(self, kind: str) -> str:
        """Present ``kind`` on this process's server (the runtime records the choice)."""
        return self._present(kind, make=kind == "untrusted" and self._stored() != "untrusted")

    def _stored(self) -> str:
        return self._store().get_meta(TLS_CERTIFICATE_KEY) or "authority"

    def _store(self):
        return self.sandbox.apps[self.name].extensions["sandbox"].store

    def _present(self, kind: str, make: bool) -> str:
        """Present ``kind`` (``make``: a new untrusted root; else the files the switching process made)."""
        sandbox = self.sandbox
        now = (sandbox.shared_clock or Clock()).now()
        hostnames = tls_hostnames(sandbox.settings, self.name)
        if kind == "untrusted":
            folder = sandbox.settings.state_dir / "untrusted-tls"
            cert, key = folder / f"{self.name}.cert.pem", folder / f"{self.name}.key.pem"
            if make or not cert.exists():
                cert, key = untrusted_certificate(folder, self.name, hostnames, now)
        elif kind == "authority":
            cert, key = sandbox.authority.tls_certificate(self.name, hostnames, now)
        else:
            raise ValueError(f"no certificate kind {kind!r}")
        sandbox.servers[self.name].swap_certificate(str(cert), str(key))
        sandbox.serving[self.name] = kind
        return root_of(cert)


def root_of(chain_path: Path) -> str:
    """The PEM of the last certificate in a chain file (the root the chain ends in)."""
    text = chain_path.read_text()
    marker = "-----BEGIN CERTIFICATE-----"
    return text[text.rindex(marker) :]


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
        self.authority: KeyAuthority | None = None
        self.serving: dict[str, str] = {}  # service -> certificate kind, when not the authority's

    def start(self, timeout: float = 15.0) -> Sandbox:
        """Serve every service from threads of this process until :meth:`stop`."""
        began = time.perf_counter()
        self.prepare()
        try:
            self.serve_here()
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()  # no server thread may outlive a failed start (a stuck process)
            raise
        self.startup_seconds = time.perf_counter() - began
        return self

    def prepare(self) -> Sandbox:
        """Bind every port (0 gives a free one), then open the key authority and build every app with
        the real base URLs. Nothing serves yet and no thread has started, so that a supervisor may
        fork its worker processes from here (sandbox/supervisor.py)."""
        try:
            for name in self.services:
                limits = self.requested.server
                server = ServiceServer(
                    name,
                    self.requested.bind_host,
                    self.requested.services[name].port,
                    limits.threads,
                    max_threads=limits.max_threads,
                    request_deadline=limits.request_deadline,
                    body_limit=self.requested.max_body_bytes,  # what the app takes at most
                    # a fake's requests take turns in this process, but not on PostgreSQL, whose every
                    # statement waits on the network while it would hold the turn
                    turn=None if self.requested.store_url else TURN,
                )
                self.servers[name] = server
                server.bind()
        except OSError as exc:
            self.stop()
            raise StartupError(f"cannot bind {name} to port {self.requested.services[name].port}: {exc}") from exc
        try:
            self._build()
        except AuthorityError as exc:
            self.stop()
            raise StartupError(str(exc)) from exc
        except BaseException:
            self.stop()
            raise
        return self

    def _build(self) -> None:
        """With every port bound: the key authority, the apps with the real base URLs."""
        self.settings = self.requested.with_ports({name: s.port for name, s in self.servers.items()})
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        authority = KeyAuthority.open(self.settings.state_dir, (self.shared_clock or Clock()).now())
        self.authority = authority
        if self.settings.tls:
            self._use_tls(authority)
        for name in self.services:
            clock = self.shared_clock or Clock()
            self.apps[name] = FACTORIES[name](self.settings, authority=authority, clock=clock)
        if self.settings.tls:
            self._install_certificate_switches()

    def serve_here(self, worker: str | None = None) -> None:
        """Serve every prepared app from threads of this process (``worker``: this process's name in
        the answers' worker header, when it is one of several on the same sockets; each then presents
        the certificate any of them was switched to)."""
        for name in self.services:
            server = self.servers[name]
            runtime = self.apps[name].extensions.get("sandbox")
            if worker is not None and runtime is not None and isinstance(runtime.certificates, Certificates):
                server.before_handshake(runtime.take_up_certificate)
            server.start(self.apps[name], worker)

    def _use_tls(self, authority: KeyAuthority) -> None:
        """Every server serves HTTPS with its own certificate from the key authority."""
        now = (self.shared_clock or Clock()).now()
        for name, server in self.servers.items():
            cert, key = authority.tls_certificate(name, tls_hostnames(self.settings, name), now)
            server.use_tls(str(cert), str(key))

    def _install_certificate_switches(self) -> None:
        """Each fake's ``/_sandbox/tls`` turns its own server's certificate, and a client's refusal
        of the handshake becomes an event in the fake's log."""
        for name, server in self.servers.items():
            runtime = self.apps[name].extensions.get("sandbox")
            if runtime is None:
                continue
            runtime.certificates = Certificates(self, name)
            server.on_handshake_refused(runtime.handshake_refused)
            # a start presents the authority's certificate, whatever a run before switched to
            runtime.store.set_meta(TLS_CERTIFICATE_KEY, None)
            trusted_root_file(self.settings.state_dir, name).unlink(missing_ok=True)

    def serve_untrusted_certificate(self, name: str) -> None:
        """``name`` serves a certificate for the same host names that does *not* chain to the CA
        bundle (a self-signed root of its own), until :meth:`serve_trusted_certificate`. A
        conformant client must refuse the connection instead of sending its tokens."""
        self.apps[name].extensions["sandbox"].serve_certificate("untrusted")

    def serve_trusted_certificate(self, name: str) -> None:
        """``name`` serves its certificate from the key authority again."""
        self.apps[name].extensions["sandbox"].serve_certificate("authority")

    @property
    def ca_bundle(self) -> str | None:
        """The CA bundle a client must trust to reach this sandbox over HTTPS (None without TLS)."""
        return str(ca_bundle_path(self.settings)) if self.settings.tls else None

    def wait_healthy(self, timeout: float) -> None:
        pending = unhealthy_after(self.settings, self.services, timeout)
        if pending:
            self.stop()
            raise StartupError(f"not healthy after {timeout:.0f} s: {', '.join(pending)}")

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
        self.close_stores()
        self.servers.clear()

    def close_stores(self) -> None:
        """Close every database connection this process holds (they open again on the next query): what
        a supervisor does before it forks, so that no connection is shared between two processes."""
        for app in self.apps.values():
            runtime = app.extensions.get("sandbox")
            if runtime is not None:
                runtime.store.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
