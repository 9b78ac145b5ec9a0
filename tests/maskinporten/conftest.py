"""Fixtures for the Maskinporten fake, in process: settings on a temporary state directory, a
frozen clock, the app and its test client, a registered insurer with its enterprise certificate,
and an ``assertion(...)`` factory that signs a correct JWT grant and lets a test break any part."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.maskinporten import create_app
from dsop_sandbox.mocks.maskinporten.errors import CATALOGUE
from dsop_sandbox.mocks.maskinporten.registry import DSOP_SCOPES
from tests.keys import with_test_keys
from tests.support import REMOVE, b64url

from .altinn_stub import AltinnStub

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
INSURER_ORG = "310000019"
INSURER_NAME = "Eksempel Forsikring AS"
OTHER_ORG = "310000027"
CUSTOMER_ORG = "310000035"
SYNTHETIC_PID = "01818520030"


# -- signing -------------------------------------------------------------------------------------------
def x5c_of(certificates: list[x509.Certificate]) -> list[str]:
    """Standard base64 DER, as x5c wants it (RFC 7515 §4.1.6)."""
    return [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode() for cert in certificates]


_HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}


def sign_raw(header: dict, claims, private_key, alg: str = "RS256") -> str:
    """A JWS built by hand (PyJWT refuses some headers and algorithms a test needs to send)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = private_key.sign(signing_input.encode(), padding.PKCS1v15(), _HASHES[alg]())
    return f"{signing_input}.{b64url(signature)}"


@dataclass
class Credentials:
    """An organisation's enterprise certificate (virksomhetssertifikat) and its key."""

    org: str
    private_key: object
    chain: list[x509.Certificate]  # leaf, issuing CA, root

    @classmethod
    def of(cls, issued) -> Credentials:
        return cls(
            issued.org,
            serialization.load_pem_private_key(issued.key_pem, password=None),
            x509.load_pem_x509_certificates(issued.chain_pem),
        )

    @property
    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def x5c(self) -> list[str]:
        """Leaf and issuing CA, as an insurer sends them."""
        return x5c_of(self.chain[:2])


# -- fixtures ----------------------------------------------------------------------------------------------
#: ``@STRICT`` runs a test against a fake that applies the documented 120 s assertion rule.
STRICT_SETTINGS = {"maskinporten": {"strict_assertion_lifetime": True}}
STRICT = pytest.mark.parametrize("settings", [STRICT_SETTINGS], indirect=True, ids=["strict"])


@pytest.fixture(scope="session")
def altinn_stub():
    """Altinn's consent lookup, served on a free port for the whole run (see altinn_stub.py)."""
    stub = AltinnStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def altinn(altinn_stub) -> AltinnStub:
    """The Altinn stub with no consents, no recorded calls and no canned answers."""
    altinn_stub.reset()
    yield altinn_stub
    altinn_stub.reset()


@pytest.fixture
def settings(request, tmp_path, altinn_stub) -> Settings:
    """Default settings with Altinn at the stub (never a default port), or ``Settings.load``
    overrides passed by indirect parametrisation."""
    overrides = dict(getattr(request, "param", None) or {})
    services = dict(overrides.get("services", {}))
    services["altinn"] = {"base_url": altinn_stub.url, **services.get("altinn", {})}
    overrides["services"] = services
    return Settings.load(environ={}, overrides=overrides).with_state_dir(tmp_path / "state")


@pytest.fixture
def clock() -> Clock:
    """Protocol time, frozen on a whole second so that integer iat/exp hit the limits exactly."""
    frozen = Clock()
    frozen.freeze(float(int(time.time())))
    return frozen


@pytest.fixture(scope="session")
def shared_authority(tmp_path_factory):
    """One test PKI for the whole run: making its five RSA keys for every test would be slow."""
    return KeyAuthority.open(with_test_keys(tmp_path_factory.mktemp("authority")), datetime.now(UTC))


#: ``@OWN_AUTHORITY`` gives a test a PKI of its own (for tests that rotate keys).
OWN_AUTHORITY = pytest.mark.parametrize("authority", ["own"], indirect=True, ids=["own-authority"])


@pytest.fixture
def authority(request, shared_authority, tmp_path, clock):
    if getattr(request, "param", None) == "own":
        return KeyAuthority.open(with_test_keys(tmp_path / "own-authority"), clock.now())
    return shared_authority


@pytest.fixture
def app(settings, clock, authority):
    created = create_app(settings, authority=authority, clock=clock)
    assert created.extensions["maskinporten"].authority is authority
    return created


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def service(app):
    return app.extensions["maskinporten"]


@pytest.fixture
def issuer(service) -> str:
    return service.issuer


def register_client(client, org: str = INSURER_ORG, scopes=DSOP_SCOPES, **extra) -> dict:
    answer = client.post("/_sandbox/clients", json={"org": org, "name": INSURER_NAME, "scopes": list(scopes), **extra})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def grant_access(client, org: str, scope: str) -> None:
    answer = client.put(f"/_sandbox/scopes/access/{org}?scope={quote(scope, safe='')}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["state"] == "APPROVED"


@pytest.fixture
def insurer(client) -> dict:
    """The insurer's client (org 310000019, the four DSOP scopes), on every scope's access list."""
    registered = register_client(client)
    for scope in DSOP_SCOPES:
        grant_access(client, INSURER_ORG, scope)
    return registered


@pytest.fixture
def client_id(insurer) -> str:
    return insurer["client_id"]


_ISSUED: dict[tuple[str, str], Credentials] = {}


def enterprise_credentials(authority, org: str, name: str = INSURER_NAME) -> Credentials:
    """The org's enterprise certificate from ``authority`` (issued once per authority and org)."""
    key = (str(authority.directory), org)
    if key not in _ISSUED:
        issued = authority.issue_enterprise_certificate(org, name, datetime.now(UTC))
        _ISSUED[key] = Credentials.of(issued)
    return _ISSUED[key]


@pytest.fixture
def credentials(authority) -> Credentials:
    """The insurer's enterprise certificate, from the app's authority."""
    return enterprise_credentials(authority, INSURER_ORG)


@pytest.fixture(scope="session")
def other_key():
    """A spare RSA key (one per run: generating keys is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private_key, kid: str) -> dict:
    jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update(kid=kid, use="sig", alg="RS256")
    return jwk


JWK_KID = "forsikring-2026-1"


@pytest.fixture
def jwk_client(client, insurer, other_key) -> dict:
    """A second client of the insurer that authenticates with a registered JWK (``kid``)."""
    return register_client(client, jwks={"keys": [public_jwk(other_key, JWK_KID)]})


@pytest.fixture
def assertion(credentials, client_id, issuer, clock):
    """``assertion(scope=..., claims..., headers={...}, key=..., alg=...)``: a correct grant, changed as asked.

    Claims given as keyword arguments replace the defaults (``REMOVE`` leaves one out; ``iat``
    moves ``exp`` along unless ``exp`` is given too; ``lifetime`` is exp - iat); ``headers`` does
    the same for the header. ``key`` and ``alg`` are what the grant is really signed with (the
    header's ``alg`` follows ``alg`` unless ``headers`` says otherwise).
    """

    def make(*, headers: dict | None = None, key=None, alg: str = "RS256", lifetime: int = 120, **claims) -> str:
        iat = claims.get("iat", clock.epoch())
        numeric = isinstance(iat, int) and not isinstance(iat, bool)
        body = {
            "aud": issuer,
            "iss": client_id,
            "scope": "nav:arbeid/v1/aap",
            "iat": iat,
            "exp": (iat if numeric else clock.epoch()) + lifetime,
            "jti": str(uuid.uuid4()),
        }
        body.update(claims)
        header = {"alg": alg, "typ": "JWT", "x5c": credentials.x5c()}
        header.update(headers or {})
        body = {name: value for name, value in body.items() if value is not REMOVE}
        header = {name: value for name, value in header.items() if value is not REMOVE}
        return sign_raw(header, body, key or credentials.private_key, alg)

    return make


def token(client, assertion: str, **form):
    """POST /token with the grant as a form, as a client library does."""
    data = {"grant_type": JWT_BEARER, "assertion": assertion}
    data.update(form)
    data = {name: value for name, value in data.items() if value is not REMOVE}
    return client.post("/token", data=data)


def claims_of(access_token: str) -> dict:
    return jwt.decode(access_token, options={"verify_signature": False})


TRACE_ID = re.compile(r" \(trace_id: [^)]+\)$")


def assert_mp_error(answer, code: str, *texts: str) -> dict:
    """A catalogue error: HTTP 400, the code's OAuth ``error``, its ``error_uri`` and description text
    (the catalogue text unless ``texts`` are given), and a trace id at the end."""
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    error, catalogue_text, _ = CATALOGUE[code]
    assert body["error"] == error, body
    assert body["error_uri"].endswith(f"/errors/{code}"), body
    description = body["error_description"]
    assert TRACE_ID.search(description), description
    for text in texts or (catalogue_text,):
        assert text in description, (text, description)
    return body


def assert_oauth_error(answer, status: int, error: str) -> dict:
    """A generic failure, still in Maskinporten's JSON error shape (no catalogue code)."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["error"] == error, body
    assert TRACE_ID.search(body["error_description"]), body
    return body
