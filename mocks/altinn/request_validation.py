"""Reading and checking a consent request, from the REST body or from the legacy link.

Both forms give the same normalized request (what :mod:`consents` stores), or every problem at
once as ``(ErrorCode, ErrorMessage)`` pairs, as Altinn answers them. The rules (Altinn, «Be om
samtykke», https://altinn.github.io/docs/utviklingsguider/samtykke/datakonsument/be-om-samtykke/, and
«Opprett tjeneste», https://altinn.github.io/docs/utviklingsguider/samtykke/datakilde/opprett-tjeneste/):

* ``CoveredBy`` a valid organisation number of a registered consent consumer; ``OfferedBy`` a
  valid synthetic fødselsnummer of a person in the register whose last name is ``OfferedByName``
  (40332); the two must differ.
* ``ValidTo`` in the future (sandbox calendar) and no later than the longest consent every asked
  service allows (three years for NAV's 5252).
* ``RedirectUrl`` absolute, its host on the consumer's allowed domains (``*.domain`` wildcards).
* ``RequestResources`` known service codes and editions of one consent template, every metadata
  key of the template present and non-empty, no unknown keys, values in the template's format.
* ``RequestMessage`` only languages Altinn knows, and only where the template allows one.

Field names are read case-insensitively, so PascalCase (the docs) and camelCase (the Help page)
bodies both work, as with Altinn's ASP.NET model binding.
"""

from __future__ import annotations

from datetime import datetime

from dsop_sandbox.mocks.common.browser_urls import browser_split
from dsop_sandbox.mocks.common.clock import Duration, isoformat
from dsop_sandbox.mocks.common.identifiers import fnr_problem, org_number_problem

from . import errors as E
from .norwegian_time import parse_local
from .runtime import Altinn
from .services import find

MESSAGE_LANGUAGES = ("no-nb", "no-nn", "en")
PORTAL_VIEW_MODES = ("Hide", "Show")
MAX_MESSAGE_LENGTH = 1000
MAX_TEXT = 500


class RequestProblems(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def _folded(body: dict) -> dict:
    return {str(key).lower(): value for key, value in body.items()}


def last_name_matches(person: dict, given) -> bool:
    """Altinn compares ``OfferedByName`` with the person's last name (case and spacing aside);
    for a compound name ("von der Lippe") the last word alone also matches."""
    if not isinstance(given, str) or not given.strip():
        return False
    wanted = " ".join(given.split()).casefold()
    last = " ".join(person.get("last_name", "").split()).casefold()
    return bool(last) and (wanted == last or wanted == last.split()[-1])


def unknown_party_message(identifier, name) -> str:
    return (
        f"{identifier} is either not a valid organization number or social security number, or the "
        f"provided name; {name} does not match"
    )


class _Checker:
    def __init__(self, service: Altinn):
        self.service = service
        self.problems: list[tuple[str, str]] = []

    def problem(self, code: str, message: str) -> None:
        self.problems.append((code, message))

    def text(self, fields: dict, name: str, label: str, *, required: bool = True) -> str | None:
        value = fields.get(name.lower())
        if value is None or value == "":
            if required:
                self.problem(E.MALFORMED, f"{label} is required")
            return None
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            self.problem(E.MALFORMED, f"{label} must be a string of at most {MAX_TEXT} characters")
            return None
        return value.strip()

    # -- parties -----------------------------------------------------------------------------------
    def covered_by(self, org: str | None, label: str = "CoveredBy", code: str = E.COVERED_BY) -> dict | None:
        if org is None:
            return None
        if org_number_problem(org):
            self.problem(E.UNKNOWN_PARTY, unknown_party_message(org, "(no name)"))
            return None
        consumer = self.service.consumer(org)
        if consumer is None:
            self.problem(code, f"{label} {org} is not registered as a consumer of consents in this Altinn")
        return consumer

    def person(self, pid: str | None, name, label: str) -> None:
        if pid is None:
            return
        person = None if fnr_problem(pid) else self.service.person(pid)
        if person is None or not last_name_matches(person, name):
            self.problem(E.UNKNOWN_PARTY, unknown_party_message(pid, name if isinstance(name, str) else "(no name)"))

    # -- validity ----------------------------------------------------------------------------------
    def valid_to(self, text: str | None, resources: list[dict]) -> str | None:
        if text is None:
            self.problem(E.VALID_TO, "ValidTo is required")
            return None
        try:
            moment = parse_local(text)
        except (ValueError, OverflowError):
            self.problem(E.VALID_TO, f"ValidTo {text!r} is not an ISO 8601 time")
            return None
        now = self.service.clock.calendar()
        if moment <= now:
            self.problem(E.VALID_TO, f"ValidTo {text} is not in the future")
            return None
        for resource in resources:
            service = find(resource["code"], resource["edition"])
            limit = Duration.parse(service.max_validity).added_to(now)
            if moment > limit:
                self.problem(
                    E.VALID_TO_MAX,
                    f"ValidTo {text} is later than service {service.code} allows "
                    f"({service.max_validity} from now, {isoformat(limit)})",
                )
                return None
        return isoformat(moment) if moment.microsecond == 0 else moment.isoformat().replace("+00:00", "Z")

    def redirect_url(self, url: str | None, consumers: list[dict]) -> str | None:
        if url is None:
            self.problem(E.REDIRECT_URL, "RedirectUrl is required")
            return None
        try:
            parts = browser_split(url)  # the host the citizen's browser will go to, not another reading
        except ValueError:
            parts = None
        if parts is None or not parts.scheme or not (parts.netloc or parts.path) or parts.fragment:
            self.problem(E.REDIRECT_URL, f"RedirectUrl {url!r} is not an absolute URL without fragment")
            return None
        if not consumers:
            return url  # the consumer is unknown, which is reported already
        host = (parts.hostname or "").lower()
        for consumer in consumers:
            for domain in consumer.get("redirect_domains", []):
                if _domain_matches(domain, parts.scheme.lower(), host):
                    return url
        self.problem(
            E.REDIRECT_URL,
            f"RedirectUrl {url} is not on the allowed domains of the consumer "
            f"({', '.join(consumers[0].get('redirect_domains', [])) or 'none registered'})",
        )
        return None

    # -- resources ---------------------------------------------------------------------------------
    def resource(self, code, edition, metadata, where: str) -> dict | None:
        service = find(code, edition)
        if service is None:
            self.problem(E.RESOURCES, f"{where}: there is no service {code} edition {edition}")
            return None
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            self.problem(E.MALFORMED, f"{where}: Metadata must be an object of strings")
            return None
        clean: dict[str, str] = {}
        for key, value in metadata.items():
            declared = service.field(key)
            if declared is None:
                self.problem(E.METADATA_UNKNOWN, f"{where}: service {service.code} has no metadata {key!r}")
                continue
            if value.strip():
                clean[declared.name] = value.strip()
        parsed = {}
        for declared in service.metadata:
            if declared.name not in clean:
                if not declared.optional:
                    self.problem(
                        E.METADATA_MISSING, f"{where}: metadata {declared.name} is required and must not be empty"
                    )
                continue
            try:
                parsed[declared.name] = declared.parse(clean[declared.name])
            except ValueError as exc:
                self.problem(
                    E.METADATA_FORMAT,
                    f"{where}: metadata {declared.name}={clean[declared.name]!r} "
                    f"is not valid ({exc}; format {declared.pattern})",
                )
        if service.period and all(key in parsed for key in service.period):
            start, end = (parsed[key] for key in service.period)
            if start > end:
                self.problem(E.METADATA_FORMAT, f"{where}: {service.period[0]} is after {service.period[1]}")
        return {"code": service.code, "edition": int(edition), "metadata": clean}

    def templates(self, resources: list[dict]) -> None:
        templates = {find(r["code"], r["edition"]).template for r in resources}
        if len(templates) > 1:
            self.problem(
                E.MIXED_TEMPLATES, "services with different consent templates cannot be asked for in one request"
            )

    def request_message(self, value, resources: list[dict]):
        if value in (None, {}, ""):
            return None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            self.problem(E.REQUEST_MESSAGE, 'RequestMessage must be an object such as {"no-nb": "..."}')
            return None
        folded = {str(k).lower(): v for k, v in value.items()}
        unknown = [k for k in folded if k not in MESSAGE_LANGUAGES]
        if unknown:
            self.problem(
                E.REQUEST_MESSAGE,
                f"RequestMessage languages are {', '.join(MESSAGE_LANGUAGES)}, not {', '.join(unknown)}",
            )
            return None
        if any(len(v) > MAX_MESSAGE_LENGTH for v in folded.values()):
            self.problem(E.REQUEST_MESSAGE, f"RequestMessage texts are at most {MAX_MESSAGE_LENGTH} characters")
            return None
        for resource in resources:
            if not find(resource["code"], resource["edition"]).allows_request_message:
                self.problem(E.REQUEST_MESSAGE, f"service {resource['code']} does not allow a RequestMessage")
                return None
        return folded

    def finish(self) -> None:
        if self.problems:
            raise RequestProblems(self.problems)


def _domain_matches(domain: str, scheme: str, host: str) -> bool:
    domain = domain.strip().lower()
    if "://" in domain:
        allowed_scheme, _, domain = domain.partition("://")
        if allowed_scheme != scheme:
            return False
    elif scheme not in ("http", "https"):
        return False
    domain = domain.split("/")[0].split(":")[0]
    if domain.startswith("*."):
        return host.endswith(domain[1:]) and host != domain[2:]
    return host == domain


def parse_request(body: dict, service: Altinn) -> dict:
    """The normalized request of a REST body (``POST /api/consentRequests``)."""
    check = _Checker(service)
    fields = _folded(body)
    covered_by = check.text(fields, "CoveredBy", "CoveredBy")
    offered_by = check.text(fields, "OfferedBy", "OfferedBy")
    offered_by_name = check.text(fields, "OfferedByName", "OfferedByName")
    handled_by = check.text(fields, "HandledBy", "HandledBy", required=False)
    delegator = check.text(fields, "RequiredDelegator", "RequiredDelegator", required=False)
    delegator_name = check.text(
        fields, "RequiredDelegatorName", "RequiredDelegatorName", required=delegator is not None
    )
    redirect = check.text(fields, "RedirectUrl", "RedirectUrl", required=False)
    valid_to_text = fields.get("validto")
    if valid_to_text is not None and not isinstance(valid_to_text, str):
        check.problem(E.VALID_TO, "ValidTo must be an ISO 8601 string")
        valid_to_text = None

    consumer = check.covered_by(covered_by)
    handler = check.covered_by(handled_by, "HandledBy", E.HANDLED_BY) if handled_by else None
    if covered_by and offered_by and covered_by == offered_by:
        check.problem(E.SAME_PARTY, "CoveredBy and OfferedBy must be different parties")
    check.person(offered_by, offered_by_name, "OfferedBy")
    if delegator:
        check.person(delegator, delegator_name, "RequiredDelegator")

    resources = []
    raw_resources = fields.get("requestresources")
    if not isinstance(raw_resources, list) or not raw_resources:
        check.problem(E.RESOURCES, "RequestResources must list at least one service")
    else:
        for index, item in enumerate(raw_resources):
            where = f"RequestResources[{index}]"
            if not isinstance(item, dict):
                check.problem(E.MALFORMED, f"{where} must be an object")
                continue
            item = _folded(item)
            code, edition = item.get("servicecode"), item.get("serviceeditioncode")
            if (
                isinstance(code, bool)
                or not isinstance(code, (str, int))
                or isinstance(edition, bool)
                or not isinstance(edition, (str, int))
            ):
                check.problem(E.RESOURCES, f"{where} needs ServiceCode and ServiceEditionCode")
                continue
            resource = check.resource(code, edition, item.get("metadata"), where)
            if resource:
                resources.append(resource)
        if resources:
            check.templates(resources)
    keys = [f"{r['code']}_{r['edition']}" for r in resources]
    if len(set(keys)) != len(keys):
        check.problem(E.RESOURCES, "a service is asked for twice")

    valid_to = check.valid_to(valid_to_text, resources)
    redirect_url = (
        check.redirect_url(redirect, [c for c in (consumer, handler) if c])
        if redirect is not None
        else check.redirect_url(None, [])
    )
    message = check.request_message(fields.get("requestmessage"), resources)
    mode = fields.get("portalviewmode", "Hide") or "Hide"
    matched = [m for m in PORTAL_VIEW_MODES if isinstance(mode, str) and m.lower() == mode.lower()]
    if not matched:
        check.problem(E.PORTAL_VIEW_MODE, "PortalViewMode is Hide or Show")
    check.finish()
    return {
        "covered_by": covered_by,
        "covered_by_name": consumer["name"],
        "offered_by": offered_by,
        "offered_by_name": offered_by_name,
        "handled_by": handled_by,
        "required_delegator": delegator,
        "required_delegator_name": delegator_name,
        "valid_to": valid_to,
        "redirect_url": redirect_url,
        "resources": resources,
        "request_message": message,
        "portal_view_mode": matched[0],
        "one_time": any(find(r["code"], r["edition"]).one_time for r in resources),
        "origin": "api",
    }


LINK_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_link(args, service: Altinn) -> dict:
    """The normalized request of a legacy consent link (``/ui/AccessConsent/?Resources=…``)."""
    check = _Checker(service)
    fields = {key.lower(): value for key, value in args.items()}
    resources_text = fields.get("resources", "")
    covered_by = fields.get("coveredby") or None
    offered_by = fields.get("offeredby") or None
    redirect = fields.get("redirecturl") or None
    valid_to_text = fields.get("validtodate") or None
    if not fields.get("delegationcontext"):
        check.problem(E.REQUEST_MESSAGE, "DelegationContext is required")
    if fields.get("responsetype") != "code":
        check.problem(E.MALFORMED, "ResponseType must be code")
    if covered_by is None:
        check.problem(E.MALFORMED, "CoveredBy is required")
    consumer = check.covered_by(covered_by)
    if offered_by is not None and fnr_problem(offered_by):
        check.problem(E.UNKNOWN_PARTY, unknown_party_message(offered_by, "(no name)"))
    resources = []
    if not resources_text:
        check.problem(E.RESOURCES, "Resources is required (serviceCode_editionCode, joined with '.')")
    for key in filter(None, resources_text.split(".")):
        code, _, edition = key.partition("_")
        prefix = f"{code}_{edition}_".lower()
        metadata = {name[len(prefix) :]: value for name, value in args.items() if name.lower().startswith(prefix)}
        resource = check.resource(code, edition, metadata, f"Resources {key}")
        if resource:
            resources.append(resource)
    if resources:
        check.templates(resources)
    valid_to = None
    if valid_to_text is None:
        check.problem(E.VALID_TO, "ValidToDate is required (YYYY-MM-DD hh:mm:ss)")
    else:
        try:
            datetime.strptime(valid_to_text, LINK_DATE_FORMAT)
        except ValueError:
            check.problem(E.VALID_TO, f"ValidToDate {valid_to_text!r} is not YYYY-MM-DD hh:mm:ss")
        else:
            valid_to = check.valid_to(valid_to_text, resources)
    redirect_url = check.redirect_url(redirect, [consumer] if consumer else [])
    check.finish()
    return {
        "covered_by": covered_by,
        "covered_by_name": consumer["name"],
        "offered_by": offered_by,
        "offered_by_name": None,
        "handled_by": None,
        "required_delegator": None,
        "required_delegator_name": None,
        "valid_to": valid_to,
        "redirect_url": redirect_url,
        "resources": resources,
        "request_message": {"no-nb": fields["delegationcontext"]},
        "portal_view_mode": "Hide",
        "one_time": any(find(r["code"], r["edition"]).one_time for r in resources),
        "origin": "link",
        "language": fields.get("languagecode"),
    }
