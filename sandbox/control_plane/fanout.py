"""The control plane's HTTP client for the services' admin APIs (services are reached only over HTTP)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER
from dsop_sandbox.mocks.common.outbound import Outbound
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.common.turn import TURN

FAKES = ("idporten", "maskinporten", "altinn", "nav")


class ServiceUnreachable(RuntimeError):
    def __init__(self, service: str, detail: str):
        super().__init__(f"{service}: {detail}")
        self.service = service
        self.detail = detail


class ServiceRefused(RuntimeError):
    """A service answered a fan-out call with an error status."""

    def __init__(self, service: str, status: int, body):
        super().__init__(f"{service} answered {status}")
        self.service, self.status, self.body = service, status, body


TRUSTED_ROOT_SUFFIX = ".trusted-by-control.pem"


def trusted_root_file(state_dir: Path, service: str) -> Path:
    """Where the control plane keeps the root it reaches ``service`` through while that serves an
    untrusted certificate (absent: the CA bundle)."""
    return Path(state_dir) / "untrusted-tls" / (service + TRUSTED_ROOT_SUFFIX)


class Fanout:
    def __init__(self, settings: Settings, timeout: float = 10.0, token: str | None = None):
        self.settings = settings
        self.timeout = timeout
        # kept for the connections: a fake's session (no proxy, the key authority's CA bundle under
        # TLS, the caller's turn given up while a call is out)
        self.session = Outbound(settings).session()
        self.token = token  # the admin token, sent to the services only (never to an insurer)
        self.folder = trusted_root_file(settings.state_dir, "").parent

    @property
    def trusted_roots(self) -> dict[str, str]:
        """service -> root file, while it serves an untrusted certificate. Files, not memory: every
        process of the control plane (``up --workers N``) reaches the service through the same root."""
        return {
            path.name.removesuffix(TRUSTED_ROOT_SUFFIX): str(path)
            for path in self.folder.glob("*" + TRUSTED_ROOT_SUFFIX)
        }

    def trust_root(self, service: str, root_pem: str | None) -> None:
        """Reach ``service`` through the root its certificate now chains to (None: the CA bundle
        again). The control plane still administers a service whose certificate a conformant client
        must refuse; only the control plane trusts it, and only for that service."""
        path = self._root_file(service)
        if root_pem is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        written = path.with_suffix(f".{os.getpid()}.tmp")
        written.write_text(root_pem)
        written.replace(path)  # whole, for another process reading it at once

    def _root_file(self, service: str) -> Path:
        return trusted_root_file(self.settings.state_dir, service)

    def _verify(self, service: str):
        path = self._root_file(service)
        return str(path) if self.settings.tls and path.exists() else self.session.verify

    def url(self, service: str, path: str) -> str:
        return self.settings.internal_url(service) + path

    def call(self, service: str, method: str, path: str, **kwargs):
        """One admin call; the decoded JSON. Raises ServiceUnreachable / ServiceRefused."""
        try:
            response = self.session.request(
                method,
                self.url(service, path),
                timeout=self.timeout,
                verify=self._verify(service),
                headers={TOKEN_HEADER: self.token} if self.token else None,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise ServiceUnreachable(service, f"{type(exc).__name__} at {self.settings.internal_url(service)}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {"raw": response.text[:500]}
        if response.status_code >= 400:
            raise ServiceRefused(service, response.status_code, body)
        return body

    def all(self, method: str, path: str, services=FAKES, **kwargs) -> dict:
        """The same call on every service at once; results (or the exception) by service."""

        def one(service):
            try:
                return service, self.call(service, method, path, **kwargs)
            except (ServiceUnreachable, ServiceRefused) as exc:
                return service, exc

        with TURN.given_up(), ThreadPoolExecutor(max_workers=len(services)) as pool:
            return dict(pool.map(one, services))

    def health(self, service: str) -> str:
        try:
            self.call(service, "GET", "/_sandbox/health")
            return "ok"
        except (ServiceUnreachable, ServiceRefused):
            return "unreachable"
