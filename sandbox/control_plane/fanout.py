"""The control plane's HTTP client for the services' admin APIs (services are reached only over HTTP)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.common.trust import trust

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


class Fanout:
    def __init__(self, settings: Settings, timeout: float = 10.0, token: str | None = None):
        self.settings = settings
        self.timeout = timeout
        self.session = requests.Session()
        self.token = token  # the admin token, sent to the services only (never to an insurer)
        self.session.trust_env = False  # never send sandbox traffic through a proxy
        self.session.verify = trust(settings)  # the key authority's CA bundle when TLS is on
        self.trusted_roots: dict[str, str] = {}  # service -> root file, while it serves an untrusted certificate

    def trust_root(self, service: str, root_pem: str | None) -> None:
        """Reach ``service`` through the root its certificate now chains to (None: the CA bundle
        again). The control plane still administers a service whose certificate a conformant client
        must refuse; only the control plane trusts it, and only for that service."""
        if root_pem is None:
            self.trusted_roots.pop(service, None)
            return
        path = self.settings.state_dir / "untrusted-tls" / f"{service}.trusted-by-control.pem"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(root_pem)
        self.trusted_roots[service] = str(path)

    def url(self, service: str, path: str) -> str:
        return self.settings.internal_url(service) + path

    def call(self, service: str, method: str, path: str, **kwargs):
        """One admin call; the decoded JSON. Raises ServiceUnreachable / ServiceRefused."""
        try:
            response = self.session.request(
                method,
                self.url(service, path),
                timeout=self.timeout,
                verify=self.trusted_roots.get(service, self.session.verify),
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

        with ThreadPoolExecutor(max_workers=len(services)) as pool:
            return dict(pool.map(one, services))

    def health(self, service: str) -> str:
        try:
            self.call(service, "GET", "/_sandbox/health")
            return "ok"
        except (ServiceUnreachable, ServiceRefused):
            return "unreachable"
