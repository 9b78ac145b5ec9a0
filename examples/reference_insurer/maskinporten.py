"""A Maskinporten client: JWT grants signed with the enterprise certificate's key, access tokens
cached per scope until shortly before they run out.

The grant carries ``x5c`` = [leaf, issuing CA] as base64 DER, ``aud`` = the issuer exactly (with
Maskinporten's trailing slash), ``iss`` = the client id, a fresh ``jti``, and ``iat``/``exp`` from
the insurer's own clock (``exp`` = ``iat`` + 120 s, the documented limit). For Altinn 3 the grant
also carries ``authorization_details`` with exactly one consent; such tokens are cached per
(scope, consent id), apart from the plain ones.
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
#: A cached token is used until less than min(REFRESH_MARGIN, REFRESH_FRACTION of its lifetime) remains,
#: but never with less than WHOLE_SECOND left.
REFRESH_MARGIN = 10.0
REFRESH_FRACTION = 0.2
#: Maskinporten's ``exp`` is whole seconds (``iat`` floored), and Altinn 3 and NAV check ``exp`` with
#: no leeway: a token may end up to one second before ``asked + expires_in`` on our monotonic clock.
WHOLE_SECOND = 1.0
#: Maskinporten's ``error`` when Altinn refuses the consent in ``authorization_details``.
CONSENT_REFUSED = "invalid_altinn_customer_configuration"


class MaskinportenError(Exception):
    """No access token. ``retriable``: Maskinporten was unreachable or failed (5xx), not a refusal."""

    def __init__(self, message: str, *, retriable: bool, status: int | None = None, body=None):
        super().__init__(message)
        self.retriable, self.status, self.body = retriable, status, body

    @property
    def consent_refused(self) -> bool:
        """Altinn refused the consent in the grant (unknown, revoked, expired, another person ...): final."""
        return self.status == 400 and isinstance(self.body, dict) and self.body.get("error") == CONSENT_REFUSED

    @property
    def description(self) -> str:
        """``error_description`` (it names Altinn's code, e.g. AM-00011), or the message."""
        if isinstance(self.body, dict) and self.body.get("error_description"):
            return str(self.body["error_description"])
        return str(self)


@dataclass
class CachedToken:
    token: str
    expires_at: float  # monotonic
    lifetime: float

    def fresh(self, now: float) -> bool:
        margin = max(WHOLE_SECOND, min(REFRESH_MARGIN, REFRESH_FRACTION * self.lifetime))
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
        grant: Callable[[str, list | None], str] | None = None,
    ):
        self.issuer = issuer
        self.token_endpoint = token_endpoint
        self.client_id = client_id
        self.certificate = certificate
        self.transport = transport
        self.wall_clock = wall_clock
        self.make_grant = grant or self.sign_grant
        self._cache: dict[tuple[str, str | None], CachedToken] = {}
        self._locks: dict[tuple[str, str | None], threading.Lock] = {}
        self._guard = threading.Lock()
        self.tokens_fetched = 0

    def sign_grant(self, scope: str, authorization_details: list | None = None) -> str:
        """The JWT grant; ``authorization_details`` (Altinn 3: one consent) goes in when given."""
        iat = int(self.wall_clock())
        claims = {
            "aud": self.issuer,
            "iss": self.client_id,
            "scope": scope,
            "iat": iat,
            "exp": iat + GRANT_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        if authorization_details is not None:
            claims["authorization_details"] = authorization_details
        return jwt.encode(claims, self.certificate.key, algorithm="RS256", headers={"x5c": self.certificate.x5c()})

    def token(self, scope: str, authorization_details: list | None = None) -> str:
        """A valid access token for ``scope`` (and the one consent in ``authorization_details``): the
        cached one while it is fresh, else a new one. Raises :class:`MaskinportenError`."""
        key = _cache_key(scope, authorization_details)
        with self._lock_for(key):
            cached = self._cache.get(key)
            if cached is not None and cached.fresh(time.monotonic()):
                return cached.token
            self._cache.pop(key, None)
            cached = self.fetch(scope, authorization_details)
            self._cache[key] = cached
            return cached.token

    def forget(self, scope: str, authorization_details: list | None = None) -> None:
        """Drop the cached token (the API refused it, or its consent is dead)."""
        key = _cache_key(scope, authorization_details)
        with self._lock_for(key):
            self._cache.pop(key, None)

    def forget_all(self) -> None:
        """Drop every cached token (the insurer was reset)."""
        with self._guard:
            self._cache.clear()

    def fetch(self, scope: str, authorization_details: list | None = None) -> CachedToken:
        """A new access token from Maskinporten, whatever the cache holds."""
        asked = time.monotonic()  # count the lifetime from before the request: errs on the safe side
        try:
            answer = self.transport.request(
                "POST",
                self.token_endpoint,
                headers={"Accept": "application/json"},
                data={"grant_type": GRANT_TYPE, "assertion": self._grant(scope, authorization_details)},
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

    def _grant(self, scope: str, authorization_details: list | None) -> str:
        if authorization_details is None:
            return self.make_grant(scope)  # a hook that knows nothing of consents still works
        return self.make_grant(scope, authorization_details)

    def _lock_for(self, key: tuple[str, str | None]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def _cache_key(scope: str, authorization_details: list | None) -> tuple[str, str | None]:
    """One cache entry per scope and consent: (scope, the consent ids, or None without a consent)."""
    if not authorization_details:
        return scope, None
    return scope, ",".join(str(d.get("id")) if isinstance(d, dict) else str(d) for d in authorization_details)


def _json(answer):
    try:
        return answer.json()
    except ValueError:
        return None
