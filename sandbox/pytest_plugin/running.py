"""The ``dsop_sandbox`` fixture's object: every fake in this process, on free ports, with a
throw-away state directory, and what a test does to it through the admin API (the suite's own
:class:`~dsop_sandbox.conformance.sandbox_api.SandboxApi`, so that what a test changes is put back
the way the suite puts back what a scenario changed)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

from dsop_sandbox.conformance.oracle import Events
from dsop_sandbox.conformance.sandbox_api import SandboxApi
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.common.admin_access import read_admin_token
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, Settings
from dsop_sandbox.wsgi_server import ServiceServer

from .insurer import RegisteredInsurer, register


class Calendar:
    """The sandbox calendar every service reads (consent validity, NAV's dates): moved, never slept."""

    def __init__(self, api: SandboxApi):
        self.api = api

    def advance(self, duration: str) -> dict:
        """Move the calendar forward by an ISO 8601 duration (``"P3Y"``, ``"PT2H"``)."""
        return self.api.clock(advance=duration)

    def set(self, moment: str) -> dict:
        """Make the calendar read ``moment`` (ISO 8601, ``"2029-12-01T00:00:00Z"``) now."""
        return self.api.clock(set=moment)

    def reset(self) -> dict:
        """Back to the real date (done for you after each test)."""
        return self.api.clock(reset=True)

    def now(self) -> str:
        """The calendar's time now, as the control plane reports it."""
        return self.api.admin("GET", "/clock")["calendar_time"]


class DsopSandbox:
    """A running sandbox: base URLs and issuers, the calendar, lifetimes, faults, the event log with
    the suite oracle's questions, and registration. Made by the ``dsop_sandbox`` fixture (or
    :meth:`start` for a script); :meth:`tidy` puts back what a test changed through it."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.state_dir = Path(sandbox.settings.state_dir)
        self.admin_token = read_admin_token(self.state_dir)
        self.api = SandboxApi(self.url("control"), verify=self.verify, token=self.admin_token)
        self.api.connect()
        self.calendar = Calendar(self.api)
        self._registered: dict[tuple, RegisteredInsurer] = {}
        self._folders = itertools.count(1)
        self._served: list[Served] = []
        self._mark = self.api.cursor()

    @classmethod
    def start(cls, state_dir: str | Path, **settings) -> DsopSandbox:
        """Every fake on a free port with ``state_dir`` as its state (keys are made there on first
        start); ``settings`` override the sandbox's settings (README, «Settings»)."""
        data = {"state_dir": str(state_dir), "services": {name: {"port": 0} for name in SERVICE_NAMES}}
        data.update(settings)
        return cls(Sandbox(Settings.load(environ={}, overrides=data)).start())

    def stop(self) -> None:
        for served in self._served:
            served.stop()
        self.sandbox.stop()

    # -- where things are --------------------------------------------------------------------------------
    @property
    def urls(self) -> dict[str, str]:
        """Base URL by service: ``control``, ``idporten``, ``maskinporten``, ``altinn``, ``nav``."""
        return {name: self.sandbox.url(name) for name in SERVICE_NAMES}

    def url(self, service: str) -> str:
        return self.sandbox.url(service)

    @property
    def issuers(self) -> dict[str, str]:
        """The ``iss`` each service signs with (Maskinporten's ends in ``/``, as the real one's does)."""
        return {name: self.sandbox.settings.issuer(name) for name in SERVICE_NAMES}

    @property
    def ca_bundle(self) -> str | None:
        """The CA bundle to trust over HTTPS (a sandbox started with ``tls=True``), else None."""
        return self.sandbox.ca_bundle

    @property
    def verify(self) -> bool | str:
        """``requests``' ``verify=`` for this sandbox."""
        return self.ca_bundle or True

    @property
    def startup_seconds(self) -> float | None:
        return self.sandbox.startup_seconds

    # -- what a test changes ---------------------------------------------------------------------------
    def lifetimes(self, **values: int) -> contextlib.AbstractContextManager[dict]:
        """Shorter (or longer) lifetimes in seconds, named ``<service>__<what>`` (``altinn__consent_token=2``
        is ``altinn.consent_token``), until the ``with`` block ends (and in any case after the test)."""
        return self._lifetimes({key.replace("__", ".", 1): value for key, value in values.items()})

    @contextlib.contextmanager
    def _lifetimes(self, values: dict) -> Iterator[dict]:
        changed = self.api.lifetimes(values)
        try:
            yield changed["lifetimes"]
        finally:
            self.api.reset_lifetimes()

    @contextlib.contextmanager
    def fault(self, service: str, operation: str = "*", **spec) -> Iterator[dict]:
        """Arm a fault on ``service`` (``status=503``, ``drop=True``, ``delay_ms=2000``, ``count=1``; see
        README, «Admin API») for the ``with`` block; it is cleared after it (and in any case after the test)."""
        armed = self.api.arm_fault(service, operation=operation, **spec)
        try:
            yield armed
        finally:
            self.api.admin("DELETE", "/faults", params={"service": service, "operation": operation})

    def events(self, since: str | None = None) -> Events:
        """The merged event log since the test began (or since the cursor ``since``), with the suite
        oracle's questions: ``requests_made(org)``, ``where(service, operations, status=…)`` …"""
        return Events(self.api.events_since(self._mark if since is None else since))

    def cursor(self) -> str:
        """A cursor at the end of the event log: ``events(since=cursor)`` is what came after."""
        return self.api.cursor()

    def reset(self, registrations: bool = False) -> dict:
        """Every service forgets its consents, tokens and events (``registrations=True``: insurers too)."""
        if registrations:
            self._registered.clear()
        answer = self.api.admin("POST", "/reset", json={"registrations": registrations})
        self._mark = self.api.cursor()
        return answer

    def tidy(self) -> list[str]:
        """Put back what a test changed through this object (calendar, lifetimes, faults, certificates);
        what could not be put back. The fixture calls it after every test that used the sandbox."""
        problems = self.api.tidy()
        self._mark = self.api.cursor()
        return problems

    # -- people and insurers ---------------------------------------------------------------------------
    def persons(self) -> list[dict]:
        """The test persons the login page offers: ``{"pid", "name", "first_name", "last_name", …}``."""
        return self.api.persons()

    def register(
        self,
        folder: str | Path | None = None,
        *,
        org: str = "310000019",
        name: str = "Eksempel Forsikring AS",
        redirect_uris: tuple[str, ...] = ("http://insurer.test/claims/callback",),
        consent: str = "altinn3",
    ) -> RegisteredInsurer:
        """Register an insurer as ``register-insurer`` does and write its key, chain, CA and
        insurer.toml (under the state directory unless ``folder`` says where). The same arguments
        again give the same registration (registering an org again replaces its keys)."""
        wanted = (org, name, tuple(redirect_uris), consent)
        known = self._registered.get(wanted)
        if known is not None:
            return known
        folder = Path(folder) if folder else self.state_dir / "insurers" / f"{org}-{consent}-{next(self._folders)}"
        insurer = register(
            self.api, self.verify, folder, org=org, name=name, redirect_uris=list(redirect_uris), consent=consent
        )
        self._registered = {key: value for key, value in self._registered.items() if key[0] != org}
        self._registered[wanted] = insurer
        return insurer

    def serve(self, make_app: Callable[[str], object], name: str = "insurer") -> Served:
        """Serve an insurer's WSGI app over plain HTTP on a free port beside the sandbox (the suite's
        form: ``conform`` needs an integration it reaches over HTTP). ``make_app(url)`` gets the app's
        base URL before it is served, to register with (``register(redirect_uris=[url + ...])``).
        Stop it with ``stop()`` or a ``with`` block; it stops with the sandbox in any case."""
        server = ServiceServer(name, self.sandbox.settings.bind_host, 0)
        url = f"http://{self.sandbox.settings.public_host}:{server.bind()}"
        served = Served(url, server)
        try:
            server.start(make_app(url))
        except BaseException:
            served.stop()
            raise
        self._served.append(served)
        return served

    def conform(self, profile_path: str | Path, scenarios: list[str] | None = None):
        """Run the conformance suite against the integration ``profile_path`` describes (its
        ``start_url`` and ``fetch_url`` must answer); the suite's RunResult."""
        from dsop_sandbox.conformance.runner import run

        return run(
            str(profile_path), self.url("control"), scenarios=scenarios, verify=self.verify, token=self.admin_token
        )


class Served:
    """An app :meth:`DsopSandbox.serve` serves: its ``url``."""

    def __init__(self, url: str, server: ServiceServer):
        self.url, self.server = url, server
        self._stopped = False

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self.server.stop()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
