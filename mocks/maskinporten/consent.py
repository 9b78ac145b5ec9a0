"""An Altinn 3 consent in a Maskinporten grant, and the consent the access token carries.

Digdir, "Samtykketoken i Maskinporten" (https://docs.digdir.no/docs/Maskinporten/maskinporten_func_samtykke):
the grant's ``authorization_details`` (RFC 9396, Rich Authorization Requests) asks for one consent::

    [{"type": "urn:altinn:consent", "id": "<consent request uuid>",
      "from": "urn:altinn:person:identifier-no:<pid>"}]   (or urn:altinn:organization:identifier-no:<orgno>)

"man kan kun spørre på et samtykke om gangen", and the grant still needs its ``scope``. Maskinporten
asks Altinn whether the consent exists and was given to the consumer (:mod:`.altinn_lookup`), and
the token carries it, enriched::

    [{"type": "urn:altinn:consent", "id", "from", "to": {"authority": "iso6523-actorid-upis",
      "ID": "0192:<orgno>"}, "consented", "validTo", "consentRights": [{"action", "resource",
      "metadata"?}]}]

Refusals of the grant's entry follow "Feilsøking i Maskinporten"
(https://docs.digdir.no/docs/Maskinporten/maskinporten_feilsoking): MP-301 an authorization details
type that is not supported (``authorization_details_types_supported`` in the metadata lists what
is: this sandbox serves ``urn:altinn:consent`` only, so ``urn:altinn:systemuser`` is refused
here), MP-302 unknown fields, MP-303 invalid values (not an array of objects, more than one
consent, a missing or ill-formed ``id`` or ``from``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dsop_sandbox.mocks.common.identifiers import fnr_problem, org_number_problem

CONSENT_TYPE = "urn:altinn:consent"
#: What this sandbox serves (the metadata's ``authorization_details_types_supported``). The real
#: Maskinporten also serves ``urn:altinn:systemuser``; the sandbox has no system users.
SERVED_TYPES = (CONSENT_TYPE,)
SYSTEMUSER_TYPE = "urn:altinn:systemuser"
#: The fields a consent entry in the grant has (Digdir's request table).
REQUEST_FIELDS = ("type", "id", "from")
PERSON_PREFIX = "urn:altinn:person:identifier-no:"
ORGANIZATION_PREFIX = "urn:altinn:organization:identifier-no:"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


@dataclass(frozen=True)
class ConsentRequest:
    """The consent a grant asks for: the consent request's id and who gave it."""

    id: str  # lower case, as Altinn writes a Guid
    from_urn: str
    person: str | None = None  # the fødselsnummer, when a person gave it
    organisation: str | None = None  # the organisation number, when an organisation gave it

    def lookup_body(self, to_org: str) -> dict:
        """What Maskinporten asks Altinn: ``to`` is the organisation the consent must be given to."""
        return {"id": self.id, "from": self.from_urn, "to": ORGANIZATION_PREFIX + to_org}


def consents_asked(details) -> list[dict]:
    """The ``urn:altinn:consent`` entries a grant names, ``id`` and ``from`` as given (cut to 64
    characters), for the token event: a grant asking for two consents is refused, and its event still
    shows which."""
    if not isinstance(details, list):
        return []
    return [
        {name: str(item.get(name))[:64] for name in ("id", "from")}
        for item in details
        if isinstance(item, dict) and item.get("type") == CONSENT_TYPE
    ]


def consent_request(details, fail) -> ConsentRequest:
    """The consent asked for in a grant's ``authorization_details``; ``fail(code, detail)`` builds
    the error to raise when the value is refused."""
    if not isinstance(details, list) or not details or not all(isinstance(item, dict) for item in details):
        raise fail("MP-303", "(authorization_details must be a non-empty JSON array of objects)")
    for item in details:
        kind = item.get("type")
        if kind not in SERVED_TYPES:
            why = f"{kind} is not served by dsop-sandbox" if kind == SYSTEMUSER_TYPE else f"{kind!r}"
            raise fail("MP-301", f"({why}; supported: {', '.join(SERVED_TYPES)})")
    if len(details) > 1:
        raise fail("MP-303", f"(only one {CONSENT_TYPE} per token request, got {len(details)})")
    (item,) = details
    unknown = sorted(str(name) for name in item if name not in REQUEST_FIELDS)
    if unknown:
        raise fail("MP-302", f"({CONSENT_TYPE} takes {', '.join(REQUEST_FIELDS)}; unknown: {', '.join(unknown)})")
    consent_id = item.get("id")
    if not isinstance(consent_id, str) or not _UUID.fullmatch(consent_id):
        raise fail("MP-303", f"(id must be the consent request's UUID, got {consent_id!r})")
    party = item.get("from")
    if not isinstance(party, str):
        raise fail("MP-303", f"(from must be {PERSON_PREFIX}<pid> or {ORGANIZATION_PREFIX}<orgno>, got {party!r})")
    if party.startswith(PERSON_PREFIX):
        pid = party[len(PERSON_PREFIX) :]
        problem = fnr_problem(pid)
        if problem:
            raise fail("MP-303", f"(from: {problem})")
        return ConsentRequest(consent_id.lower(), party, person=pid)
    if party.startswith(ORGANIZATION_PREFIX):
        org = party[len(ORGANIZATION_PREFIX) :]
        problem = org_number_problem(org)
        if problem:
            raise fail("MP-303", f"(from: {problem})")
        return ConsentRequest(consent_id.lower(), party, organisation=org)
    raise fail("MP-303", f"(from must be {PERSON_PREFIX}<pid> or {ORGANIZATION_PREFIX}<orgno>, got {party!r})")
