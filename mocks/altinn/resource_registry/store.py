"""The resource registry's records: resources in the registry's shape, and their access lists.

A resource is stored as the registry serves it (``ServiceResource`` of Altinn/altinn-resource-registry:
``identifier``, ``title``, ``resourceType``, ``consentTemplate``, ``consentText``,
``consentMetadata``, ``isOneTimeConsent``, ``hasCompetentAuthority``, ``accessListMode`` …) plus one
field of the sandbox's own, ``sandbox``, for what a resource owner states but the registry has no
field for::

    "sandbox": {"maxConsentValidity": "P3Y",                       # ISO 8601 duration from the request
                "metadataFormats": {"fraogmed": "dd.MM.yyyy"},      # see metadata_formats.FORMATS
                "metadataPeriod": ["fraogmed", "tilogmed"]}         # start and end of the data period

Access lists say which organisations may request consent for a resource (Altinn's PDP checks
action ``requestconsent``); with ``accessListMode: "Disabled"`` anyone may. Both tables are
registrations: a plain reset keeps them; a reset with registrations forgets them and the seeded
resources come back.
"""

from __future__ import annotations

import json
import re

from dsop_sandbox.mocks.common.clock import Clock, ClockError, Duration, isoformat
from dsop_sandbox.mocks.common.identifiers import org_number_problem
from dsop_sandbox.mocks.common.store import Store

from . import metadata_formats, templates
from .nav import SEEDED

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    id INTEGER PRIMARY KEY AUTOINCREMENT, identifier TEXT NOT NULL UNIQUE, created TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resource_access (
    identifier TEXT NOT NULL,
    org TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (identifier, org)
);
"""
TABLES = ("resources", "resource_access")

CONSENT = "Consent"
RESOURCE_TYPES = (
    "Default",
    "Systemresource",
    "MaskinportenSchema",
    "Altinn2Service",
    "AltinnApp",
    "GenericAccessResource",
    "BrokerService",
    "CorrespondenceService",
    "Consent",
    "MigratedApp",
)
ACCESS_LIST_MODES = ("Enabled", "Disabled")
LANGUAGES = ("nb", "nn", "en")
IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_-]{2,99}$")
METADATA_KEY = re.compile(r"^[a-z0-9_]{1,50}$")
MAX_TEXT = 4000


class ResourceProblem(ValueError):
    """A resource definition the sandbox's registry will not take."""


def _texts(body: dict, field: str, *, required: bool) -> dict | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if (
        not isinstance(value, dict)
        or not value.get("nb")
        or not all(key in LANGUAGES and isinstance(text, str) and len(text) <= MAX_TEXT for key, text in value.items())
    ):
        raise ResourceProblem(f"{field} is an object of texts by language ({', '.join(LANGUAGES)}), nb at least")
    return dict(value)


def _sandbox_fields(value, metadata: dict) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - {"maxConsentValidity", "metadataFormats", "metadataPeriod"}:
        raise ResourceProblem("sandbox holds maxConsentValidity, metadataFormats and metadataPeriod only")
    fields: dict = {}
    if value.get("maxConsentValidity") is not None:
        try:
            Duration.parse(value["maxConsentValidity"])
        except ClockError as exc:
            raise ResourceProblem(f"sandbox.maxConsentValidity: {exc}") from exc
        fields["maxConsentValidity"] = value["maxConsentValidity"]
    formats = value.get("metadataFormats") or {}
    if not isinstance(formats, dict) or not all(
        key in metadata and fmt in metadata_formats.FORMATS for key, fmt in formats.items()
    ):
        raise ResourceProblem(
            f"sandbox.metadataFormats maps consentMetadata keys to one of {', '.join(metadata_formats.FORMATS)}"
        )
    if formats:
        fields["metadataFormats"] = dict(formats)
    period = value.get("metadataPeriod")
    if period is not None:
        if not (isinstance(period, list) and len(period) == 2 and all(key in formats for key in period)):
            raise ResourceProblem("sandbox.metadataPeriod is [start key, end key], both with a metadataFormats entry")
        fields["metadataPeriod"] = list(period)
    return fields


def validated(body) -> dict:
    """A resource definition as the registry stores it; :class:`ResourceProblem` if it is not one."""
    if not isinstance(body, dict):
        raise ResourceProblem("a resource is a JSON object")
    identifier = body.get("identifier")
    if not isinstance(identifier, str) or not IDENTIFIER.match(identifier):
        raise ResourceProblem("identifier: 3-100 lower-case letters, digits, - and _")
    resource_type = body.get("resourceType", CONSENT)
    if resource_type not in RESOURCE_TYPES:
        raise ResourceProblem(f"resourceType is one of {', '.join(RESOURCE_TYPES)}")
    mode = body.get("accessListMode", "Enabled")
    if mode not in ACCESS_LIST_MODES:
        raise ResourceProblem("accessListMode is Enabled or Disabled")
    authority = body.get("hasCompetentAuthority")
    if not isinstance(authority, dict) or org_number_problem(authority.get("organization")):
        raise ResourceProblem("hasCompetentAuthority.organization is the owner's organisation number")
    one_time = body.get("isOneTimeConsent", False)
    if not isinstance(one_time, bool):
        raise ResourceProblem("isOneTimeConsent is true or false")
    resource = {
        "identifier": identifier,
        "version": str(body.get("version", "1")),
        "title": _texts(body, "title", required=True),
        "description": _texts(body, "description", required=False) or _texts(body, "title", required=True),
        "rightDescription": _texts(body, "rightDescription", required=False),
        "status": body.get("status", "Completed") if isinstance(body.get("status", "Completed"), str) else "Completed",
        "delegable": True,
        "visible": True,
        "hasCompetentAuthority": {
            "name": _texts(authority, "name", required=False) or {"nb": authority["organization"]},
            "organization": authority["organization"],
            "orgcode": str(authority.get("orgcode", "")),
        },
        "accessListMode": mode,
        "selfIdentifiedUserEnabled": False,
        "enterpriseUserEnabled": False,
        "resourceType": resource_type,
        "availableForType": ["PrivatePerson"],
        "isOneTimeConsent": one_time,
        "versionId": 1,
    }
    if resource_type == CONSENT:
        template_id = body.get("consentTemplate", "default")
        if templates.template(template_id) is None:
            raise ResourceProblem(f"consentTemplate is one of {', '.join(templates.TEMPLATES)}")
        metadata = body.get("consentMetadata") or {}
        if not isinstance(metadata, dict) or not all(
            isinstance(key, str)
            and METADATA_KEY.match(key)
            and isinstance(spec, dict)
            and isinstance(spec.get("optional", False), bool)
            for key, spec in metadata.items()
        ):
            raise ResourceProblem(
                "consentMetadata maps lower-case keys (Altinn compares the request's keys in lower case) "
                'to {"optional": false}'
            )
        resource.update(
            {
                "consentTemplate": template_id,
                "consentText": _texts(body, "consentText", required=True),
                "consentMetadata": {key: {"optional": spec.get("optional", False)} for key, spec in metadata.items()},
            }
        )
        sandbox = _sandbox_fields(body.get("sandbox"), resource["consentMetadata"])
        if sandbox:
            resource["sandbox"] = sandbox
    return {key: value for key, value in resource.items() if value is not None}


class Resources:
    def __init__(self, store: Store, clock: Clock):
        self.store, self.clock = store, clock

    def get(self, identifier: str) -> dict | None:
        row = self.store.query_one("SELECT data FROM resources WHERE identifier = ?", (identifier,))
        return json.loads(row["data"]) if row else None

    def all(self) -> list[dict]:
        return [json.loads(row["data"]) for row in self.store.query("SELECT data FROM resources ORDER BY id")]

    def put(self, resource: dict) -> dict:
        """Store a :func:`validated` resource (replacing one with the same identifier)."""
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO resources(identifier, created, data) VALUES (?,?,?) "
                "ON CONFLICT(identifier) DO UPDATE SET data = excluded.data",
                (resource["identifier"], isoformat(self.clock.now()), json.dumps(resource, ensure_ascii=False)),
            )
        return resource

    def delete(self, identifier: str) -> bool:
        with self.store.transaction() as db:
            db.execute("DELETE FROM resource_access WHERE identifier = ?", (identifier,))
            return db.execute("DELETE FROM resources WHERE identifier = ?", (identifier,)).rowcount > 0

    def seed(self) -> None:
        """The resources every sandbox has (kept as they are when already there)."""
        for resource in SEEDED:
            if self.get(resource["identifier"]) is None:
                self.put(validated(resource))

    # -- access lists ----------------------------------------------------------------------------------
    def access_list(self, identifier: str) -> list[str]:
        rows = self.store.query("SELECT org FROM resource_access WHERE identifier = ? ORDER BY org", (identifier,))
        return [row["org"] for row in rows]

    def allow(self, identifier: str, org: str) -> bool:
        """Put ``org`` on the list; False when it was there already."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO resource_access(identifier, org, created) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                (identifier, org, isoformat(self.clock.now())),
            )
            return cursor.rowcount > 0

    def deny(self, identifier: str, org: str) -> bool:
        """Take ``org`` off the list; False when it was not on it."""
        with self.store.transaction() as db:
            return (
                db.execute("DELETE FROM resource_access WHERE identifier = ? AND org = ?", (identifier, org)).rowcount
                > 0
            )

    def may_request(self, identifier: str, org: str) -> bool:
        """Altinn's PDP answer for action ``requestconsent``: the resource exists and ``org`` is allowed."""
        resource = self.get(identifier)
        if resource is None:
            return False
        if resource.get("accessListMode") != "Enabled":
            return True
        row = self.store.query_one("SELECT 1 FROM resource_access WHERE identifier = ? AND org = ?", (identifier, org))
        return row is not None
