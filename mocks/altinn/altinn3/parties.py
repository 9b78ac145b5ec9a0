"""Who a party URN is in Altinn's register (the sandbox's persons, consumers, service owners and
Digdir), and the URNs Access Management writes for them."""

from __future__ import annotations

from ..runtime import Altinn
from . import urns


def known(service: Altinn, party: urns.PartyUrn) -> urns.PartyUrn | None:
    """The person or organisation ``party`` names, in identifier form; None when the register has
    no such party (uuid forms are looked up among every known party)."""
    if party.kind == urns.PERSON:
        return party if service.person(party.value) is not None else None
    if party.kind == urns.ORGANIZATION:
        return party if service.organization_name(party.value) is not None else None
    if party.kind == urns.PARTY_UUID:
        for pid in (person["pid"] for person in service.persons.all()):
            if urns.party_uuid(urns.PERSON, pid) == party.value:
                return urns.PartyUrn(urns.PERSON, pid)
        for org in service.organizations():
            if urns.party_uuid(urns.ORGANIZATION, org) == party.value:
                return urns.PartyUrn(urns.ORGANIZATION, org)
    return None


def name_of(service: Altinn, urn: str | None) -> str | None:
    """A display name for a stored identifier URN (a person's full name, an organisation's name)."""
    if not urn:
        return None
    party = urns.parse_party(urn)
    if party.kind == urns.PERSON:
        return (service.person(party.value) or {}).get("name") or party.value
    return service.organization_name(party.value) or party.value


def value_of(urn: str | None) -> str | None:
    """The fødselsnummer or organisation number inside a stored identifier URN."""
    return urns.parse_party(urn).value if urn else None
