"""Checking an Altinn 3 consent: the one NAV finds inside the Maskinporten access token.

Since Altinn 3 the consent token *is* the Maskinporten token: Maskinporten looks the consent up at
Altinn and writes it into the token's ``authorization_details`` ("Samtykketoken i Maskinporten",
https://docs.digdir.no/docs/Maskinporten/maskinporten_func_samtykke.html; "Validate consent
tokens", https://docs.altinn.studio/en/authorization/guides/resource-owner/consent/validate-concent/)::

    "authorization_details": [{
      "type": "urn:altinn:consent",
      "id": "0193f2c4-7c1e-7d2a-9b8e-6a4f1c2d3e4f",
      "from": "urn:altinn:person:identifier-no:15838512329",
      "to": {"authority": "iso6523-actorid-upis", "ID": "0192:310000019"},
      "consented": "2026-12-04T10:14:05.419279+00:00",
      "validTo": "2029-12-04T10:13:27.897002+00:00",
      "consentRights": [{"action": ["consent"],
                         "resource": [{"type": "urn:altinn:resource", "value": "nav_samtykke_dsop_aap-ufore"}],
                         "metadata": {"fraogmed": "04.12.2023", "tilogmed": "04.12.2029"}}]}]

The access token itself was verified already (signature against Maskinporten's JWKS, issuer,
lifetime, scope, NAV's access list). NAV then checks, in this order, each failure a 403
``SAMTYKKE_IKKE_GITT`` with its ``consent_problem``:

* ``authorization_details``: the claim is not a list of JSON objects;
* ``several_consents``: more than one ``urn:altinn:consent`` entry (Maskinporten puts one consent
  in a token);
* ``malformed``: the entry's ``id`` (the consent request's UUID), ``from``, ``to``, ``validTo``
  (ISO 8601 with an offset) or ``consentRights`` is missing or of the wrong kind;
* ``from``: the consent is not from the person asked about (``urn:altinn:person:identifier-no:<fnr>``);
* ``to``: the consent is not given to the token's ``consumer`` (with a supplier, ``consumer`` is
  still the insurer, and so is ``to``);
* ``consent_expired``: ``validTo`` has passed on the sandbox calendar;
* ``resource``: no consent right names NAV's resource ``nav_samtykke_dsop_aap-ufore`` (the uføre
  API: "Altinn ressursnavn må være nav_samtykke_dsop_aap-ufore"; its name says AAP and uføre, so
  it opens both APIs);
* ``period``: that right's metadata has no valid ``fraogmed``/``tilogmed`` (``dd.MM.yyyy``; keys
  compared without regard to case, also the ``metadata`` key itself: Digdir's own example spells it
  ``metaData``).

``consented`` is shown on the citizen's innsyn page when it is there, not checked.
"""

from __future__ import annotations

import re
from datetime import datetime

from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.events import annotate

from .consent import ALTINN3, Consent, period, refused

CLAIM = "authorization_details"
CONSENT_TYPE = "urn:altinn:consent"
RESOURCE = "nav_samtykke_dsop_aap-ufore"
RESOURCE_TYPE = "urn:altinn:resource"
PERSON_PREFIX = "urn:altinn:person:identifier-no:"
#: A consent's id is the consent request's UUID.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def consent_entries(details) -> list[dict]:
    """The ``urn:altinn:consent`` entries of an ``authorization_details`` claim (refused when the
    claim is not a list of objects)."""
    if not isinstance(details, list) or not all(isinstance(item, dict) for item in details):
        raise refused(CLAIM, f"{CLAIM} i Maskinporten-tokenet er ikke en liste av objekter.")
    return [item for item in details if item.get("type") == CONSENT_TYPE]


def carries_consent(claims: dict) -> bool:
    """Whether NAV reads the consent from the access token: it has ``authorization_details`` that
    is not a readable list without consent entries (a malformed claim is refused, not ignored)."""
    if CLAIM not in claims:
        return False
    details = claims[CLAIM]
    if not isinstance(details, list) or not all(isinstance(item, dict) for item in details):
        return True
    return any(item.get("type") == CONSENT_TYPE for item in details)


def _moment(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _malformed(entry: dict) -> str | None:
    """The first field of a consent entry that is missing or of the wrong kind, else None."""
    if not isinstance(entry.get("id"), str) or not _UUID.match(entry["id"]):
        return "id"
    if not isinstance(entry.get("from"), str):
        return "from"
    to = entry.get("to")
    if not isinstance(to, dict) or not isinstance(to.get("ID"), str) or not isinstance(to.get("authority"), str):
        return "to"
    if _moment(entry.get("validTo")) is None:
        return "validTo"
    rights = entry.get("consentRights")
    if not isinstance(rights, list) or not rights or not all(isinstance(right, dict) for right in rights):
        return "consentRights"
    return None


def _names_resource(right: dict) -> bool:
    resources = right.get("resource")
    return isinstance(resources, list) and any(
        isinstance(item, dict) and item.get("type") == RESOURCE_TYPE and item.get("value") == RESOURCE
        for item in resources
    )


def _metadata(right: dict) -> dict[str, str]:
    """The right's metadata with lower-case keys; a key spelled twice with different values is left out."""
    containers = [value for key, value in right.items() if isinstance(key, str) and key.lower() == "metadata"]
    found: dict[str, str] = {}
    clashes: set[str] = set()
    for container in containers:
        if not isinstance(container, dict):
            continue
        for key, value in container.items():
            name = key.lower()
            if name in found and found[name] != value:
                clashes.add(name)
            found.setdefault(name, value)
    return {key: value for key, value in found.items() if key not in clashes}


def check_token_consent(claims: dict, *, pid: str, clock: Clock) -> Consent:
    """The Altinn 3 consent in verified access-token ``claims`` (see :func:`carries_consent`)."""
    entries = consent_entries(claims[CLAIM])
    if len(entries) != 1:
        raise refused("several_consents", f"Maskinporten-tokenet bærer {len(entries)} samtykker; NAV leser ett.")
    entry = entries[0]
    if isinstance(entry.get("id"), str):
        annotate(consent_id=entry["id"][:100])
    field = _malformed(entry)
    if field is not None:
        raise refused("malformed", f"Samtykket i Maskinporten-tokenet har ikke et gyldig {field}.")
    if entry["from"] != PERSON_PREFIX + pid:
        raise refused("from", "Samtykket er ikke gitt av personen det spørres om (from).")
    consumer = claims.get("consumer") if isinstance(claims.get("consumer"), dict) else {}
    to = entry["to"]
    if (to["authority"], to["ID"]) != (consumer.get("authority"), consumer.get("ID")):
        raise refused("to", "Samtykket er ikke gitt til virksomheten i Maskinporten-tokenet (to/consumer).")
    if _moment(entry["validTo"]) <= clock.calendar():
        raise refused("consent_expired", "Samtykket er utløpt (validTo).")
    right = next((right for right in entry["consentRights"] if _names_resource(right)), None)
    if right is None:
        raise refused("resource", f"Samtykket gjelder ikke ressursen {RESOURCE}.")
    start, end = period(_metadata(right), "fraogmed/tilogmed")
    return Consent(ALTINN3, entry["id"], start, end, details=entry)
