"""Reading and verifying compact JWS (RFC 7515) tokens signed with RSA, strictly and once.

The token is split and decoded a single time; the signature is checked with ``cryptography``
for exactly the algorithm the caller allows, so ``none``, HMAC (key confusion) and unexpected
algorithms never reach a verifier. Reading grants here instead of with PyJWT avoids decoding
large ``x5c`` headers three times per request; :func:`sign_rs256` writes a token the way PyJWT
does (compact JSON, sorted header), without its per-call key and option handling.

A client sends the same header with every token (its algorithm and ``x5c`` chain, or its ``kid``),
so a header segment seen before is not decoded again (:data:`HEADER_CACHE_SIZE` of them are kept,
by their exact text); the caller gets its own copy of the header. Whether the header or the
claims hold a lone surrogate (``"\\ud800"``: JSON, but no text) is found once, in :func:`parse`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .payload import has_lone_surrogate

RSA_HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]*$")
MAX_TOKEN_LENGTH = 64 * 1024
HEADER_CACHE_SIZE = 256
#: Header segment -> (header, whether it holds a lone surrogate); see the module's docstring.
_headers: dict[str, tuple[dict, bool]] = {}
_headers_lock = threading.Lock()


class JoseError(ValueError):
    """A token that is not a well-formed compact JWS with JSON header and payload."""


@dataclass(frozen=True)
class CompactJws:
    header: dict
    claims: dict
    signing_input: bytes
    signature: bytes
    lone_surrogate: bool = False  # a string in the header or the claims is half a UTF-16 pair


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
    known = _headers.get(header_b64)
    if known is None:
        header, header_surrogate = _json_object(header_b64)
    else:
        header, header_surrogate = _copied(known[0]), known[1]
    claims, claims_surrogate = _json_object(claims_b64)
    signature = b64url_decode(signature_b64)
    if known is None:
        with _headers_lock:
            while len(_headers) >= HEADER_CACHE_SIZE:
                _headers.pop(next(iter(_headers)))
            _headers[header_b64] = (_copied(header), header_surrogate)
    signing_input = f"{header_b64}.{claims_b64}".encode("ascii")
    return CompactJws(header, claims, signing_input, signature, header_surrogate or claims_surrogate)


def _copied(value):
    """A copy of decoded JSON (objects and arrays copied, the rest immutable): copy.deepcopy's
    bookkeeping cost more than decoding a small header again."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _json_object(segment: str) -> tuple[dict, bool]:
    """The JSON object in a base64url segment, and whether it holds a lone surrogate."""
    raw = b64url_decode(segment)
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON
        raise JoseError("the header and payload must be base64url JSON") from exc
    if not isinstance(value, dict):
        raise JoseError("the header and payload must be JSON objects")
    # Only an escape (\ud800) or raw bytes ED A0..BF xx (json decodes bytes with surrogatepass) can
    # make one; without either there is nothing to look for.
    possible = b"\\u" in raw or b"\xed" in raw
    return value, possible and has_lone_surrogate(value)


def verify_rsa(jws: CompactJws, public_key, alg: str) -> bool:
    """True when ``jws`` carries a valid ``alg`` (RS256/384/512) signature by ``public_key``."""
    if alg not in RSA_HASHES or not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        public_key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), RSA_HASHES[alg]())
    except InvalidSignature:
        return False
    return True


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact_json(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def sign_rs256(claims: dict, private_key: rsa.RSAPrivateKey, headers: dict | None = None) -> str:
    """A compact JWS of ``claims`` signed RS256 with ``private_key``; ``headers`` are added to
    ``{"alg": "RS256"}`` (``alg`` cannot be changed)."""
    header = dict(sorted({**(headers or {}), "alg": "RS256"}.items()))
    signing_input = f"{b64url_encode(_compact_json(header))}.{b64url_encode(_compact_json(claims))}"
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(signature)}"
