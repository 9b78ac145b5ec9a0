"""The shared key authority: a test PKI created once per state directory.

Creating an authority costs several RSA keys, so one module-wide authority serves every test
that only reads; tests that rotate or reopen make their own."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from dsop_sandbox.mocks.authority import ChainError, KeyAuthority, organisation_number
from dsop_sandbox.mocks.authority.authority import ENTERPRISE_CA_NAME, ISSUERS, ROOT_NAME
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.settings import Settings

UTC = UTC
NOW = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
ORG, ORG_NAME = "310000019", "Eksempel Forsikring AS"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def files_of(directory: Path) -> dict[str, int]:
    return {
        str(p.relative_to(directory)): p.stat().st_mtime_ns
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def attribute(name: x509.Name, oid) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="module")
def authority(state_dir) -> KeyAuthority:
    return KeyAuthority.open(state_dir, NOW)


@pytest.fixture(scope="module")
def enterprise(authority):
    return authority.issue_enterprise_certificate(ORG, ORG_NAME, NOW)


@pytest.fixture(scope="module")
def enterprise_chain(enterprise) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(enterprise.chain_pem)


@pytest.fixture(scope="module")
def foreign(tmp_path_factory) -> KeyAuthority:
    """Another sandbox's authority: a different root CA."""
    return KeyAuthority.open(tmp_path_factory.mktemp("foreign"), NOW)


# -- layout and the CAs -----------------------------------------------------------------------------------------------
def test_layout_under_the_state_directory(authority, state_dir):
    directory = state_dir / "authority"
    assert authority.directory == directory
    for name in ("root-ca.key.pem", "root-ca.cert.pem", "enterprise-ca.key.pem", "enterprise-ca.cert.pem", "ca.pem"):
        assert (directory / name).is_file(), name
    for issuer in ISSUERS:
        assert json.loads((directory / "issuers" / issuer / "state.json").read_text()) == {"published": [1]}
        assert (directory / "issuers" / issuer / "1.key.pem").is_file()
    assert authority.ca_bundle_path == directory / "ca.pem"
    assert x509.load_pem_x509_certificate(authority.ca_bundle_path.read_bytes()) == authority.root_cert


def test_private_keys_are_private(authority):
    for path in authority.directory.rglob("*.key.pem"):
        assert path.stat().st_mode & 0o077 == 0, path


def test_root_and_issuing_ca(authority):
    root, issuing = authority.root_cert, authority.enterprise_ca_cert
    assert attribute(root.subject, NameOID.COMMON_NAME) == [ROOT_NAME]
    assert root.issuer == root.subject
    root.verify_directly_issued_by(root)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert attribute(issuing.subject, NameOID.COMMON_NAME) == [ENTERPRISE_CA_NAME]
    issuing.verify_directly_issued_by(root)
    constraints = issuing.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    assert root.not_valid_before_utc <= NOW <= root.not_valid_after_utc


# -- signing keys and JWKS --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("issuer", sorted(ISSUERS))
def test_jwks_of_each_issuer(authority, issuer):
    [jwk] = authority.jwks(issuer)["keys"]
    key = authority.signing_key(issuer)
    assert key.issuer == issuer and key.generation == 1
    assert (jwk["kty"], jwk["use"], jwk["alg"]) == ("RSA", "sig", "RS256")
    assert "d" not in jwk and "p" not in jwk  # public parts only
    numbers = key.certificate.public_key().public_numbers()
    assert (b64url_int(jwk["n"]), b64url_int(jwk["e"])) == (numbers.n, numbers.e)
    # x5c: standard base64 DER, the signing certificate first, then the root
    chain = [x509.load_der_x509_certificate(base64.b64decode(item)) for item in jwk["x5c"]]
    assert chain == [key.certificate, authority.root_cert]
    key.certificate.verify_directly_issued_by(authority.root_cert)
    assert jwk["x5t"] == b64url(hashlib.sha1(der(key.certificate)).digest())
    assert jwk["x5t#S256"] == b64url(hashlib.sha256(der(key.certificate)).digest())
    assert jwk["kid"] == key.kid


@pytest.mark.parametrize("issuer", ["idporten", "maskinporten"])
def test_kid_is_the_rfc_7638_thumbprint(authority, issuer):
    [jwk] = authority.jwks(issuer)["keys"]
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    assert jwk["kid"] == b64url(hashlib.sha256(canonical.encode()).digest())
    assert jwk["kid"] != jwk["x5t"]


def test_altinn_kid_is_x5t(authority):
    [jwk] = authority.jwks("altinn")["keys"]
    assert jwk["kid"] == jwk["x5t"]


def test_every_issuer_has_its_own_key(authority):
    kids = {authority.signing_key(issuer).kid for issuer in ISSUERS}
    assert len(kids) == len(ISSUERS)


@pytest.mark.parametrize("issuer", sorted(ISSUERS))
def test_a_token_signed_with_the_signing_key_verifies_with_the_jwks(authority, issuer):
    key = authority.signing_key(issuer)
    token = jwt.encode({"iss": issuer, "sub": "x"}, key.private_pem(), algorithm="RS256", headers={"kid": key.kid})
    [jwk] = authority.jwks(issuer)["keys"]
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"])["iss"] == issuer
    other = authority.signing_key("idporten" if issuer != "idporten" else "altinn")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, jwt.PyJWK(other.jwk()).key, algorithms=["RS256"])


def test_jwks_is_json_serialisable_and_stable(authority):
    for issuer in ISSUERS:
        assert json.loads(json.dumps(authority.jwks(issuer))) == authority.jwks(issuer)


def test_unknown_issuer(authority):
    with pytest.raises(KeyError):
        authority.signing_key("skatteetaten")


# -- rotation ---------------------------------------------------------------------------------------------------------
def test_rotation_keeps_the_previous_key_published(tmp_path):
    authority = KeyAuthority.open(tmp_path, NOW)
    first = authority.signing_key("maskinporten")
    idporten_before = authority.jwks("idporten")

    second = authority.rotate("maskinporten", NOW + timedelta(days=1))
    assert second.generation == 2
    assert authority.signing_key("maskinporten").kid == second.kid != first.kid
    assert [k["kid"] for k in authority.jwks("maskinporten")["keys"]] == [second.kid, first.kid]

    third = authority.rotate("maskinporten", NOW + timedelta(days=2))
    assert [k["kid"] for k in authority.jwks("maskinporten")["keys"]] == [third.kid, second.kid]  # exactly two
    assert [k.generation for k in authority.published_keys("maskinporten")] == [3, 2]
    assert authority.jwks("idporten") == idporten_before  # others untouched

    # a token signed before the rotation still verifies against the published JWKS
    old = jwt.encode({"a": 1}, second.private_pem(), algorithm="RS256", headers={"kid": second.kid})
    jwks = jwt.PyJWKSet.from_dict(authority.jwks("maskinporten"))
    assert jwt.decode(old, jwks[second.kid].key, algorithms=["RS256"]) == {"a": 1}

    # and the rotation is persisted: a new process publishes the same keys
    reopened = KeyAuthority.open(tmp_path, NOW + timedelta(days=3))
    assert reopened.jwks("maskinporten") == authority.jwks("maskinporten")
    assert reopened.signing_key("maskinporten").kid == third.kid


def test_altinn_rotation_changes_its_x5t_kid(tmp_path):
    authority = KeyAuthority.open(tmp_path, NOW)
    rotated = authority.rotate("altinn", NOW)
    keys = authority.jwks("altinn")["keys"]
    assert len(keys) == 2 and keys[0]["kid"] == rotated.kid == keys[0]["x5t"]
    assert keys[1]["kid"] == keys[1]["x5t"] != keys[0]["kid"]


# -- enterprise certificates ------------------------------------------------------------------------------------------
def test_enterprise_certificate_subject_carries_the_org(enterprise):
    cert = enterprise.certificate
    assert (enterprise.org, enterprise.name) == (ORG, ORG_NAME)
    assert attribute(cert.subject, NameOID.ORGANIZATION_IDENTIFIER) == [f"NTRNO-{ORG}"]
    assert attribute(cert.subject, NameOID.SERIAL_NUMBER) == [ORG]
    assert attribute(cert.subject, NameOID.ORGANIZATION_NAME) == [ORG_NAME]
    assert attribute(cert.subject, NameOID.COUNTRY_NAME) == ["NO"]
    assert organisation_number(cert) == ORG
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH in usage
    assert cert.not_valid_before_utc <= NOW <= cert.not_valid_after_utc


def test_enterprise_chain_pem_is_leaf_issuing_ca_root(authority, enterprise, enterprise_chain):
    leaf, issuing, root = enterprise_chain
    assert leaf == enterprise.certificate
    assert issuing == authority.enterprise_ca_cert
    assert root == authority.root_cert
    leaf.verify_directly_issued_by(issuing)
    assert x509.load_pem_x509_certificate(enterprise.ca_pem) == authority.root_cert


def test_enterprise_key_matches_the_certificate(enterprise):
    key = serialization.load_pem_private_key(enterprise.key_pem, password=None)
    assert key.public_key().public_numbers() == enterprise.certificate.public_key().public_numbers()


def test_each_enterprise_certificate_has_its_own_key(authority, enterprise):
    other = authority.issue_enterprise_certificate("310000027", "Annen Forsikring ASA", NOW)
    assert organisation_number(other.certificate) == "310000027"
    assert other.key_pem != enterprise.key_pem
    assert other.certificate.serial_number != enterprise.certificate.serial_number


# -- chain verification -----------------------------------------------------------------------------------------------
def test_verify_chain_accepts_leaf_and_issuing_ca(authority, enterprise_chain):
    assert authority.verify_chain(enterprise_chain[:2], NOW) == enterprise_chain[0]
    assert authority.verify_chain(enterprise_chain, NOW) == enterprise_chain[0]  # with the root too
    assert authority.verify_chain(enterprise_chain[:2], NOW + timedelta(days=365)) == enterprise_chain[0]


def test_leaf_alone_without_the_issuing_ca_is_refused(authority, enterprise_chain):
    with pytest.raises(ChainError):
        authority.verify_chain(enterprise_chain[:1], NOW)


def test_empty_chain_is_refused(authority):
    with pytest.raises(ChainError, match="empty"):
        authority.verify_chain([], NOW)


def test_foreign_ca_is_refused(authority, foreign, enterprise_chain):
    credentials = foreign.issue_enterprise_certificate(ORG, ORG_NAME, NOW)
    foreign_chain = x509.load_pem_x509_certificates(credentials.chain_pem)
    assert foreign.verify_chain(foreign_chain[:2], NOW)  # valid for its own root
    with pytest.raises(ChainError):
        authority.verify_chain(foreign_chain[:2], NOW)
    with pytest.raises(ChainError):
        authority.verify_chain(foreign_chain, NOW)  # a root in the chain is no trust
    with pytest.raises(ChainError):
        authority.verify_chain([enterprise_chain[0], foreign_chain[1]], NOW)  # our leaf, their CA


@pytest.mark.parametrize("moment", [NOW + timedelta(days=3 * 365 + 1), NOW - timedelta(hours=2)])
def test_expired_or_not_yet_valid_certificate_is_refused(authority, enterprise_chain, moment):
    with pytest.raises(ChainError):
        authority.verify_chain(enterprise_chain[:2], moment)


def test_chain_error_is_a_value_error():
    assert issubclass(ChainError, ValueError)


def test_verify_chain_converts_aware_times_to_utc(authority, enterprise_chain):
    before_not_before = enterprise_chain[0].not_valid_before_utc - timedelta(minutes=30)
    in_oslo_summer = before_not_before.astimezone(timezone(timedelta(hours=2)))
    with pytest.raises(ChainError):
        authority.verify_chain(enterprise_chain[:2], in_oslo_summer)


# -- organisation_number ----------------------------------------------------------------------------------------------
def _certificate_with(subject: x509.Name, key) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def test_organisation_number_reads_either_attribute(authority, enterprise):
    key = serialization.load_pem_private_key(enterprise.key_pem, password=None)
    seid1 = _certificate_with(
        x509.Name(
            [x509.NameAttribute(NameOID.SERIAL_NUMBER, "889640782"), x509.NameAttribute(NameOID.COMMON_NAME, "SEID 1")]
        ),
        key,
    )
    assert organisation_number(seid1) == "889640782"
    seid2 = _certificate_with(
        x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "NTRNO-991825827"),
                x509.NameAttribute(NameOID.COMMON_NAME, "SEID 2"),
            ]
        ),
        key,
    )
    assert organisation_number(seid2) == "991825827"
    both = _certificate_with(
        x509.Name(
            [
                x509.NameAttribute(NameOID.SERIAL_NUMBER, "889640782"),
                x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "NTRNO-991825827"),
            ]
        ),
        key,
    )
    assert organisation_number(both) == "991825827"  # organizationIdentifier first
    neither = _certificate_with(
        x509.Name(
            [
                x509.NameAttribute(NameOID.SERIAL_NUMBER, "12345"),
                x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "VATNO-889640782"),
            ]
        ),
        key,
    )
    assert organisation_number(neither) is None
    assert organisation_number(authority.root_cert) is None
    assert organisation_number(authority.signing_key("maskinporten").certificate) is None


# -- TLS --------------------------------------------------------------------------------------------------------------
def test_tls_certificate(authority):
    cert_path, key_path = authority.tls_certificate("nav", ["localhost", "127.0.0.1"], NOW)
    assert cert_path == authority.directory / "tls" / "nav.cert.pem"
    leaf, root = x509.load_pem_x509_certificates(cert_path.read_bytes())
    assert root == authority.root_cert
    leaf.verify_directly_issued_by(authority.root_cert)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in usage
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()
    assert key_path.stat().st_mode & 0o077 == 0
    assert leaf.not_valid_before_utc <= NOW <= leaf.not_valid_after_utc


def test_tls_certificate_is_created_once_per_service(authority):
    first = authority.tls_certificate("altinn", ["localhost", "127.0.0.1"], NOW)
    content, mtime = first[0].read_bytes(), first[0].stat().st_mtime_ns
    again = authority.tls_certificate("altinn", ["localhost", "127.0.0.1"], NOW + timedelta(days=1))
    assert again == first
    assert again[0].read_bytes() == content and again[0].stat().st_mtime_ns == mtime
    other = authority.tls_certificate("idporten", ["localhost", "127.0.0.1"], NOW)
    assert other[0].read_bytes() != content


# -- once per state directory -----------------------------------------------------------------------------------------
def test_reopening_gives_identical_jwks_and_rewrites_nothing(authority, state_dir):
    before = files_of(authority.directory)
    assert before
    reopened = KeyAuthority.open(state_dir, NOW + timedelta(days=30))
    for issuer in ISSUERS:
        assert reopened.jwks(issuer) == authority.jwks(issuer)
    assert reopened.root_cert == authority.root_cert
    assert reopened.enterprise_ca_cert == authority.enterprise_ca_cert
    assert files_of(authority.directory) == before  # same files, same mtimes


def test_enterprise_certificate_from_a_reopened_authority_verifies_in_the_first(authority, state_dir):
    reopened = KeyAuthority.open(state_dir, NOW)
    chain = x509.load_pem_x509_certificates(reopened.issue_enterprise_certificate(ORG, ORG_NAME, NOW).chain_pem)
    assert authority.verify_chain(chain[:2], NOW) == chain[0]


def test_parallel_opens_of_one_directory_make_one_root(tmp_path):
    start = threading.Barrier(2)
    results: list[KeyAuthority] = []
    errors: list[BaseException] = []

    def open_it():
        try:
            start.wait()
            results.append(KeyAuthority.open(tmp_path, NOW))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    first, second = results
    assert first.root_cert == second.root_cert
    assert first.enterprise_ca_cert == second.enterprise_ca_cert
    on_disk = x509.load_pem_x509_certificate((tmp_path / "authority" / "root-ca.cert.pem").read_bytes())
    assert on_disk == first.root_cert
    for issuer in ISSUERS:
        assert first.jwks(issuer) == second.jwks(issuer)
        assert sorted(p.name for p in (tmp_path / "authority" / "issuers" / issuer).iterdir()) == [
            "1.cert.pem",
            "1.key.pem",
            "state.json",
        ]
    assert not list((tmp_path / "authority").rglob("*.tmp"))


# -- the key admin routes every signing service has -------------------------------------------------------------------
@pytest.mark.parametrize(
    "service, issuer, jwks_path",
    [
        ("dsop_sandbox.mocks.altinn", "altinn", "/api/metadata/jwk"),
        ("dsop_sandbox.mocks.maskinporten", "maskinporten", "/jwk"),
    ],
)
def test_keys_admin_shows_and_rotates_the_services_key(tmp_path, service, issuer, jwks_path):
    import importlib

    authority = KeyAuthority.open(tmp_path, NOW)
    clock = Clock()
    clock.freeze(NOW)
    settings = Settings.load(environ={}).with_state_dir(tmp_path)
    app = importlib.import_module(service).create_app(settings, authority=authority, clock=clock)
    client = app.test_client()
    try:
        shown = client.get("/_sandbox/keys").get_json()
        assert shown["issuer"] == issuer
        assert shown["signing_kid"] == authority.signing_key(issuer).kid
        assert shown["keys"] == authority.jwks(issuer)["keys"] == client.get(jwks_path).get_json()["keys"]
        old_kid = shown["signing_kid"]

        rotated = client.post("/_sandbox/keys/rotate")
        assert rotated.status_code == 200
        body = rotated.get_json()
        assert body["signing_kid"] != old_kid
        assert body["published"] == [body["signing_kid"], old_kid]
        assert [k["kid"] for k in client.get(jwks_path).get_json()["keys"]] == body["published"]
        new_cert = authority.signing_key(issuer).certificate
        assert new_cert.not_valid_before_utc <= NOW <= new_cert.not_valid_after_utc  # made at the clock's time
    finally:
        app.extensions["sandbox"].store.close()
