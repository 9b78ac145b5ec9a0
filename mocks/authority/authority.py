"""The shared key authority: one test PKI per state directory.

Layout under ``<state_dir>/authority/``::

    root-ca.{key,cert}.pem          dsop-sandbox Test Root CA (stands in for Buypass/Commfides roots)
    enterprise-ca.{key,cert}.pem    issuing CA for enterprise certificates (virksomhetssertifikat)
    ca.pem                          the bundle to trust: the root
    issuers/<issuer>/<n>.{key,cert}.pem and state.json   signing keys of ID-porten, Maskinporten, Altinn
    tls/<service>.{key,cert}.pem    TLS server certificates (``--tls``)

Material is created once, under a file lock so that several service processes may open the
same directory at once, and loaded afterwards: JWKS stay identical across restarts.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.x509 import verification

from . import pki

ISSUERS = {
    # issuer: (certificate common name, organisation, kid scheme)
    "idporten": ("ID-porten signing key", "Digitaliseringsdirektoratet", "jwk-thumbprint"),
    "maskinporten": ("Maskinporten signing key", "Digitaliseringsdirektoratet", "jwk-thumbprint"),
    # Altinn's consent token header has kid = x5t = base64url SHA-1 of the certificate.
    "altinn": ("Altinn consent token signing", "Digitaliseringsdirektoratet", "x5t"),
}

ROOT_NAME = "dsop-sandbox Test Root CA"
ENTERPRISE_CA_NAME = "dsop-sandbox Test Virksomhet CA"


class ChainError(ValueError):
    """A certificate chain that does not lead to the sandbox root, or is not valid now."""


@dataclass(frozen=True)
class SigningKey:
    issuer: str
    generation: int
    private_key: object
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def kid(self) -> str:
        scheme = ISSUERS[self.issuer][2]
        return pki.x5t(self.certificate) if scheme == "x5t" else jwk_thumbprint(self.public_jwk_core())

    def public_jwk_core(self) -> dict:
        numbers = self.private_key.public_key().public_numbers()
        return {"e": _int_b64url(numbers.e), "kty": "RSA", "n": _int_b64url(numbers.n)}

    def jwk(self) -> dict:
        return {
            **self.public_jwk_core(),
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "x5c": [pki.cert_der_b64(cert) for cert in (self.certificate,) + self.chain],
            "x5t": pki.x5t(self.certificate),
            "x5t#S256": pki.x5t_s256(self.certificate),
        }

    def private_pem(self) -> bytes:
        return pki.key_pem(self.private_key)


@dataclass(frozen=True)
class EnterpriseCredentials:
    org: str
    name: str
    key_pem: bytes
    chain_pem: bytes       # leaf first, then the issuing CA, then the root
    ca_pem: bytes
    certificate: x509.Certificate


class KeyAuthority:
    def __init__(self, directory: Path, now: datetime):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._keys: dict[str, list[SigningKey]] = {}
        with self._file_lock():
            self.root_key, self.root_cert = self._ca("root-ca", lambda key: pki.self_signed_ca(key, ROOT_NAME, now))
            self.enterprise_ca_key, self.enterprise_ca_cert = self._ca(
                "enterprise-ca",
                lambda key: pki.intermediate_ca(key, ENTERPRISE_CA_NAME, self.root_key, self.root_cert, now))
            bundle = self.directory / "ca.pem"
            if not bundle.exists():
                _write(bundle, pki.cert_pem(self.root_cert))
            for issuer in ISSUERS:
                self._keys[issuer] = self._load_or_create_issuer(issuer, now)
        self._verifier_store = verification.Store([self.root_cert])

    @classmethod
    def open(cls, state_dir: Path, now: datetime) -> "KeyAuthority":
        return cls(Path(state_dir) / "authority", now)

    # -- creation ----------------------------------------------------------------------------------
    @contextmanager
    def _file_lock(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _ca(self, stem: str, make_cert):
        key_path, cert_path = self.directory / f"{stem}.key.pem", self.directory / f"{stem}.cert.pem"
        if key_path.exists() and cert_path.exists():
            return pki.load_key(key_path.read_bytes()), pki.load_cert(cert_path.read_bytes())
        key = pki.new_rsa_key()
        cert = make_cert(key)
        _write(key_path, pki.key_pem(key), private=True)
        _write(cert_path, pki.cert_pem(cert))
        return key, cert

    def _issuer_dir(self, issuer: str) -> Path:
        return self.directory / "issuers" / issuer

    def _load_or_create_issuer(self, issuer: str, now: datetime) -> list[SigningKey]:
        state_path = self._issuer_dir(issuer) / "state.json"
        if not state_path.exists():
            self._create_generation(issuer, 1, now)
            _write(state_path, json.dumps({"published": [1]}).encode())
        published = json.loads(state_path.read_text())["published"]
        return [self._load_generation(issuer, generation) for generation in published]

    def _create_generation(self, issuer: str, generation: int, now: datetime) -> None:
        common_name, organisation, _ = ISSUERS[issuer]
        key = pki.new_rsa_key()
        cert = pki.signing_certificate(key, f"{common_name} {generation}", organisation,
                                       self.root_key, self.root_cert, now)
        folder = self._issuer_dir(issuer)
        _write(folder / f"{generation}.key.pem", pki.key_pem(key), private=True)
        _write(folder / f"{generation}.cert.pem", pki.cert_pem(cert))

    def _load_generation(self, issuer: str, generation: int) -> SigningKey:
        folder = self._issuer_dir(issuer)
        return SigningKey(issuer, generation, pki.load_key((folder / f"{generation}.key.pem").read_bytes()),
                          pki.load_cert((folder / f"{generation}.cert.pem").read_bytes()), (self.root_cert,))

    # -- signing keys --------------------------------------------------------------------------------
    def signing_key(self, issuer: str) -> SigningKey:
        """The key an issuer signs with now."""
        with self._lock:
            return self._keys[issuer][0]

    def published_keys(self, issuer: str) -> list[SigningKey]:
        with self._lock:
            return list(self._keys[issuer])

    def jwks(self, issuer: str) -> dict:
        return {"keys": [key.jwk() for key in self.published_keys(issuer)]}

    def rotate(self, issuer: str, now: datetime) -> SigningKey:
        """Start signing with a new key; the previous one stays published (JWKS caches keep working)."""
        with self._lock, self._file_lock():
            state_path = self._issuer_dir(issuer) / "state.json"
            published = json.loads(state_path.read_text())["published"]
            generation = max(published) + 1
            self._create_generation(issuer, generation, now)
            published = [generation, published[0]]
            _write(state_path, json.dumps({"published": published}).encode())
            self._keys[issuer] = [self._load_generation(issuer, g) for g in published]
            return self._keys[issuer][0]

    # -- enterprise certificates -------------------------------------------------------------------
    def issue_enterprise_certificate(self, org: str, org_name: str, now: datetime) -> EnterpriseCredentials:
        key = pki.new_rsa_key()
        cert = pki.enterprise_certificate(key, org, org_name, self.enterprise_ca_key, self.enterprise_ca_cert, now)
        chain = pki.cert_pem(cert) + pki.cert_pem(self.enterprise_ca_cert) + pki.cert_pem(self.root_cert)
        return EnterpriseCredentials(org, org_name, pki.key_pem(key), chain, pki.cert_pem(self.root_cert), cert)

    def verify_chain(self, chain: list[x509.Certificate], at: datetime) -> x509.Certificate:
        """Check that ``chain`` (leaf first) leads to the sandbox root and is valid at ``at``; the leaf."""
        if not chain:
            raise ChainError("empty certificate chain")
        leaf, intermediates = chain[0], chain[1:]
        utc = at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at
        verifier = (verification.PolicyBuilder().store(self._verifier_store).time(utc)
                    .build_client_verifier())
        try:
            verifier.verify(leaf, intermediates)
        except verification.VerificationError as exc:
            raise ChainError(str(exc)) from exc
        return leaf

    # -- TLS -------------------------------------------------------------------------------------------
    @property
    def ca_bundle_path(self) -> Path:
        return self.directory / "ca.pem"

    def tls_certificate(self, service: str, hostnames: list[str], now: datetime) -> tuple[Path, Path]:
        """(certificate chain path, key path) for a service's TLS server; created on first use, and
        again when the host names it must cover change (a new ``public_host``)."""
        folder = self.directory / "tls"
        cert_path, key_path = folder / f"{service}.cert.pem", folder / f"{service}.key.pem"
        with self._file_lock():
            if not (cert_path.exists() and key_path.exists()) or \
                    pki.host_names(pki.load_cert(cert_path.read_bytes())) != set(hostnames):
                key = pki.new_rsa_key()
                cert = pki.tls_server_certificate(key, hostnames, self.root_key, self.root_cert, now)
                _write(key_path, pki.key_pem(key), private=True)
                _write(cert_path, pki.cert_pem(cert) + pki.cert_pem(self.root_cert))
        return cert_path, key_path


def jwk_thumbprint(core: dict) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of the required members."""
    import hashlib

    canonical = json.dumps({k: core[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return pki.b64url(hashlib.sha256(canonical.encode()).digest())


def _int_b64url(value: int) -> str:
    return pki.b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    if private:
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)
