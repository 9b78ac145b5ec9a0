"""The shared key authority (test PKI) every fake trusts."""
from .authority import ChainError, EnterpriseCredentials, KeyAuthority, SigningKey
from .pki import organisation_number

__all__ = ["ChainError", "EnterpriseCredentials", "KeyAuthority", "SigningKey", "organisation_number"]
