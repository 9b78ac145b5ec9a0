"""Validating a JWT-bearer grant the way Maskinporten does (RFC 7523 §2.1 + Digdir's rules).

Order of checks: the header (alg, x5c/kid), the client named by ``iss``, the key (registered
JWK or enterprise certificate chain), the signature, then the claims (known claims only, aud,
lifetime, scope, access list or delegation, optional claims, the consent asked for in
``authorization_details``). :meth:`GrantValidator.validate` does all of that; the ``jti`` replay
store comes last, in :meth:`GrantValidator.redeem`, after the token endpoint has looked a consent
up at Altinn, so that a refused grant does not use up its ``jti``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from dsop_sandbox.mocks.authority import ChainError, KeyAuthority, organisation_number
from dsop_sandbox.mocks.common import jose
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.identifiers import fnr_problem, org_number_problem
from dsop_sandbox.mocks.common.settings import MaskinportenRules

from . import errors as mp
from .consent import ConsentRequest, consent_request, consents_asked
from .registry import KEY_MAX_AGE, Client, Registry, Scope

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")
#: Claims Maskinporten documents for a grant; anything else is refused ("Invalid assertion").
#: nbf and sub are not in the table but are written by common JWT libraries (.NET adds nbf).
KNOWN_CLAIMS = frozenset(
    {
        "aud",
        "iss",
        "iat",
        "exp",
        "jti",
        "scope",
        "resource",
        "pid",
        "consumer_org",
        "iss_onbehalfof",
        "authorization_details",
        "nbf",
        "sub",
    }
)
CHAIN_CACHE_SIZE = 256


@dataclass
class Grant:
    """What a valid grant entitles the client to."""

    client: Client
    client_amr: str
    scopes: tuple[Scope, ...]
    consumer_org: str
    supplier_org: str | None = None
    audience: object = None
    pid: str | None = None
    jti: str | None = None
    claims: dict = field(default_factory=dict)
    consent: ConsentRequest | None = None  # the Altinn 3 consent asked for in authorization_details


class GrantValidator:
    def __init__(
        self,
        registry: Registry,
        authority: KeyAuthority,
        issuer: str,
        rules: MaskinportenRules,
        errors: mp.MaskinportenErrors,
    ):
        self.registry = registry
        self.authority = authority
        self.issuer = issuer
        self.rules = rules
        self.fail = errors
        self._chains: dict[tuple, tuple] = {}
        self._chains_lock = threading.Lock()

    def validate(self, assertion: str, trace_id: str) -> Grant:
        def fail(code: str, detail: str | None = None, text: str | None = None):
            return self.fail(code, trace_id, detail, text=text)

        # -- header -------------------------------------------------------------------------------
        try:
            jws = jose.parse(assertion)
        except jose.JoseError as exc:
            raise fail("MP-011", f"The assertion is not a signed JWT ({exc})") from exc
        header, claims = jws.header, jws.claims
        if jws.lone_surrogate:
            # JSON may escape half a UTF-16 pair ("\ud800"); such a string cannot be stored or echoed.
            raise fail("MP-011", "The assertion contains a string that is not valid Unicode (a lone surrogate)")
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise fail("MP-124", f"Algorithm {alg!r} is not allowed; use RS256, RS384 or RS512")
        if "crit" in header:  # RFC 7515 §4.1.11: extensions we do not understand must be refused
            raise fail("MP-011", "The JWT header lists critical extensions (crit) Maskinporten does not support")
        has_x5c, has_kid = "x5c" in header, "kid" in header
        if has_x5c and has_kid:
            raise fail("MP-011", "The JWT header must carry exactly one of x5c and kid")

        # -- client -------------------------------------------------------------------------------
        client_id = claims.get("iss")
        if not isinstance(client_id, str) or not client_id:
            raise fail("MP-011", "Missing claim iss (the client_id)")
        annotate(caller=client_id)  # who claims to be calling, for the event log, refused or not
        client = self.registry.client(client_id)
        if client is None or not client.active:
            raise fail("MP-100")

        # -- key ----------------------------------------------------------------------------------
        if client.kids:
            if not has_kid:
                raise fail("MP-100", text=f"{mp.CLIENT_AUTH} {mp.REQUIRES_KID}")
            found = self.registry.key(client.client_id, str(header["kid"]))
            if found is None:
                raise fail("MP-100", text=f"{mp.CLIENT_AUTH} {mp.UNKNOWN_KID}: {header['kid']}")
            jwk, created = found
            if self.registry.clock.timestamp() - created > KEY_MAX_AGE:
                raise fail("MP-121")
            public_key = RSAAlgorithm.from_jwk(json.dumps(jwk))
            client_amr = "private_key_jwt"
        else:
            if not has_x5c:
                if has_kid:
                    raise fail(
                        "MP-100",
                        text=f"{mp.CLIENT_AUTH} {mp.UNKNOWN_KID}: the client has no registered "
                        "keys; send the enterprise certificate in x5c",
                    )
                raise fail("MP-120", f"{mp.NO_CERTIFICATE}: no x5c header")
            leaf, leaf_org = self._verified_leaf(header["x5c"], fail)
            if leaf_org != client.org:
                raise fail("MP-122")
            public_key = leaf.public_key()
            client_amr = "virksomhetssertifikat"
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise fail("MP-124", "The key is not an RSA key")

        # -- signature ----------------------------------------------------------------------------
        if not jose.verify_rsa(jws, public_key, alg):
            raise fail("MP-124")

        # -- claims -------------------------------------------------------------------------------
        unknown = sorted(set(claims) - KNOWN_CLAIMS)
        if unknown:
            raise fail("MP-011", f"Unknown claim(s) in the grant: {', '.join(unknown)}")
        if "sub" in claims and claims["sub"] != client.client_id:
            raise fail("MP-011", "sub, when present, must be the client_id")
        aud = claims.get("aud")
        if aud != self.issuer:
            why = (
                "aud must be a single string, not an array"
                if isinstance(aud, list)
                else f"expected {self.issuer!r}, got {aud!r}"
            )
            raise fail("MP-110", f"({why})")
        self._check_times(claims, fail)

        scopes = self._scopes(claims, client, fail)
        consumer, supplier = self._consumer(claims, client, scopes, fail)
        audience = self._resource(claims, fail)
        pid = claims.get("pid")
        if pid is not None and fnr_problem(pid):
            raise fail("MP-011", f"pid: {fnr_problem(pid)}")
        if "iss_onbehalfof" in claims:
            raise fail("MP-011", "iss_onbehalfof (onbehalfof sub-clients) is not served by dsop-sandbox")
        consent = None
        if "authorization_details" in claims:
            annotate(
                authorization_details_types=_detail_types(claims["authorization_details"]),
                consents_asked=consents_asked(claims["authorization_details"]) or None,
            )
            consent = consent_request(claims["authorization_details"], fail)

        jti = claims.get("jti")
        if jti is not None and (not isinstance(jti, str) or not jti):
            raise fail("MP-011", "jti must be a non-empty string")
        return Grant(client, client_amr, scopes, consumer, supplier, audience, pid, jti, claims, consent)

    def refuse_replay(self, grant: Grant, trace_id: str) -> None:
        """MP-012 for a ``jti`` the client has used, without using this one up (before a lookup)."""
        if grant.jti is not None and self.registry.grant_used(grant.client.client_id, grant.jti):
            raise self.fail("MP-012", trace_id)

    def redeem(self, grant: Grant, trace_id: str) -> None:
        """Use the grant's ``jti`` up: the last step before the token is minted (MP-012 if it was used)."""
        if grant.jti is None:
            return
        expires = float(grant.claims["exp"]) + self.rules.clock_skew
        if not self.registry.use_grant(grant.client.client_id, grant.jti, expires):
            raise self.fail("MP-012", trace_id)

    # -- pieces ---------------------------------------------------------------------------------------
    def _verified_leaf(self, x5c, fail) -> tuple[x509.Certificate, str | None]:
        """The leaf of an ``x5c`` chain that leads to the sandbox root and is valid now, and the
        organisation number in its subject.

        A chain that verified before is not built again while the clock is inside the window in
        which all of its certificates are valid (chain building is a sixth of a token request), and
        its leaf's subject is not read again."""
        now = self.registry.clock.now()
        key = tuple(x5c) if isinstance(x5c, list) and all(isinstance(item, str) for item in x5c) else None
        with self._chains_lock:
            known = self._chains.get(key) if key else None
        if known and known[2] <= now <= known[3]:
            return known[0], known[1]
        chain = self._certificate_chain(x5c, fail)
        try:
            leaf = self.authority.verify_chain(chain, now)
        except ChainError as exc:
            raise fail("MP-120", f"({exc})") from exc
        certificates = [*chain, self.authority.root_cert]
        window = (max(c.not_valid_before_utc for c in certificates), min(c.not_valid_after_utc for c in certificates))
        org = organisation_number(leaf)
        with self._chains_lock:
            self._chains[key] = (leaf, org, *window)
            while len(self._chains) > CHAIN_CACHE_SIZE:
                self._chains.pop(next(iter(self._chains)))
        return leaf, org

    @staticmethod
    def _certificate_chain(x5c, fail) -> list[x509.Certificate]:
        if not isinstance(x5c, list) or not x5c or not all(isinstance(item, str) for item in x5c):
            raise fail("MP-123", "(x5c must be a JSON array of base64 certificates)")
        try:
            return [x509.load_der_x509_certificate(base64.b64decode(item, validate=True)) for item in x5c]
        except (ValueError, binascii.Error) as exc:
            raise fail("MP-123", f"({mp.NO_CERTIFICATE})") from exc

    def _check_times(self, claims: dict, fail) -> None:
        times = {}
        for name in ("iat", "exp"):
            times[name] = _finite_number(claims.get(name))
            if times[name] is None:
                raise fail("MP-011", f"Missing or non-numeric claim {name}")
        iat, exp = times["iat"], times["exp"]
        now, skew = self.registry.clock.timestamp(), self.rules.clock_skew
        limit = self.rules.assertion_lifetime_limit
        if exp - iat > limit:
            raise fail("MP-130", f"{mp.TOO_LONG_LIFETIME}: exp - iat = {int(exp - iat)} s, at most {limit} s")
        if iat > now + skew:
            raise fail("MP-130", f"{mp.ISSUED_IN_FUTURE}: iat is {int(iat - now)} s ahead of the server clock")
        if exp < now - skew:
            raise fail("MP-130")
        if self.rules.strict_assertion_lifetime and iat < now - skew:
            raise fail("MP-130", f"{mp.ISSUED_TOO_LONG_AGO}: iat must be within {skew} s of the server clock")
        nbf = claims.get("nbf")
        if nbf is not None:
            nbf = _finite_number(nbf)
            if nbf is None:
                raise fail("MP-011", "nbf must be a number")
            if nbf > now + skew:
                raise fail("MP-130", mp.NOT_YET_VALID)

    def _scopes(self, claims: dict, client: Client, fail) -> tuple[Scope, ...]:
        raw = claims.get("scope")
        if not isinstance(raw, str) or not raw.strip():
            raise fail("MP-011", "Missing claim scope (Maskinporten reads the scope from the grant)")
        names = tuple(dict.fromkeys(raw.split()))
        scopes = self.registry.scopes_named(names)
        unregistered = [name for name in names if name not in client.scopes or name not in scopes]
        if unregistered:
            raise fail("MP-200", f"({', '.join(unregistered)})")
        for scope in scopes.values():
            if client.integration_type not in scope.allowed_integration_types:
                raise fail("MP-201", f"({scope.scope})")
        return tuple(scopes[name] for name in names)

    def _consumer(self, claims: dict, client: Client, scopes, fail) -> tuple[str, str | None]:
        """(consumer, supplier): the client's own org, or with ``consumer_org`` the customer it acts for.
        The consumer must be on every scope's access list; a supplier also needs a delegable scope
        and the customer's delegation of it."""
        consumer_org = claims.get("consumer_org")
        if consumer_org is not None:
            problem = org_number_problem(consumer_org)
            if problem:
                raise fail("MP-011", f"consumer_org: {problem}")
            if consumer_org == client.org:
                raise fail("MP-011", mp.CONSUMER_ORG_IS_CLIENT)
        consumer = consumer_org or client.org
        for scope in scopes:
            if not scope.accessible_for_all and not self.registry.has_access(scope.scope, consumer):
                raise fail("MP-250", text=f"Consumer {consumer} has not been granted access to the scope {scope.scope}")
        if consumer_org is None:
            return client.org, None
        for scope in scopes:
            if not scope.delegation_source:
                raise fail("MP-011", f"{mp.CONSUMER_ORG_IS_CLIENT} ({scope.scope} cannot be delegated)")
            if not self.registry.has_delegation(scope.scope, consumer_org, client.org):
                raise fail(
                    "MP-251",
                    f"(Consumer {consumer_org} has not delegated access to the scope {scope.scope} "
                    f"to supplier {client.org})",
                )
        return consumer_org, client.org

    @staticmethod
    def _resource(claims: dict, fail):
        if "resource" not in claims:
            return None
        resource = claims["resource"]
        if (
            not isinstance(resource, list)
            or not resource
            or not all(isinstance(item, str) and item for item in resource)
        ):
            raise fail("MP-011", "resource: currently only a non-empty array of strings is supported")
        return resource[0] if len(resource) == 1 else resource


def _detail_types(details) -> list[str]:
    """The ``type`` of each entry the grant's ``authorization_details`` names, for the event log (so
    a token request that carried a consent says so, refused before the lookup or not)."""
    items = details if isinstance(details, list) else [details]
    return [str(item.get("type"))[:100] if isinstance(item, dict) else "(not an object)" for item in items[:10]]


def _finite_number(value) -> float | None:
    """A JSON number as a finite float, or None: booleans, strings, NaN, ±Infinity (Python's json
    reads them) and integers too large for a float are no NumericDate."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
