"""The shared key authority: one test PKI per state directory.

Layout of the key directory ``<state_dir>/authority/``::

    root-ca.{key,cert}.pem          dsop-sandbox Test Root CA (stands in for Buypass/Commfides roots)
    enterprise-ca.{key,cert}.pem    issuing CA for enterprise certificates (virksomhetssertifikat)
    ca.pem                          the bundle to trust: the root
    issuers/<issuer>/<n>.{key,cert}.pem and state.json   signing keys of ID-porten, Maskinporten, Altinn
    tls/<service>.{key,cert}.pem    TLS server certificates (``--tls``)

Opening an authority whose material is complete only reads: no lock, no file written, so the key
directory may be shared read-only (``dsop-sandbox keys init`` fills it first; docker-compose.yml
mounts it ``:ro``). Material that is missing is created under a file lock, so that several
processes may open one writable directory at once; in a read-only directory that is an
:class:`AuthorityError` naming what is missing. Rotated keys and new TLS certificates of a
read-only authority go to the overlay ``<state_dir>/authority-overlay`` (see :mod:`.layers`), which
every later open reads first: JWKS stay identical across restarts either way.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509 import verification

from . import pki
from .layers import AuthorityError, Layers

ISSUERS = {
    # issuer: (certificate common name, organisation, kid scheme)
    "idporten": ("ID-porten signing key", "Digitaliseringsdirektoratet", "jwk-thumbprint"),
    "maskinporten": ("Maskinporten signing key", "Digitaliseringsdirektoratet", "jwk-thumbprint"),
    # Altinn's consent token header has kid = x5t = base64url SHA-1 of the certificate.
    "altinn": ("Altinn consent token signing", "Digitaliseringsdirektoratet", "x5t"),
}

KEYS_FOLDER = "authority"  # <state_dir>/authority: the key directory
OVERLAY_FOLDER = "authority-overlay"  # <state_dir>/authority-overlay: what a read-only authority made later
CA_FILES = ("root-ca.key.pem", "root-ca.cert.pem", "enterprise-ca.key.pem", "enterprise-ca.cert.pem", "ca.pem")
INIT_HINT = "dsop-sandbox keys init"

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

    @cached_property  # read for every token signed; a key's kid never changes
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
            "x5c": [pki.cert_der_b64(cert) for cert in (self.certificate, *self.chain)],
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
    chain_pem: bytes  # leaf first, then the issuing CA, then the root
    ca_pem: bytes
    certificate: x509.Certificate


class _NotReady(Exception):
    """The material on disk is incomplete or inconsistent (``problems`` says how); internal."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class KeyAuthority:
    """The test PKI of one key directory. ``overlay`` (default: the key directory's name plus
    ``-overlay``, beside it) takes what is made while the key directory is read-only;
    ``read_only`` None decides that from the directory (see :func:`.layers.is_read_only`)."""

    def __init__(self, directory: Path, now: datetime, *, overlay: Path | None = None, read_only: bool | None = None):
        self.layers = Layers(directory, overlay, read_only)
        self.directory = self.layers.directory
        self._lock = threading.Lock()
        self._keys: dict[str, list[SigningKey]] = {}
        try:
            self._load()  # complete: read only, no lock
        except _NotReady as first:
            if self.layers.read_only:
                raise AuthorityError(self._incomplete(first.problems)) from None
            with self.layers.locked(self.directory):
                self._create_missing(now)
                try:
                    self._load()
                except _NotReady as still:
                    raise AuthorityError(
                        f"the key authority in {self.directory} is inconsistent: {'; '.join(still.problems)}. "
                        f"Remove the directory and create it again with: {self._init_command()}"
                    ) from None
        self._verifier_store = verification.Store([self.root_cert])

    @classmethod
    def open(cls, state_dir: Path, now: datetime, *, read_only: bool | None = None) -> KeyAuthority:
        state_dir = Path(state_dir)
        return cls(state_dir / KEYS_FOLDER, now, overlay=state_dir / OVERLAY_FOLDER, read_only=read_only)

    @property
    def read_only(self) -> bool:
        return self.layers.read_only

    @property
    def overlay(self) -> Path:
        return self.layers.overlay

    # -- loading (no lock, no writes) ----------------------------------------------------------------
    def _load(self) -> None:
        problems = [f"missing {name}" for name in CA_FILES if not (self.directory / name).is_file()]
        published: dict[str, list[int]] = {}
        for issuer in ISSUERS:
            try:
                published[issuer] = self._published(issuer)
            except _NotReady as exc:
                problems.extend(exc.problems)
                continue
            problems.extend(
                f"missing {relative}"
                for generation in published[issuer]
                for relative in _generation_files(issuer, generation)
                if self.layers.find(relative) is None
            )
        if problems:
            raise _NotReady(problems)
        root_key, root_cert = self._load_pair("root-ca")
        enterprise_key, enterprise_cert = self._load_pair("enterprise-ca")
        try:
            enterprise_cert.verify_directly_issued_by(root_cert)
        except (ValueError, TypeError, InvalidSignature):
            raise _NotReady(["enterprise-ca.cert.pem is not issued by root-ca.cert.pem"]) from None
        if pki.load_cert((self.directory / "ca.pem").read_bytes()) != root_cert:
            raise _NotReady(["ca.pem is not root-ca.cert.pem"])
        self.root_key, self.root_cert = root_key, root_cert
        self.enterprise_ca_key, self.enterprise_ca_cert = enterprise_key, enterprise_cert
        keys = {
            issuer: [self._load_generation(issuer, g) for g in generations] for issuer, generations in published.items()
        }
        mismatched = [
            f"{key.issuer} key {key.generation} does not match its certificate"
            for generations in keys.values()
            for key in generations
            if not _pair_matches(key.private_key, key.certificate)
        ]
        if mismatched:
            raise _NotReady(mismatched)
        self._keys = keys

    def _load_pair(self, stem: str):
        key = pki.load_key((self.directory / f"{stem}.key.pem").read_bytes())
        cert = pki.load_cert((self.directory / f"{stem}.cert.pem").read_bytes())
        if not _pair_matches(key, cert):
            raise _NotReady([f"{stem}.key.pem does not match {stem}.cert.pem"])
        return key, cert

    def _published(self, issuer: str) -> list[int]:
        """The issuer's published generations, newest first, as the overlay or the key directory says."""
        relative = _state_file(issuer)
        path = self.layers.find(relative)
        if path is None:
            raise _NotReady([f"missing {relative}"])
        try:
            published = json.loads(path.read_text())["published"]
        except (OSError, ValueError, KeyError, TypeError):
            published = None
        if not (
            isinstance(published, list)
            and published
            and all(isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in published)
        ):
            raise _NotReady([f'{path} is not {{"published": [generation, ...]}}'])
        return published

    def _load_generation(self, issuer: str, generation: int) -> SigningKey:
        key_file, cert_file = (self.layers.find(relative) for relative in _generation_files(issuer, generation))
        return SigningKey(
            issuer,
            generation,
            pki.load_key(key_file.read_bytes()),
            pki.load_cert(cert_file.read_bytes()),
            (self.root_cert,),
        )

    def _incomplete(self, problems: list[str]) -> str:
        shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
        state = "incomplete" if all(p.startswith("missing ") for p in problems) else "inconsistent"
        return (
            f"the key authority in {self.directory} is read-only and {state} ({shown}). Its material is "
            f"created once, in a writable directory, before any service starts: {self._init_command()} "
            f"(docker compose runs it as the `keys` service)."
        )

    def _init_command(self) -> str:
        state_dir = self.directory.parent if self.directory.name == KEYS_FOLDER else None
        return f"{INIT_HINT} --state-dir {state_dir}" if state_dir else INIT_HINT

    # -- creation (writable key directory, under its lock) --------------------------------------------------
    def _create_missing(self, now: datetime) -> None:
        root_key, root_cert = self._ca("root-ca", lambda key: pki.self_signed_ca(key, ROOT_NAME, now))
        self._ca("enterprise-ca", lambda key: pki.intermediate_ca(key, ENTERPRISE_CA_NAME, root_key, root_cert, now))
        if not (self.directory / "ca.pem").exists():
            self.layers.write(self.directory / "ca.pem", pki.cert_pem(root_cert))
        for issuer in ISSUERS:
            if self.layers.find(_state_file(issuer)) is None:
                self._create_generation(self.directory, issuer, 1, now, root_key, root_cert)
                self.layers.write(self.directory / _state_file(issuer), json.dumps({"published": [1]}).encode())

    def _ca(self, stem: str, make_cert):
        key_path, cert_path = self.directory / f"{stem}.key.pem", self.directory / f"{stem}.cert.pem"
        if key_path.exists() and cert_path.exists():
            return pki.load_key(key_path.read_bytes()), pki.load_cert(cert_path.read_bytes())
        key = pki.new_rsa_key()
        cert = make_cert(key)
        self.layers.write(key_path, pki.key_pem(key), private=True)
        self.layers.write(cert_path, pki.cert_pem(cert))
        return key, cert

    def _create_generation(
        self, root: Path, issuer: str, generation: int, now: datetime, root_key=None, root_cert=None
    ) -> None:
        common_name, organisation, _ = ISSUERS[issuer]
        key = pki.new_rsa_key()
        cert = pki.signing_certificate(
            key,
            f"{common_name} {generation}",
            organisation,
            root_key or self.root_key,
            root_cert or self.root_cert,
            now,
        )
        key_file, cert_file = _generation_files(issuer, generation)
        self.layers.write(root / key_file, pki.key_pem(key), private=True)
        self.layers.write(root / cert_file, pki.cert_pem(cert))

    def _next_generation(self, issuer: str, published: list[int]) -> int:
        """One more than any generation published or on disk in either layer (so that a number
        never means two keys, even after an interrupted rotation)."""
        numbers = set(published)
        for root in (self.layers.overlay, self.directory):
            folder = root / "issuers" / issuer
            if folder.is_dir():
                numbers.update(int(m.group(1)) for p in folder.iterdir() if (m := _GENERATION_FILE.match(p.name)))
        return max(numbers) + 1

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

    def reload(self, issuer: str) -> None:
        """Take up the issuer's published keys as the files say now: another process on the same
        key directory may have rotated them (its service tells this one through the store, see
        mocks/common/shared_state.py). Keys that cannot be read keep the ones held."""
        try:
            published = self._published(issuer)
            with self._lock:
                if [key.generation for key in self._keys[issuer]] == published:
                    return
            keys = [self._load_generation(issuer, g) for g in published]
        except (_NotReady, OSError, ValueError, AttributeError):
            return  # a half-written rotation is never published; anything else: keep signing as before
        with self._lock:
            self._keys[issuer] = keys

    def take_up(self, issuer: str, published: list[int], material: dict[int, tuple[bytes, bytes]]) -> None:
        """Publish and sign with what a rotation on another host published: ``material`` has each
        generation's (key PEM, certificate PEM), as the rotating host put them in the service's
        store. Generations this key directory lacks, or holds with other keys, are written where a
        rotation would write them, so that a later rotation here counts on from them; when nothing
        can be written the keys are taken up in memory only. The certificates must chain to this
        authority's root (hosts of one sandbox share its key directory's CAs)."""
        with self._lock:
            if [key.generation for key in self._keys[issuer]] == published:
                return
        try:
            keys = [
                SigningKey(issuer, g, pki.load_key(material[g][0]), pki.load_cert(material[g][1]), (self.root_cert,))
                for g in published
            ]
            for key in keys:
                key.certificate.verify_directly_issued_by(self.root_cert)
        except (KeyError, ValueError, TypeError, InvalidSignature):
            return  # not this sandbox's keys (another root) or not keys at all: keep signing as before
        try:
            root = self.layers.write_root(prefer_overlay=self.layers.in_overlay(_state_file(issuer)))
            with self.layers.locked(root):
                for generation in published:
                    for relative, pem in zip(_generation_files(issuer, generation), material[generation], strict=True):
                        found = self.layers.find(relative)
                        if found is None or found.read_bytes() != pem:
                            self.layers.write(root / relative, pem, private=relative.endswith(".key.pem"))
                self.layers.write(root / _state_file(issuer), json.dumps({"published": published}).encode())
        except AuthorityError:
            pass  # a read-only key directory without a writable overlay: sign from memory
        with self._lock:
            self._keys[issuer] = keys

    def rotate(self, issuer: str, now: datetime) -> SigningKey:
        """Start signing with a new key; the previous one stays published (JWKS caches keep working).
        Written to the key directory, or to the overlay when that is read-only (or already holds
        this issuer's state); :class:`AuthorityError` when neither can be written."""
        if issuer not in ISSUERS:
            raise KeyError(issuer)
        with self._lock:
            root = self.layers.write_root(prefer_overlay=self.layers.in_overlay(_state_file(issuer)))
            with self.layers.locked(root):
                try:
                    published = self._published(issuer)  # afresh: another process may have rotated
                except _NotReady as exc:
                    raise AuthorityError(f"cannot rotate {issuer}: {'; '.join(exc.problems)}") from None
                generation = self._next_generation(issuer, published)
                self._create_generation(root, issuer, generation, now)
                published = [generation, published[0]]
                self.layers.write(root / _state_file(issuer), json.dumps({"published": published}).encode())
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
        utc = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
        verifier = verification.PolicyBuilder().store(self._verifier_store).time(utc).build_client_verifier()
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
        """(certificate chain path, key path) for a service's TLS server. An existing certificate
        (the overlay's first, then the key directory's) is used when it covers every name in
        ``hostnames``, chains to this root and is still valid; otherwise a new one is made, in the
        key directory or, when that is read-only, in the overlay."""
        if not _SERVICE_NAME.fullmatch(service):
            raise ValueError(f"not a service name: {service!r}")
        wanted = set(hostnames)
        for root in (self.layers.overlay, self.directory):
            if self._tls_usable(root, service, wanted, now):
                return _tls_files(root, service)
        root = self.layers.write_root()
        with self.layers.locked(root):
            if not self._tls_usable(root, service, wanted, now):
                key = pki.new_rsa_key()
                cert = pki.tls_server_certificate(key, list(hostnames), self.root_key, self.root_cert, now)
                cert_path, key_path = _tls_files(root, service)
                self.layers.write(key_path, pki.key_pem(key), private=True)
                self.layers.write(cert_path, pki.cert_pem(cert) + pki.cert_pem(self.root_cert))
        return _tls_files(root, service)

    def _tls_usable(self, root: Path, service: str, wanted: set[str], now: datetime) -> bool:
        cert_path, key_path = _tls_files(root, service)
        if not (cert_path.is_file() and key_path.is_file()):
            return False
        try:
            leaf = x509.load_pem_x509_certificates(cert_path.read_bytes())[0]
            key = pki.load_key(key_path.read_bytes())
            leaf.verify_directly_issued_by(self.root_cert)
        except (ValueError, TypeError, InvalidSignature):
            return False
        moment = now if now.tzinfo else now.replace(tzinfo=UTC)
        return wanted <= pki.host_names(leaf) and _pair_matches(key, leaf) and leaf.not_valid_after_utc > moment


_GENERATION_FILE = re.compile(r"^(\d+)\.(?:key|cert)\.pem$")
_SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _state_file(issuer: str) -> str:
    return f"issuers/{issuer}/state.json"


def _generation_files(issuer: str, generation: int) -> tuple[str, str]:
    return f"issuers/{issuer}/{generation}.key.pem", f"issuers/{issuer}/{generation}.cert.pem"


def _tls_files(root: Path, service: str) -> tuple[Path, Path]:
    return root / "tls" / f"{service}.cert.pem", root / "tls" / f"{service}.key.pem"


def _pair_matches(private_key, certificate: x509.Certificate) -> bool:
    return private_key.public_key().public_numbers() == certificate.public_key().public_numbers()


def jwk_thumbprint(core: dict) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of the required members."""
    import hashlib

    canonical = json.dumps({k: core[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return pki.b64url(hashlib.sha256(canonical.encode()).digest())


def _int_b64url(value: int) -> str:
    return pki.b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))
