"""A Maskinporten client: JWT grants signed with the enterprise certificate's key, access tokens
cached per scope until shortly before they run out.

The grant carries ``x5c`` = [leaf, issuing CA] as base64 DER, ``aud`` = the issuer exactly (with
Maskinporten's trailing slash), ``iss`` = the client id, a fresh ``jti``, and ``iat``/``exp`` from
the insurer's own clock (``exp`` = ``iat`` + 120 s, the documented limit).
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .transport import Transport, Unreachable

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANT_LIFETIME = 120
#: A cached token is used until less than min(REFRESH_MARGIN, REFRESH_FRACTION of its lifetime) remains.
REFRESH_MARGIN = 10.0
REFRESH_FRACTION = 0.2


class MaskinportenError(Exception):
    """No access token. ``retriable``: Maskinporten was unreachable or failed (5xx), not a refusal."""

    def __init__(self, message: str, *, retriable: bool, status: int | None = None, body=None):
        super().__init__(message)
        self.retriable, self.status, self.body = retriable, status, body


@dataclass
class CachedToken:
    token: str
    expires_at: float  # monotonic
    lifetime: float

    def fresh(self, now: float) -> bool:
        margin = min(REFRESH_MARGIN, REFRESH_FRACTION * self.lifetime)
        return self.expires_at - now > margin


class EnterpriseCertificate:
    """The enterprise key and its chain, as register-insurer wrote them."""

    def __init__(self, key_path: Path, chain_path: Path):
        self.key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
        self.chain = x509.load_pem_x509_certificates(Path(chain_path).read_bytes())
        if not self.chain:
            raise ValueError(f"{chain_path} holds no certificate")

    def x5c(self) -> list[str]:
        """Leaf and issuing CA (not the root), base64 DER."""
        return [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode() for cert in self.chain[:2]]


class MaskinportenClient:
    def __init__(
        self,
        *,
        issuer: str,
        token_endpoint: str,
        client_id: str,
        certificate: EnterpriseCertificate,
        transport: Transport,
        wall_clock: Callable[[], float] = time.time,
        grant: Callable[[str], str] | None = None,
    ):
        self.issuer = issuer
        self.token_endpoint = token_endpoint
        self.client_id = client_id
        self.certificate = certificate
        self.transport = transport
        self.wall_clock = wall_clock
        self.make_grant = grant or self.sign_grant
        self._cache: dict[str, CachedToken] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.tokens_fetched = 0

    def sign_grant(self, scope: str) -> str:
        iat = int(self.wall_clock())
        claims = {
            "aud": self.issuer,
            "iss": self.client_id,
            "scope": scope,
            "iat": iat,
            "exp": iat + GRANT_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.certificate.key, algorithm="RS256", headers={"x5c": self.certificate.x5c()})

    def token(self, scope: str) -> str:
        """A valid access token for ``scope``: the cached one while it is fresh, else a new one.
        Raises :class:`MaskinportenError`."""
        with self._lock_for(scope):
            cached = self._cache.get(scope)
            if cached is not None and cached.fresh(time.monotonic()):
                return cached.token
            cached = self.fetch(scope)
            self._cache[scope] = cached
            return cached.token

    def forget(self, scope: str) -> None:
        """Drop the cached token (the API refused it as invalid)."""
        with self._lock_for(scope):
            self._cache.pop(scope, None)

    def fetch(self, scope: str) -> CachedToken:
        """A new access token from Maskinporten, whatever the cache holds."""
        asked = time.monotonic()  # count the lifetime from before the request: errs on the safe side
        try:
            answer = self.transport.request(
                "POST",
                self.token_endpoint,
                headers={"Accept": "application/json"},
                data={"grant_type": GRANT_TYPE, "assertion": self.make_grant(scope)},
            )
        except Unreachable as exc:
            raise MaskinportenError(f"Maskinporten unreachable: {exc}", retriable=True) from exc
        body = _json(answer)
        if answer.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            retriable = answer.status_code >= 500 or answer.status_code == 429
            detail = body.get("error_description") or body.get("error") if isinstance(body, dict) else answer.text[:200]
            raise MaskinportenError(
                f"Maskinporten answered {answer.status_code}: {detail}",
                retriable=retriable,
                status=answer.status_code,
                body=body,
            )
        self.tokens_fetched += 1
        lifetime = body.get("expires_in")
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or lifetime <= 0:
            lifetime = 0  # unknown: do not reuse it
        return CachedToken(body["access_token"], asked + lifetime, float(lifetime))

    def _lock_for(self, scope: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(scope, threading.Lock())


def _json(answer):
    try:
        return answer.json()
    except ValueError:
        return None
