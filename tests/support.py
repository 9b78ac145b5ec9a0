"""Test helpers that play the insurer: load its enterprise credentials, sign Maskinporten grants."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

REMOVE = object()  # pass as a claim/header value to leave that field out


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class InsurerKeys:
    key_pem: bytes
    chain: list[x509.Certificate]

    @classmethod
    def from_pem(cls, key_pem: bytes | str, chain_pem: bytes | str) -> InsurerKeys:
        key_pem = key_pem.encode() if isinstance(key_pem, str) else key_pem
        chain_pem = chain_pem.encode() if isinstance(chain_pem, str) else chain_pem
        return cls(key_pem, x509.load_pem_x509_certificates(chain_pem))

    @classmethod
    def from_files(cls, key_path: str | Path, chain_path: str | Path) -> InsurerKeys:
        return cls.from_pem(Path(key_path).read_bytes(), Path(chain_path).read_bytes())

    @property
    def private_key(self):
        return serialization.load_pem_private_key(self.key_pem, password=None)

    def x5c(self, depth: int = 2) -> list[str]:
        """Leaf and issuing CA, base64 DER, as an insurer puts them in the grant header."""
        return [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode() for cert in self.chain[:depth]]


def grant(
    keys: InsurerKeys,
    client_id: str,
    audience: str,
    scope: str,
    *,
    now: float | None = None,
    lifetime: int = 120,
    headers: dict | None = None,
    **claims,
) -> str:
    """A Maskinporten JWT grant signed the way a careful insurer signs it (with its real clock)."""
    iat = int(time.time() if now is None else now)
    body = {
        "aud": audience,
        "iss": client_id,
        "scope": scope,
        "iat": iat,
        "exp": iat + lifetime,
        "jti": str(uuid.uuid4()),
    }
    body.update(claims)
    header = {"x5c": keys.x5c()}
    header.update(headers or {})
    body = {k: v for k, v in body.items() if v is not REMOVE}
    header = {k: v for k, v in header.items() if v is not REMOVE}
    alg = header.pop("alg", "RS256")
    return jwt.encode(body, keys.private_key, algorithm=alg, headers=header)
