"""Another service's signing keys, fetched over HTTP and cached, and JWTs verified with them.

A fake never imports another fake: Altinn checks Maskinporten tokens and ID-porten id_tokens, and
NAV checks both Maskinporten and Altinn tokens, the way the real services do, by reading the
issuer's published JWKS. :class:`RemoteKeys` caches a JWKS for ``max_age`` seconds and fetches it
again when a token names a ``kid`` it does not hold (key rotation), at most once per
``refetch_interval`` so that forged kids cannot make it hammer the issuer. It fetches through the
service's :class:`~dsop_sandbox.mocks.common.outbound.Outbound` (a new session per fetch, so an
adapter a test mounts later is used too).

:func:`verify_jwt` checks a compact RS256 JWT strictly: the algorithm, the signature, ``iss``,
``exp`` / ``nbf`` / ``iat`` against the sandbox clock with a small leeway, and an optional
audience. Failures raise :class:`TokenError` whose ``reason`` says what was wrong.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass

import requests
from jwt.algorithms import RSAAlgorithm

from . import jose
from .clock import Clock
from .outbound import Outbound

DEFAULT_MAX_AGE = 300.0
DEFAULT_REFETCH_INTERVAL = 1.0
LEEWAY = 10


class TokenError(ValueError):
    """A token that must be refused; ``reason`` is a short machine-friendly word."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class KeysUnavailable(TokenError):
    """The issuer's keys could not be fetched (the issuer is down or answered nonsense)."""

    def __init__(self, message: str):
        super().__init__("keys_unavailable", message)


@dataclass
class _Cached:
    keys: dict
    fetched_at: float


class RemoteKeys:
    """The JWKS at ``jwks_uri``, fetched lazily with ``requests`` and cached. ``outbound`` gives the
    sessions to fetch with; without it, sessions that trust ``verify`` (and not the environment)."""

    def __init__(
        self,
        jwks_uri: str,
        clock: Clock,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        refetch_interval: float = DEFAULT_REFETCH_INTERVAL,
        timeout: float = 5.0,
        verify: bool | str = True,
        outbound: Outbound | None = None,
    ):
        self.jwks_uri = jwks_uri
        self.clock = clock
        self.max_age = max_age
        self.refetch_interval = refetch_interval
        self.timeout = timeout
        self.outbound = outbound if outbound is not None else Outbound(verify=verify)
        self.verify = self.outbound.verify
        self._cached: _Cached | None = None
        self._last_attempt = -math.inf
        self._last_refresh = -math.inf
        self._lock = threading.Lock()

    def key(self, kid: str | None):
        """The public key for ``kid`` (the only key when the JWKS has one and no kid is given)."""
        keys = self._keys(refresh=False)
        found = self._pick(keys, kid)
        if found is None and kid is not None:
            keys = self._keys(refresh=True)
            found = self._pick(keys, kid)
        if found is None:
            raise TokenError("unknown_key", f"the token's key id {kid!r} is not among the issuer's keys")
        return found

    def forget(self) -> None:
        with self._lock:
            self._cached = None
            self._last_attempt = self._last_refresh = -math.inf

    @staticmethod
    def _pick(keys: dict, kid: str | None):
        if kid is None:
            return next(iter(keys.values())) if len(keys) == 1 else None
        return keys.get(kid)

    def _keys(self, refresh: bool) -> dict:
        now = self.clock.timestamp()
        with self._lock:
            cached = self._cached
            fresh = cached is not None and now - cached.fetched_at < self.max_age
            if fresh and not refresh:
                return cached.keys
            # An unknown kid fetches again at most once per interval (forged kids must not make it
            # hammer the issuer), counted from the last such refetch: a key the issuer started using
            # a moment after an ordinary fetch is still found. A stale cache is renewed at most once
            # per interval too, so an issuer that is down is not asked on every request.
            last = self._last_refresh if refresh else self._last_attempt
            if cached is not None and now - last < self.refetch_interval:
                return cached.keys
            self._last_attempt = now
            if refresh:
                self._last_refresh = now
            try:
                keys = self._fetch()
            except KeysUnavailable:
                if cached is not None:
                    return cached.keys  # keep serving the last good keys while the issuer is down
                raise
            self._cached = _Cached(keys, now)
            return keys

    def _fetch(self) -> dict:
        try:
            with self.outbound.session() as http:
                answer = http.get(self.jwks_uri, timeout=self.timeout)
                answer.raise_for_status()
                document = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise KeysUnavailable(f"could not read the issuer's keys at {self.jwks_uri}: {exc}") from exc
        keys = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
                continue
            try:
                keys[jwk.get("kid")] = RSAAlgorithm.from_jwk(json.dumps(jwk))
            except (ValueError, TypeError, KeyError):
                continue
        if not keys:
            raise KeysUnavailable(f"the JWKS at {self.jwks_uri} holds no RSA keys")
        return keys


def verify_jwt(
    token: str | jose.CompactJws,
    keys: RemoteKeys,
    *,
    issuer: str,
    clock: Clock,
    audience: str | None = None,
    algorithms: tuple[str, ...] = ("RS256",),
    require: tuple[str, ...] = ("exp",),
    leeway: int = LEEWAY,
) -> dict:
    """The claims of ``token`` (compact, or as :func:`jose.parse` read it) after every check
    passed; :class:`TokenError` otherwise."""
    if isinstance(token, jose.CompactJws):
        jws = token
    else:
        try:
            jws = jose.parse(token)
        except jose.JoseError as exc:
            raise TokenError("malformed", f"not a signed JWT: {exc}") from exc
    alg = jws.header.get("alg")
    if alg not in algorithms:
        raise TokenError("algorithm", f"the token's algorithm {alg!r} is not accepted (only {', '.join(algorithms)})")
    kid = jws.header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise TokenError("malformed", "kid must be a string")
    if not jose.verify_rsa(jws, keys.key(kid), alg):
        raise TokenError("signature", "the token's signature is not the issuer's")
    claims = jws.claims
    if claims.get("iss") != issuer:
        raise TokenError("issuer", f"the token was issued by {claims.get('iss')!r}, not {issuer!r}")
    for name in require:
        if name not in claims:
            raise TokenError("claims", f"the token has no {name}")
    times = {}
    for name in ("exp", "nbf", "iat"):
        if name in claims:
            value = claims[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise TokenError("claims", f"{name} must be a number")
            times[name] = value
    now = clock.timestamp()
    if "exp" in times and times["exp"] <= now - leeway:
        raise TokenError("expired", "the token has expired")
    if "nbf" in times and times["nbf"] > now + leeway:
        raise TokenError("not_yet_valid", "the token is not valid yet (nbf)")
    if "iat" in times and times["iat"] > now + leeway:
        raise TokenError("not_yet_valid", "the token was issued in the future (iat)")
    if audience is not None:
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if audience not in audiences:
            raise TokenError("audience", f"the token is not meant for {audience}")
    return claims
