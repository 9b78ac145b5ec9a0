"""X.509 building blocks of the test PKI: names, keys, certificates, PEM/DER helpers.

Norwegian enterprise certificates (virksomhetssertifikat) carry the organisation number in the
subject: SEID 1 certificates (Buypass, Commfides) as ``serialNumber=<orgnr>``, SEID 2 (eIDAS)
certificates as ``organizationIdentifier=NTRNO-<orgnr>``. Sandbox certificates carry both, and
:func:`organisation_number` reads either, as a relying party must.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

RSA_BITS = 2048
ORG_IDENTIFIER_PREFIX = "NTRNO-"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def name(common_name: str, organisation: str = "dsop-sandbox", org_number: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
    ]
    if org_number:
        attributes += [
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, ORG_IDENTIFIER_PREFIX + org_number),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, org_number),
        ]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def organisation_number(certificate: x509.Certificate) -> str | None:
    """The organisation number a Norwegian enterprise certificate carries, or None."""
    subject = certificate.subject
    for attribute in subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER):
        value = str(attribute.value)
        if value.startswith(ORG_IDENTIFIER_PREFIX) and value[len(ORG_IDENTIFIER_PREFIX) :].isdigit():
            return value[len(ORG_IDENTIFIER_PREFIX) :]
    for attribute in subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
        value = str(attribute.value)
        if value.isdigit() and len(value) == 9:
            return value
    return None


def _builder(subject: x509.Name, issuer: x509.Name, public_key, not_before: datetime, days: int):
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before - timedelta(hours=1))
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def self_signed_ca(key, common_name: str, now: datetime, days: int = 3650) -> x509.Certificate:
    subject = name(common_name)
    return (
        _builder(subject, subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )


def intermediate_ca(
    key, common_name: str, issuer_key, issuer_cert: x509.Certificate, now: datetime, days: int = 3650
) -> x509.Certificate:
    return (
        _builder(name(common_name), issuer_cert.subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(_authority_key_id(issuer_cert), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def enterprise_certificate(
    key, org_number: str, org_name: str, issuer_key, issuer_cert: x509.Certificate, now: datetime, days: int = 3 * 365
) -> x509.Certificate:
    """A virksomhetssertifikat-like leaf: organisation number in the subject, client auth."""
    return (
        _builder(name(org_name, org_name, org_number), issuer_cert.subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.DirectoryName(name(org_name, org_name, org_number))]), critical=False
        )
        .add_extension(_authority_key_id(issuer_cert), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def signing_certificate(
    key, common_name: str, organisation: str, issuer_key, issuer_cert: x509.Certificate, now: datetime, days: int = 3650
) -> x509.Certificate:
    """The certificate behind an issuer's signing key (for ``x5c``/``x5t`` in its JWKS)."""
    return (
        _builder(name(common_name, organisation), issuer_cert.subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signature=True), critical=True)
        .add_extension(_authority_key_id(issuer_cert), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def tls_server_certificate(
    key, hostnames: list[str], issuer_key, issuer_cert: x509.Certificate, now: datetime, days: int = 825
) -> x509.Certificate:
    import ipaddress

    names = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return (
        _builder(name(hostnames[0]), issuer_cert.subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signature=True, key_encipherment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(_authority_key_id(issuer_cert), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def host_names(certificate: x509.Certificate) -> set[str]:
    """The DNS names and IP addresses a server certificate covers."""
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(value) for value in san.get_values_for_type(x509.DNSName) + san.get_values_for_type(x509.IPAddress)}


def _authority_key_id(issuer_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _key_usage(cert_sign=False, signature=False, key_encipherment=False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


# -- encodings ---------------------------------------------------------------------------------------
def key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def cert_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def cert_der_b64(certificate: x509.Certificate) -> str:
    """Standard base64 of the DER certificate: the form ``x5c`` uses (RFC 7515 §4.1.6)."""
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def x5t(certificate: x509.Certificate) -> str:
    """base64url SHA-1 thumbprint of the DER certificate (RFC 7515 §4.1.7)."""
    return b64url(hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).digest())


def x5t_s256(certificate: x509.Certificate) -> str:
    return b64url(hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest())


def load_key(pem: bytes):
    """Load one of the authority's own keys (written by us, so the slow RSA self-check is skipped)."""
    return serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)


def load_cert(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)
