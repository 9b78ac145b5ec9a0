"""The shared key authority (test PKI) every fake trusts."""

from .authority import ChainError, EnterpriseCredentials, KeyAuthority, SigningKey
from .layers import AuthorityError
from .pki import organisation_number

__all__ = ["AuthorityError", "ChainError", "EnterpriseCredentials", "KeyAuthority", "SigningKey", "organisation_number"]
