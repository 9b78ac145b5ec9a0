"""A sandbox with the reference insurer beside it in both generations (all on free ports), shared by
this package's tests, and the citizen's side of a claim: start at the insurer, log in, answer
Altinn's consent page (Altinn 2's or Altinn 3's), come back to the insurer's callback.

``world.ri`` speaks Altinn 2 (org 310000019), ``world.ri3`` Altinn 3 (org 310000043); the
``insurer`` fixture is each of them in turn, for behaviour both generations share."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.citizen import Citizen
from tests.conftest import free_port_settings
from tests.idporten.support import Page

KARI = {"pid": "15838512329", "first_name": "Kari", "last_name": "Nordmann"}
OLA = {"pid": "02917945651", "first_name": "Ola", "last_name": "Hansen"}
INGRID = {"pid": "24869221151", "first_name": "Ingrid", "last_name": "Berg"}
UNNI = {"pid": "23848837881", "first_name": "Unni", "last_name": "Thomassen"}
CAMILLA = {"pid": "03897001631", "first_name": "Camilla", "last_name": "Nygård"}
OLE = {"pid": "11929611596", "first_name": "Ole", "last_name": "Nielsen"}
JOHAN = {"pid": "07826608522", "first_name": "Johan", "last_name": "Tveit"}
TONJE = {"pid": "30878347621", "first_name": "Tonje", "last_name": "Aas"}
JONAS = {"pid": "14855710901", "first_name": "Jonas", "last_name": "Paulsen"}

CONSENT_TOKEN = ("get_consent_token", "get_consent_token_by_query")
NAV_DATA = ("hentUforeopplysninger", "finnVedtakListe", "finnMeldekortListe")
SERVICES = ("maskinporten", "altinn", "nav")
ALTINN3_ORG, ALTINN3_NAME = "310000043", "Eksempel Forsikring AS (Altinn 3)"


@dataclass
class Claim:
    claim_id: str
    code: str | None  # Altinn 2's AuthorizationCode
    params: dict
    page: requests.Response  # the insurer's answer to the callback
    consent_id: str | None = None  # Altinn 3's consent request id (the insurer made it)


class World:
    """A running sandbox, the reference insurer (``ri``) beside it, and plain HTTP."""

    def __init__(
        self, sandbox: Sandbox, ri: ReferenceInsurerServer, ri3: ReferenceInsurerServer, http: requests.Session
    ):
        self.sandbox, self.ri, self.ri3, self.http = sandbox, ri, ri3, http
        self.altinn = sandbox.url("altinn")
        self.nav = sandbox.url("nav")
        self.maskinporten = sandbox.url("maskinporten")
        self.control = sandbox.url("control")

    @property
    def org(self) -> str:
        return self.ri.org

    # -- the citizen ---------------------------------------------------------------------------------
    def start_url(self, person: dict, ri: ReferenceInsurerServer | None = None) -> str:
        ri = ri or self.ri
        return (
            f"{ri.url}/claims/start?pid={person['pid']}&first_name={quote(person['first_name'])}"
            f"&last_name={quote(person['last_name'])}"
        )

    def claim(self, person: dict, answer: str = "accept", ri: ReferenceInsurerServer | None = None) -> Claim:
        """The whole consent step as the citizen's browser does it."""
        ri = ri or self.ri
        citizen = Citizen(self, person["pid"])
        first = citizen.http.get(self.start_url(person, ri), allow_redirects=False, timeout=15)
        assert first.status_code == 302, first.text
        page = citizen.get(first.headers["Location"])
        assert page.status_code == 200 and page.url.startswith(self.altinn), page.url
        form = Page(page.text)
        assert "samtykke" in form.text.lower()
        hidden = {i["name"]: i.get("value", "") for i in form.forms[0]["inputs"] if i.get("type") == "hidden"}
        back = citizen.post(page.url, {**hidden, "answer": answer})
        assert back.status_code == 302, back.text
        location = back.headers["Location"]
        assert location.startswith(ri.callback_url + "?claim="), location
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        final = citizen.http.get(location, allow_redirects=False, timeout=15)
        stored = next(c for c in self.status(person["pid"], ri)["claims"] if c["id"] == params["claim"])
        return Claim(
            params["claim"],
            params.get("AuthorizationCode") or params.get("FailedAuthorizationCode"),
            params,
            final,
            stored["consent_id"],
        )

    # -- the insurer's hooks -----------------------------------------------------------------------------
    def fetch(self, pid: str, ri: ReferenceInsurerServer | None = None) -> dict:
        answer = self.http.post(f"{(ri or self.ri).url}/conformance/fetch", params={"pid": pid}, timeout=30)
        assert answer.headers["Content-Type"].startswith("application/json"), answer.text
        return answer.json()

    def status(self, pid: str, ri: ReferenceInsurerServer | None = None) -> dict:
        answer = self.http.get(f"{(ri or self.ri).url}/conformance/status", params={"pid": pid}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def wait_for_data(self, pid: str, timeout: float = 10.0, ri: ReferenceInsurerServer | None = None) -> dict:
        return wait_for(
            lambda: (lambda s: s if s["data_arrived"] else None)(self.status(pid, ri)),
            timeout,
            f"background data for {pid}",
        )

    # -- the sandbox -----------------------------------------------------------------------------------
    def cursor(self) -> dict:
        return {service: self._events(service, 0, last=True) for service in SERVICES}

    def events(self, since: dict, service: str, operations: tuple[str, ...] = (), **match) -> list[dict]:
        found = []
        for event in self._events(service, since[service]):
            if operations and event["operation"] not in operations:
                continue
            details = event.get("details") or {}
            if any(
                (event.get(k) if k in ("caller", "subject", "status") else details.get(k)) != v
                for k, v in match.items()
            ):
                continue
            found.append(event)
        return found

    def _events(self, service: str, since: int, last: bool = False):
        events, cursor = [], since
        while True:
            answer = self.http.get(
                f"{self.sandbox.url(service)}/_sandbox/events", params={"since": cursor, "limit": 10000}, timeout=10
            ).json()
            events.extend(answer["events"])
            if not answer["events"]:
                return answer["last_id"] if last else events
            cursor = answer["last_id"]

    def admin(self, service: str, method: str, path: str, **kw) -> requests.Response:
        return self.http.request(method, f"{self.sandbox.url(service)}/_sandbox{path}", timeout=15, **kw)


def wait_for(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(interval)


@pytest.fixture(scope="package")
def world(tmp_path_factory):
    settings = free_port_settings(tmp_path_factory.mktemp("reference-insurer") / "state", reference_insurer={"port": 0})
    with (
        Sandbox(settings) as sandbox,
        ReferenceInsurerServer(sandbox, consent="altinn2") as ri,
        ReferenceInsurerServer(sandbox, port=0, org=ALTINN3_ORG, name=ALTINN3_NAME) as ri3,
        requests.Session() as http,
    ):
        http.trust_env = False
        yield World(sandbox, ri, ri3, http)


@pytest.fixture(params=["altinn3", "altinn2"])
def insurer(request, world) -> ReferenceInsurerServer:
    """The reference insurer of each generation, for behaviour both share."""
    return world.ri3 if request.param == "altinn3" else world.ri


@pytest.fixture(autouse=True)
def tidy(request):
    """Whatever a test changed in the sandbox (faults, lifetimes, calendar) is undone after it."""
    yield
    if "world" in request.fixturenames:
        world = request.getfixturevalue("world")
        world.http.delete(world.control + "/_sandbox/faults", timeout=10)
        world.http.delete(world.control + "/_sandbox/lifetimes", timeout=10)
        world.http.post(world.control + "/_sandbox/clock", json={"reset": True}, timeout=10)


# -- fixtures: a key and chain of our own, a profile like register-insurer's -------------------------------
def _certificate(subject: str, key, issuer_name=None, issuer_key=None, ca=False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.now().astimezone()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def credentials(tmp_path_factory) -> Path:
    return make_credentials(tmp_path_factory.mktemp("credentials"))


def make_credentials(out: Path) -> Path:
    """An enterprise key and chain under a CA of their own, as the insurer's profile names them."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate("Test CA", ca_key, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _certificate("Eksempel Forsikring AS", key, ca.subject, ca_key)
    (out / "enterprise.key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (out / "enterprise.cert.pem").write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, ca, ca))
    )
    (out / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return out


def profile(**changes) -> dict:
    data = {
        "insurer": {"name": "Eksempel Forsikring AS", "org": "310000019"},
        "certificate": {"key": "enterprise.key.pem", "chain": "enterprise.cert.pem", "ca": "ca.pem"},
        "maskinporten": {
            "issuer": "http://mp.test/",
            "token_endpoint": "http://mp.test/token",
            "client_id": "c-1",
            "scopes": ["nav:arbeid/v1/aap"],
        },
        "idporten": {"issuer": "http://idp.test", "client_id": "i", "client_secret": "s", "redirect_uris": []},
        "altinn": {"base_url": "http://altinn.test/", "api_key": "k", "service_code": "5252", "service_edition": 2},
        "nav": {"base_url": "http://nav.test"},
    }
    for table, values in changes.items():
        data[table] = values if values is None else {**data.get(table, {}), **values}
    return {k: {n: x for n, x in v.items() if x is not None} for k, v in data.items() if v is not None}
