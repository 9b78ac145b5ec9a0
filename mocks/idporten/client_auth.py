"""Client authentication at ``/token`` and ``/par``: client_secret_basic, client_secret_post,
private_key_jwt (with the ``client_id`` form field the new ID-porten requires) and none.

A client must use the method it is registered with; anything else is ``invalid_client`` (401).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
from urllib.parse import unquote

from cryptography import x509
from flask import current_app, request
from jwt.algorithms import RSAAlgorithm

from dsop_sandbox.mocks.authority import ChainError, organisation_number
from dsop_sandbox.mocks.common import jose
from dsop_sandbox.mocks.common.errors import ServiceError
from dsop_sandbox.mocks.common.events import annotate

from .errors import oauth_error

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 180
SKEW = 10


def invalid_client(description: str, basic: bool = False) -> ServiceError:
    headers = {"WWW-Authenticate": 'Basic realm="idporten"'} if basic else {}
    return oauth_error(401, "invalid_client", description, headers)


def authenticate_client() -> tuple[dict, str]:
    """(client record, method used) for the request at hand."""
    form = request.form
    oidc = current_app.extensions["idporten"]
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        method = "client_secret_basic"
        try:
            client_id, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
        except ValueError as exc:  # binascii.Error, UnicodeDecodeError, and non-ASCII header text
            raise invalid_client("malformed Basic authorization header", basic=True) from exc
        client_id, secret = unquote(client_id), unquote(secret)
    elif "client_assertion" in form or "client_assertion_type" in form:
        method = "private_key_jwt"
        client_id, secret = form.get("client_id", ""), None
        if not client_id:
            raise oauth_error(400, "invalid_request", "private_key_jwt needs the client_id form parameter too")
    elif "client_secret" in form:
        method = "client_secret_post"
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    else:
        method = "none"
        client_id, secret = form.get("client_id", ""), None
    if not client_id:
        raise invalid_client("no client authentication", basic=True)
    annotate(caller=client_id, client_auth=method)
    client = oidc.clients.get(client_id)
    if client is None:
        raise invalid_client("unknown client", basic=method == "client_secret_basic")
    registered = client["token_endpoint_auth_method"]
    if method != registered:
        raise invalid_client(
            f"the client is registered for {registered}, not {method}", basic=method == "client_secret_basic"
        )
    if method.startswith("client_secret"):
        if not hmac.compare_digest((secret or "").encode(), (client["client_secret"] or "").encode()):
            raise invalid_client("wrong client secret", basic=method == "client_secret_basic")
    elif method == "private_key_jwt":
        _verify_client_assertion(client, form.get("client_assertion_type"), form.get("client_assertion", ""), oidc)
    return client, method


def _verify_client_assertion(client: dict, assertion_type, assertion: str, oidc) -> None:
    if assertion_type != ASSERTION_TYPE:
        raise invalid_client(f"client_assertion_type must be {ASSERTION_TYPE}")
    try:
        jws = jose.parse(assertion)
    except jose.JoseError as exc:
        raise invalid_client(f"client_assertion is not a signed JWT ({exc})") from exc
    header, claims = jws.header, jws.claims
    alg = header.get("alg")
    if alg not in jose.RSA_HASHES:
        raise invalid_client(f"client_assertion algorithm {alg!r} is not allowed")
    key = _assertion_key(client, header, oidc)
    if not jose.verify_rsa(jws, key, alg):
        raise invalid_client("client_assertion signature is invalid")
    if claims.get("iss") != client["client_id"] or claims.get("sub") != client["client_id"]:
        raise invalid_client("client_assertion iss and sub must both be the client_id")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if not {oidc.issuer, oidc.token_endpoint} & {a for a in audiences if isinstance(a, str)}:
        raise invalid_client(f"client_assertion aud must be the issuer {oidc.issuer}")
    now = oidc.clock.timestamp()
    iat, exp = claims.get("iat"), claims.get("exp")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (iat, exp)):
        raise invalid_client("client_assertion needs numeric iat and exp")  # NaN/Infinity pass every comparison
    if exp < now - SKEW:
        raise invalid_client("client_assertion is expired")
    if iat > now + SKEW or exp - iat > MAX_ASSERTION_LIFETIME:
        raise invalid_client("client_assertion iat/exp are out of bounds")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise invalid_client("client_assertion needs a jti")
    if not oidc.state.use_assertion(client["client_id"], jti, exp + SKEW):
        raise invalid_client("client_assertion has been used before (jti)")


def _assertion_key(client: dict, header: dict, oidc):
    if "kid" in header and client.get("jwks"):
        for jwk in client["jwks"].get("keys", []):
            if jwk.get("kid") == header["kid"]:
                return RSAAlgorithm.from_jwk(json.dumps(jwk))
        raise invalid_client(f"unknown key identifier (kid) {header['kid']!r}")
    if isinstance(header.get("x5c"), list) and header["x5c"]:
        try:
            chain = [x509.load_der_x509_certificate(base64.b64decode(item, validate=True)) for item in header["x5c"]]
            leaf = oidc.authority.verify_chain(chain, oidc.clock.now())
        except (ValueError, TypeError, binascii.Error, ChainError) as exc:
            raise invalid_client(f"client_assertion certificate is not valid here ({exc})") from exc
        if not client.get("org") or organisation_number(leaf) != client["org"]:
            raise invalid_client("the certificate's organisation number is not the client's")
        return leaf.public_key()
    raise invalid_client("client_assertion needs a registered kid or an x5c certificate chain")
