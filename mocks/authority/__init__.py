"""The shared key authority (test PKI) every fake trusts."""

from .authority import ChainError, EnterpriseCredentials, KeyAuthority, SigningKey
from .layers import AuthorityError
from .pki import load_key, organisation_number

__all__ = [
    "AuthorityError",
    "ChainError",
    "EnterpriseCredentials",
    "KeyAuthority",
    "SigningKey",
    "load_key",
    "organisation_number",
]
