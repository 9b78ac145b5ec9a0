"""``POST /accessmanagement/api/v1/maskinporten/consent/lookup``: Maskinporten asks whether a
consent may go into an access token (Access Management's ``Api.Maskinporten`` ConsentController and
``ConsentService.GetConsent``, Altinn/altinn-authorization-tmp).

Only Maskinporten's own token: scope ``altinn:maskinporten/consent.read`` (the real policy) and
``consumer`` Digdir, 991825827 (the sandbox's rule: only Digdir runs Maskinporten; SBX-00005).
Body ``{"id": "<uuid>", "from": "<party URN>", "to": "<organisation URN>"}`` where ``to`` is the
organisation asking Maskinporten. Answer 200 ``ConsentInfoMaskinportenDto``::

    {"id", "from", "to", "handledBy", "consented", "validTo", "consentRights"}

or the problems the real service finds, all of them: unknown id AM-00001 (404, alone); ``to``
neither the consent's ``to`` nor its ``handledBy`` AM-00001; another ``from`` AM-00012; ``validTo``
passed on the calendar AM-00013; status Created AM-00014, Revoked AM-00011, any other not
Accepted AM-00014. One problem is answered as itself (404 or 400), several as ``STD-00001``
with status 500, as the real library answers them.
"""

from __future__ import annotations

from flask import Blueprint

from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import annotate

from ..runtime import DIGDIR_ORG, altinn
from . import auth, binding, dto, urns
from . import problems as P
from .body import json_body, require_json
from .consents import ACCEPTED, CREATED, REVOKED, is_expired

LOOKUP_PATH = "/accessmanagement/api/v1/maskinporten/consent/lookup"


def lookup_problems(record: dict, sender: urns.PartyUrn, asking: urns.PartyUrn, calendar_now) -> list[P.Problem]:
    """ConsentService.ValidateGetConsentRequest, in its order."""
    found: list[P.Problem] = []
    if str(asking) not in (record["to"], record.get("handled_by")):
        found.append(P.Problem(P.NOT_FOUND))
    if str(sender) != record["from"]:
        found.append(P.Problem(P.PARTY_MISMATCH))
    if is_expired(record, calendar_now):
        found.append(P.Problem(P.EXPIRED))
    if record["status"] == CREATED:
        found.append(P.Problem(P.NOT_ACCEPTED))
    elif record["status"] == REVOKED:
        found.append(P.Problem(P.REVOKED))
    elif record["status"] != ACCEPTED:
        found.append(P.Problem(P.NOT_ACCEPTED))
    return found


def lookup_blueprint() -> Blueprint:
    bp = Blueprint("altinn3_lookup", __name__)

    @bp.post(LOOKUP_PATH)
    @bp.post(LOOKUP_PATH + "/")  # ASP.NET's routing takes both; Altinn's own tests call with the slash
    def maskinporten_consent_lookup():
        service = altinn()
        require_json()
        caller = auth.authenticate(service, (auth.LOOKUP_SCOPE,))
        if caller.org != DIGDIR_ORG:
            raise P.fail(P.Problem(P.SBX_NOT_MASKINPORTEN, f"{caller.org} is not Digdir ({DIGDIR_ORG})"))
        try:
            bound = binding.bind(binding.CONSENT_LOOKUP, json_body())
        except P.ProblemError as exc:
            annotate(consent_problem=exc.problem.codes()[0])
            raise
        consent_id = bound.get("id", "00000000-0000-0000-0000-000000000000")
        sender, asking = bound["from"], bound["to"]
        annotate(consent_id=consent_id, asking_org=asking.value if asking.kind == urns.ORGANIZATION else str(asking))
        if sender.kind == urns.PERSON:
            annotate(subject=sender.value)
        unusable = [
            (path, party)
            for path, party in (("/from", sender), ("/to", asking))
            if party.kind not in (urns.PERSON, urns.ORGANIZATION)
        ]
        if unusable:
            errors = [
                P.ValidationError(P.SBX_UNSUPPORTED_PARTY, [path], f"{party} cannot name a consent party")
                for path, party in unusable
            ]
            annotate(consent_problem=P.SBX_UNSUPPORTED_PARTY.code)
            raise P.fail(P.validation_problem(errors))
        record = service.consents3.get(consent_id)
        problem = (
            P.Problem(P.NOT_FOUND)
            if record is None
            else P.one_or_many(lookup_problems(record, sender, asking, service.clock.calendar()))
        )
        if problem is not None:
            annotate(consent_problem=problem.code, consent_problems=problem.codes())
            raise P.fail(problem)
        annotate(
            status=record["status"], resources=[a["value"] for r in record["consent_rights"] for a in r["resource"]]
        )
        return json_response(dto.lookup(record))

    return bp
