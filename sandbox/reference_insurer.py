"""Running the reference insurer (``examples/reference_insurer``) beside a sandbox, in this process.

``ReferenceInsurerServer(sandbox).start()`` binds its port (0 = a free one), registers it through
the control plane exactly as ``register-insurer`` does (org 310000019, "Eksempel Forsikring AS",
redirect URI ``<its URL>/claims/callback``, consent generation ``altinn3`` unless ``consent`` says
``altinn2``), writes its files (key, chain, CA and an
``insurer.toml`` with ``start_url`` and ``fetch_url`` filled in) under
``<state_dir>/reference-insurer/``, and serves it with the launcher's cheroot server. When the control
plane runs in this process too, the insurer gets a reset key that only the two of them know (the
walkthrough's "reset for the next group" empties its claims with it). This module
may import both sides; the reference insurer itself imports nothing from the sandbox.
"""

from __future__ import annotations

import secrets
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import requests

from dsop_sandbox.examples.reference_insurer import ReferenceInsurer, create_app
from dsop_sandbox.examples.reference_insurer.app import EXTENSION
from dsop_sandbox.examples.reference_insurer.config import RESET_KEY_HEADER
from dsop_sandbox.mocks.common.trust import trust

from .control_plane import allow_insurer_reset
from .insurer_files import PROFILE_FILE, TABLES, insurer_toml, write_insurer_files
from .launcher import Sandbox, StartupError, tls_hostnames
from .wsgi_server import ServiceServer

ORG = "310000019"
NAME = "Eksempel Forsikring AS"
ALTINN3, ALTINN2 = "altinn3", "altinn2"
#: The Altinn 2 twin that ``up --with-insurer`` starts beside the Altinn 3 insurer.
TWIN_ORG = "310000027"
TWIN_NAME = "Eksempel Forsikring AS (Altinn 2)"
FOLDER = "reference-insurer"
START_PATH = "/claims/start?pid={pid}&first_name={first_name}&last_name={last_name}"
FETCH_PATH = "/conformance/fetch?pid={pid}"
CALLBACK_PATH = "/claims/callback"


class ReferenceInsurerServer:
    """The reference insurer served beside a running :class:`Sandbox`.

    ``insurer_class`` (a :class:`ReferenceInsurer` subclass) makes a deliberately broken variant;
    ``options`` are the insurer's own optional settings (``retry``, ``fetch_retry``, ``timeout``,
    ``state_file`` ...; see ``examples/reference_insurer/config.py``). ``org``/``name`` register
    it as another insurer (several variants can run side by side with different orgs); ``consent``
    is the generation it speaks and its profile names (``altinn3`` or ``altinn2``).
    """

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        port: int | None = None,
        out_dir: str | Path | None = None,
        insurer_class: type[ReferenceInsurer] = ReferenceInsurer,
        org: str = ORG,
        name: str = NAME,
        options: dict | None = None,
        consent: str = ALTINN3,
    ):
        if consent not in (ALTINN3, ALTINN2):
            raise ValueError(f"consent is {ALTINN3!r} or {ALTINN2!r}, not {consent!r}")
        self.sandbox = sandbox
        settings = sandbox.settings
        self.port_setting = settings.reference_insurer_port if port is None else port
        self.out_dir = Path(out_dir) if out_dir else settings.state_dir / (FOLDER if org == ORG else f"{FOLDER}-{org}")
        self.insurer_class = insurer_class
        self.org, self.name, self.consent = org, name, consent
        self.options = dict(options or {})
        self.server: ServiceServer | None = None
        self.app = None
        self.facts: dict | None = None
        self.url: str | None = None
        self._closed = False

    # -- what callers use ----------------------------------------------------------------------------
    @property
    def profile_path(self) -> Path:
        return self.out_dir / PROFILE_FILE

    @property
    def insurer(self) -> ReferenceInsurer:
        return self.app.extensions[EXTENSION]

    @property
    def start_url(self) -> str:
        return self.url + START_PATH

    @property
    def fetch_url(self) -> str:
        return self.url + FETCH_PATH

    @property
    def callback_url(self) -> str:
        return self.url + CALLBACK_PATH

    def start(self, timeout: float = 10.0) -> ReferenceInsurerServer:
        settings = self.sandbox.settings
        server = ServiceServer("reference-insurer", settings.bind_host, self.port_setting)
        try:
            port = server.bind()
        except OSError as exc:
            raise StartupError(f"cannot bind the reference insurer to port {self.port_setting}: {exc}") from exc
        self.server = server
        try:
            if settings.tls:  # served like the sandbox's own services, with a certificate from its key authority
                cert, key = self.sandbox.authority.tls_certificate(FOLDER, tls_hostnames(settings), datetime.now(UTC))
                server.use_tls(str(cert), str(key))
            self.url = f"{settings.scheme}://{settings.public_host}:{port}"
            self.facts = self._register()
            self._write_files()
            options = {
                "public_url": self.url,
                "ufore_path": settings.nav.ufore_path,
                "aap_vedtak_path": settings.nav.aap_vedtak_path,
                "aap_meldekort_path": settings.nav.aap_meldekort_path,
            }
            if settings.tls:
                options["ca_bundle"] = self.facts["certificate"]["ca"]
            # a key only this process knows, handed to the control plane when it runs here too: it may then empty
            # our claims ("reset for the next group"); beside a sandbox of separate processes the route stays off
            control = _control_plane_here(self.sandbox)
            if control is not None:
                options["reset_key"] = secrets.token_urlsafe(32)
            options.update(self.options)
            self.app = create_app(self.profile_path, insurer_class=self.insurer_class, **options)
            server.start(self.app)
            self._wait_healthy(timeout)
            if control is not None and options.get("reset_key"):
                allow_insurer_reset(control, self.url, RESET_KEY_HEADER, options["reset_key"])
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.app is not None and not self._closed:
            self._closed = True
            self.insurer.close()

    def __enter__(self) -> ReferenceInsurerServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- steps ---------------------------------------------------------------------------------------
    def _register(self) -> dict:
        control = self.sandbox.url("control")
        try:
            answer = requests.post(
                control + "/_sandbox/insurers",
                timeout=30,
                verify=trust(self.sandbox.settings),
                json={
                    "org": self.org,
                    "name": self.name,
                    "redirect_uris": [self.callback_url],
                    "consent": self.consent,
                },
            )
        except requests.RequestException as exc:
            raise StartupError(
                f"cannot register the reference insurer: the control plane at {control} does not answer ({exc})"
            ) from exc
        if answer.status_code != 201:
            raise StartupError(f"registering the reference insurer failed ({answer.status_code}): {answer.text[:300]}")
        return answer.json()

    def _write_files(self) -> None:
        self.facts = write_insurer_files(self.facts, self.out_dir)
        self.profile_path.write_text(profile_text(self.facts, self.start_url, self.fetch_url))

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with requests.Session() as http:
            http.trust_env = False
            http.verify = trust(self.sandbox.settings)
            while True:
                try:
                    if http.get(self.url + "/health", timeout=1).status_code == 200:
                        return
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise StartupError(f"the reference insurer at {self.url} is not healthy after {timeout:.0f} s")
                time.sleep(0.02)


def _control_plane_here(sandbox):
    """The control plane's Flask app when ``sandbox`` runs it in this process (a :class:`Sandbox`), else None."""
    apps = getattr(sandbox, "apps", None)
    return apps.get("control") if isinstance(apps, dict) else None


def profile_text(facts: dict, start_url: str, fetch_url: str) -> str:
    """``register-insurer``'s insurer.toml with the two URLs of the integration filled in."""
    lines = [
        "# The reference insurer's profile, written by dsop-sandbox up --with-insurer.",
        "# Run the conformance suite against it with: dsop-sandbox conform --insurer <this file>",
    ]
    text = insurer_toml(facts).splitlines()
    first_table = next(i for i, line in enumerate(text) if line.startswith("["))
    for line in text[first_table:]:
        if line.startswith("#"):  # the hints for filling in the two URLs, which are filled in here
            continue
        lines.append(line)
        if line.startswith("org = "):
            lines.append(f"start_url = {_toml_string(start_url)}")
            lines.append(f"fetch_url = {_toml_string(fetch_url)}")
    return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def complete_insurer_profile(path: Path, public_url: str) -> None:
    """Fill the reference insurer's ``start_url`` and ``fetch_url`` (at ``public_url``) into the
    insurer.toml that ``register-insurer`` wrote at ``path``."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    facts = {
        "name": data["insurer"]["name"],
        "org": data["insurer"]["org"],
        "consent": data["insurer"].get("consent", ALTINN2),  # absent: written before Altinn 3
        **{t: data[t] for t in TABLES},
    }
    base = public_url.rstrip("/")
    path.write_text(profile_text(facts, base + START_PATH, base + FETCH_PATH), encoding="utf-8")
