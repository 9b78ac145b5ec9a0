"""Reading and verifying compact JWS (RFC 7515) tokens signed with RSA, strictly and once.

The token is split and decoded a single time; the signature is checked with ``cryptography``
for exactly the algorithm the caller allows, so ``none``, HMAC (key confusion) and unexpected
algorithms never reach a verifier. PyJWT is used for signing; reading grants here instead of
with PyJWT avoids decoding large ``x5c`` headers three times per request.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

RSA_HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]*$")
MAX_TOKEN_LENGTH = 64 * 1024


class JoseError(ValueError):
    """A token that is not a well-formed compact JWS with JSON header and payload."""


@dataclass(frozen=True)
class CompactJws:
    header: dict
    claims: dict
    signing_input: bytes
    signature: bytes


def b64url_decode(segment: str) -> bytes:
    if not _SEGMENT.match(segment):
        raise JoseError("a segment is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JoseError("a segment is not base64url") from exc


def parse(token: str) -> CompactJws:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise JoseError("the token is missing or too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise JoseError("a compact JWS has three dot-separated parts")
    header_b64, claims_b64, signature_b64 = parts
    try:
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON
        raise JoseError("the header and payload must be base64url JSON") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JoseError("the header and payload must be JSON objects")
    return CompactJws(header, claims, f"{header_b64}.{claims_b64}".encode("ascii"), b64url_decode(signature_b64))


def verify_rsa(jws: CompactJws, public_key, alg: str) -> bool:
    """True when ``jws`` carries a valid ``alg`` (RS256/384/512) signature by ``public_key``."""
    if alg not in RSA_HASHES or not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        public_key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), RSA_HASHES[alg]())
    except InvalidSignature:
        return False
    return True
