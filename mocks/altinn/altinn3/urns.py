"""Altinn 3's party URNs, read and written the way Access Management reads and writes them.

``ConsentPartyUrn`` (Altinn/altinn-authorization-tmp, ``Altinn.Authorization.Api.Contracts/Consent``)
accepts these forms (the first of each group is the canonical one it writes):

* ``urn:altinn:person:identifier-no:<11 digits>``: a fødselsnummer whose check digits hold
  (Altinn's ``PersonIdentifier`` takes the 2032 rule: the first check digit may be any of four);
* ``urn:altinn:organization:identifier-no:<9 digits>``: an organisation number (mod 11);
* ``urn:altinn:party:uuid:<uuid>``, ``urn:altinn:person:uuid:``, ``urn:altinn:organization:uuid:``,
  ``urn:altinn:systemuser:uuid:``: a party by its uuid;
* ``urn:altinn:party:id:<int>``, ``urn:altinn:partyid:<int>``: a party by its number.

Anything else is not a party URN (a JSON error for the body). The sandbox gives every person and
organisation it knows a stable party uuid (:func:`party_uuid`), so uuid URNs resolve to them;
``party:id`` and system users parse but cannot take part in a consent (:data:`UNSUPPORTED`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PERSON_PREFIX = "urn:altinn:person:identifier-no:"
ORGANIZATION_PREFIX = "urn:altinn:organization:identifier-no:"
UUID_PREFIXES = (
    "urn:altinn:party:uuid:",
    "urn:altinn:person:uuid:",
    "urn:altinn:organization:uuid:",
    "urn:altinn:systemuser:uuid:",
)
PARTY_ID_PREFIXES = ("urn:altinn:party:id:", "urn:altinn:partyid:")
PARTY_UUID_PREFIX = UUID_PREFIXES[0]

PERSON, ORGANIZATION, PARTY_UUID, PARTY_ID, SYSTEM_USER = "person", "organization", "uuid", "party_id", "systemuser"
#: Forms that parse but that a consent cannot name (the real service fails on them with a 500).
UNSUPPORTED = (PARTY_ID, SYSTEM_USER)

#: The namespace of the sandbox's party uuids (uuid5 of ``person:<pid>`` / ``organization:<org>``).
PARTY_NAMESPACE = uuid.UUID("5f0a3c1e-8d0b-4f7e-9a51-3b1d2c4e6f70")

_DIGITS = re.compile(r"^[0-9]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ORG = (3, 2, 7, 6, 5, 4, 3, 2)


class UrnError(ValueError):
    """Not a party URN Altinn can read."""


@dataclass(frozen=True)
class PartyUrn:
    kind: str  # PERSON, ORGANIZATION, PARTY_UUID, PARTY_ID or SYSTEM_USER
    value: str  # the fødselsnummer, organisation number, uuid (lower case) or party id

    def __str__(self) -> str:
        return format_party(self.kind, self.value)


def is_person_identifier(value: str) -> bool:
    """Altinn's ``PersonIdentifier``: 11 digits, the first check digit one of four, the second mod 11."""
    if len(value) != 11 or not _DIGITS.match(value):
        return False
    digits = [int(c) for c in value]
    base = sum(d * w for d, w in zip(digits, _K1, strict=False)) % 11
    k1_allowed = {(11 - base) % 11, (12 - base) % 11, (13 - base) % 11, (14 - base) % 11}
    k2 = (11 - sum(d * w for d, w in zip(digits, _K2, strict=False)) % 11) % 11
    return digits[9] in k1_allowed and digits[10] == k2


def is_organization_number(value: str) -> bool:
    """Altinn's ``OrganizationNumber``: 9 digits, mod 11 check digit."""
    if len(value) != 9 or not _DIGITS.match(value):
        return False
    total = sum(int(c) * w for c, w in zip(value, _ORG, strict=False))
    return int(value[8]) == (11 - total % 11) % 11


def parse_party(text) -> PartyUrn:
    """The party a URN string names; :class:`UrnError` when it is not a party URN."""
    if not isinstance(text, str):
        raise UrnError("a party is a URN string")
    if text.startswith(PERSON_PREFIX):
        value = text[len(PERSON_PREFIX) :]
        if not is_person_identifier(value):
            raise UrnError(f"{value!r} is not a valid Norwegian person identifier")
        return PartyUrn(PERSON, value)
    if text.startswith(ORGANIZATION_PREFIX):
        value = text[len(ORGANIZATION_PREFIX) :]
        if not is_organization_number(value):
            raise UrnError(f"{value!r} is not a valid organization number")
        return PartyUrn(ORGANIZATION, value)
    for prefix in UUID_PREFIXES:
        if text.startswith(prefix):
            value = text[len(prefix) :]
            if not _UUID.match(value):
                raise UrnError(f"{value!r} is not a uuid")
            kind = SYSTEM_USER if prefix == "urn:altinn:systemuser:uuid:" else PARTY_UUID
            return PartyUrn(kind, value.lower())
    for prefix in PARTY_ID_PREFIXES:
        if text.startswith(prefix):
            value = text[len(prefix) :]
            if not _DIGITS.match(value) or len(value) > 10 or int(value) > 2**31 - 1:
                raise UrnError(f"{value!r} is not a party id")
            return PartyUrn(PARTY_ID, value)
    raise UrnError(
        f"{text[:100]!r} is not a party URN (urn:altinn:person:identifier-no:… or "
        "urn:altinn:organization:identifier-no:…)"
    )


def format_party(kind: str, value: str) -> str:
    if kind == PERSON:
        return PERSON_PREFIX + value
    if kind == ORGANIZATION:
        return ORGANIZATION_PREFIX + value
    if kind == PARTY_UUID:
        return PARTY_UUID_PREFIX + value
    if kind == SYSTEM_USER:
        return "urn:altinn:systemuser:uuid:" + value
    return PARTY_ID_PREFIXES[0] + value


def person_urn(pid: str) -> str:
    return PERSON_PREFIX + pid


def organization_urn(org: str) -> str:
    return ORGANIZATION_PREFIX + org


def party_uuid(kind: str, value: str) -> str:
    """The sandbox's stable party uuid of a person or organisation."""
    return str(uuid.uuid5(PARTY_NAMESPACE, f"{kind}:{value}"))


def internal_urn(kind: str, value: str) -> str:
    """How Access Management names a party inside (``urn:altinn:party:uuid:<uuid>``)."""
    return PARTY_UUID_PREFIX + party_uuid(kind, value)
