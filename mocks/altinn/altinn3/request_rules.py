"""The rules a consent request meets before Access Management stores it, in the real order.

From Access Management's ``ConsentService.ValidateAndSetInternalIdentifiers`` (Altinn/altinn-authorization-tmp):

1. ``from``, ``to``, ``requiredDelegator`` and ``handledBy`` must be parties Altinn's register
   knows; the first that is not stops everything (AM-00004 a person, AM-00003 an organisation).
2. Then every other problem is collected:
   * ``validTo`` in the past: AM.VLD-00022 (path ``ValidTo``);
   * no ``consentRights``: AM.VLD-00023 (path ``Resource``);
   * for each right: no action: STD.VLD-00000 (``/consentRight/{i}/action``); not exactly one
     resource, or one the registry does not have as ``resourceType: Consent``: AM-00005; a metadata
     key the resource does not declare (compared in lower case): AM-00006; an empty value: AM-00007;
     a declared key missing (compared without case): AM-00008; a resource of another consent
     template than the first: AM-00009;
   * ``redirectUrl`` not an absolute URL whose scheme is http, https or a custom one (letters,
     digits, ``+-.``): AM.VLD-00027 (path ``RedirectUrl``).
   The validation errors become one ``STD-00000`` problem beside the others; one problem is
   answered as itself, several as ``STD-00001`` (HTTP 500, as the real library does).

The sandbox adds what resource owners state but Altinn does not check, as validation errors of
its own (``SBX.VLD-…``, see :mod:`.problems`): ``validTo`` within the resource's longest consent
(NAV: three years), metadata values in the resource's formats (NAV: ``dd.MM.yyyy``) with the
period in order, and no ``requestMessage`` for a template that takes none.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from dsop_sandbox.mocks.common.clock import Duration

from ..resource_registry import metadata_formats, templates
from ..resource_registry.store import CONSENT
from ..runtime import Altinn
from . import parties, urns
from . import problems as P
from .consents import dotnet_iso

CUSTOM_SCHEME = re.compile(r"^[a-z][a-z0-9+\-.]*$")


def is_valid_redirect_url(url: str) -> bool:
    """ConsentService.IsValidUrl: an absolute URI (http and https need a host), any scheme of
    letters, digits and ``+-.`` (``Uri.Scheme`` is lower case, so the scheme's case does not matter)."""
    url = url.strip() if isinstance(url, str) else ""
    scheme, colon, rest = url.partition(":")
    if not colon or not rest or not CUSTOM_SCHEME.match(scheme.lower()):
        return False
    if scheme.lower() in ("http", "https"):
        try:
            parts = urlsplit(url)
            _ = parts.port  # a port that is not a number makes the URI invalid
        except ValueError:
            return False
        return bool(parts.hostname)
    return True


def _party(service: Altinn, party: urns.PartyUrn | None, path: str) -> urns.PartyUrn | None:
    """The known party in identifier form, or the problem that stops the request."""
    if party is None:
        return None
    if party.kind in urns.UNSUPPORTED:
        raise P.fail(
            P.validation_problem(
                [P.ValidationError(P.SBX_UNSUPPORTED_PARTY, [path], f"{party} cannot take part in a consent")]
            )
        )
    found = parties.known(service, party)
    if found is not None:
        return found
    if party.kind == urns.ORGANIZATION:
        raise P.fail(P.Problem(P.UNKNOWN_ORGANIZATION, extensions={"orgnr": str(party)}))
    if party.kind == urns.PERSON:
        raise P.fail(P.Problem(P.UNKNOWN_PERSON, extensions={"fnumber": str(party)}))
    raise P.fail(P.Problem(P.UNKNOWN_ORGANIZATION, extensions={"orgnr": str(party)}))


class Checker:
    def __init__(self, service: Altinn, calendar_now: datetime):
        self.service = service
        self.now = calendar_now
        self.problems: list[P.Problem] = []
        self.errors: list[P.ValidationError] = []

    def valid_to_in_future(self, moment: datetime) -> bool:
        if moment < self.now:
            self.errors.append(P.ValidationError(P.TIME_NOT_IN_FUTURE, ["ValidTo"]))
            return False
        return True

    def valid_to_within(self, moment: datetime, resources: list[dict]) -> None:
        for resource in resources:
            longest = resource.get("sandbox", {}).get("maxConsentValidity")
            if longest and moment > Duration.parse(longest).added_to(self.now):
                self.errors.append(
                    P.ValidationError(
                        P.SBX_VALID_TO_TOO_LATE,
                        ["ValidTo"],
                        f"{resource['identifier']} allows consents of at most {longest} from now",
                    )
                )
                return

    def right(self, index: int, right: dict, template_id: str | None) -> tuple[dict | None, str | None]:
        """Check one right; answers (its registry resource or None, the template so far). The
        right's own validation errors become a ``STD-00000`` problem of their own, after its other
        problems (ConsentService.ValidateConsentRight)."""
        errors: list[P.ValidationError] = []
        if not right["action"]:
            errors.append(P.ValidationError(P.REQUIRED, [f"/consentRight/{index}/action"]))
        attributes = right["resource"]
        resource = None
        if len(attributes) != 1:
            self.problems.append(P.Problem(P.INVALID_RESOURCE))
        else:
            resource = self.service.resources.get(attributes[0]["value"])
            if resource is None or resource.get("resourceType") != CONSENT:
                self.problems.append(P.Problem(P.INVALID_RESOURCE))
            else:
                self.metadata(index, right.get("metadata"), resource, errors)
            if resource is not None:
                if not template_id:
                    template_id = resource.get("consentTemplate") or ""
                elif template_id.lower() != (resource.get("consentTemplate") or "").lower():
                    self.problems.append(P.Problem(P.INVALID_COMBINATION))
        if errors:
            self.problems.append(P.validation_problem(errors))
        usable = resource if resource is not None and resource.get("resourceType") == CONSENT else None
        return usable, template_id

    def metadata(self, index: int, metadata: dict | None, resource: dict, errors: list) -> None:
        declared = resource.get("consentMetadata") or {}
        metadata = metadata or {}
        for key, value in metadata.items():
            if key.lower() not in declared:
                self.problems.append(P.Problem(P.UNKNOWN_METADATA, extensions={"key": key.lower()}))
            if not value:
                self.problems.append(
                    P.Problem(P.MISSING_METADATA_VALUE, extensions={f"ConsentRight index: {index}, key": key.lower()})
                )
        sent = {key.lower(): value for key, value in metadata.items()}
        for key in declared:
            if key not in sent:
                self.problems.append(P.Problem(P.MISSING_METADATA, extensions={"key": key.lower()}))
        self.formats(index, metadata, resource, errors)

    def formats(self, index: int, metadata: dict, resource: dict, errors: list) -> None:
        """The sandbox's check of the owner's formats and period (keys as sent, compared without case)."""
        spec = resource.get("sandbox", {})
        formats = spec.get("metadataFormats", {})
        read: dict = {}
        for key, value in metadata.items():
            fmt = formats.get(key.lower())
            if fmt is None or not value:
                continue
            try:
                read[key.lower()] = metadata_formats.parse(fmt, value)
            except ValueError as exc:
                errors.append(
                    P.ValidationError(
                        P.SBX_METADATA_FORMAT,
                        [f"/consentRights/{index}/metadata/{key}"],
                        f"{key}={value!r}: {exc} ({resource['identifier']} documents {fmt})",
                    )
                )
        period = spec.get("metadataPeriod")
        if period and all(key in read for key in period) and read[period[0]] > read[period[1]]:
            errors.append(
                P.ValidationError(
                    P.SBX_METADATA_PERIOD,
                    [f"/consentRights/{index}/metadata/{period[0]}"],
                    f"{period[0]} is after {period[1]}",
                )
            )

    def request_message(self, message: dict | None, template_id: str | None) -> None:
        template = templates.template(template_id)
        if message and template is not None and not template.get("isMessageSetInRequest", True):
            self.errors.append(
                P.ValidationError(
                    P.SBX_MESSAGE_NOT_ALLOWED, ["RequestMessage"], f"consent template {template_id} takes no message"
                )
            )

    def redirect_url(self, url: str) -> None:
        if not is_valid_redirect_url(url):
            self.errors.append(P.ValidationError(P.INVALID_REDIRECT_URL, ["RedirectUrl"]))

    def finish(self) -> None:
        problems = list(self.problems)
        if self.errors:
            problems.append(P.validation_problem(self.errors))
        problem = P.one_or_many(problems)
        if problem is not None:
            raise P.fail(problem)


def checked_request(service: Altinn, bound: dict, handled_by: str | None) -> dict:
    """The record to store for a bound ``ConsentRequestDto``, or the problem the real service answers."""
    now = service.clock.calendar()
    sender = _party(service, bound["from"], "/from")
    receiver = _party(service, bound["to"], "/to")
    if receiver.kind != urns.ORGANIZATION:  # Altinn writes `to` as an organisation (a person fails there with 500)
        error = P.ValidationError(P.SBX_UNSUPPORTED_PARTY, ["/to"], "a consent is given to an organization")
        raise P.fail(P.validation_problem([error]))
    delegator = _party(service, bound.get("requiredDelegator"), "/requiredDelegator")
    handler = _party(service, urns.PartyUrn(urns.ORGANIZATION, handled_by), "/handledBy") if handled_by else None

    check = Checker(service, now)
    in_future = check.valid_to_in_future(bound["validTo"])
    rights_in = bound["consentRights"]
    resources: list[dict] = []
    template_id: str | None = ""
    if not rights_in:
        check.errors.append(P.ValidationError(P.EMPTY_LIST, ["Resource"]))
    for index, right in enumerate(rights_in):
        resource, template_id = check.right(index, right, template_id)
        if resource is not None:
            resources.append(resource)
    if in_future:
        check.valid_to_within(bound["validTo"], resources)
    check.request_message(bound.get("requestMessage"), template_id)
    check.redirect_url(bound["redirectUrl"])
    check.finish()

    template = templates.template(template_id) or templates.TEMPLATES["default"]
    versions = {resource["identifier"]: str(resource.get("versionId", 1)) for resource in resources}
    return {
        "id": bound["id"],
        "from": str(sender),
        "to": str(receiver),
        "required_delegator": str(delegator) if delegator else None,
        "handled_by": str(handler) if handler else None,
        "valid_to": dotnet_iso(bound["validTo"]),
        "consent_rights": [
            {
                "action": list(right["action"]),
                "resource": [
                    {"type": a["type"], "value": a["value"], "version": versions.get(a["value"])}
                    for a in right["resource"]
                ],
                "metadata": right.get("metadata"),
            }
            for right in rights_in
        ],
        "request_message": bound.get("requestMessage"),
        "redirect_url": bound["redirectUrl"],
        "portal_view_mode": bound.get("portalViewMode") or "Hide",
        "template_id": template["id"],
        "template_version": template["templateVersion"],
        "one_time": any(resource.get("isOneTimeConsent") for resource in resources),
    }
