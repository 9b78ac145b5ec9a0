"""Whether the consent a grant asks for may go into the access token, and what it says there.

The token endpoint calls :meth:`ConsentCheck.admit` once the grant itself is valid. The consent
must have been given to the consumer: the client's organisation, or with ``consumer_org`` the
customer a supplier acts for (Digdir, "Samtykketoken i Maskinporten": "Ved bruk av delegerte
scopes i maskinporten, må samtykket være gitt til den som har delegert scopet"; and the consumer
"må matche verdien i ``to`` for å få et samtykketoken"). Altinn is asked with that organisation as
``to``; an answer for a consent given to another organisation (Altinn also answers when ``to`` is
the consent's ``handledBy``) is refused too.

Refusals (the real Maskinporten's answer to a failed consent lookup is not published; these are
the sandbox's choice, on the error page ``/errors/MP-303``):

* Altinn names a problem: HTTP 400, ``error`` ``invalid_altinn_customer_configuration``,
  ``error_uri`` MP-303, the description naming Altinn's code and title. That is the real
  Maskinporten's answer when Altinn refuses the other authorization details type it looks up,
  a system user (Altinn's "Troubleshooting: invalid_altinn_customer_configuration (MP-303)",
  https://docs.altinn.studio/authorization/guides/system-vendor/system-user/troubleshooting/errors/mp-303-error/).
* Altinn cannot be asked (unreachable, refuses Maskinporten's own token, fails, answers
  something that is not a consent): HTTP 503 ``temporarily_unavailable`` without ``error_uri``,
  as Maskinporten's other server-side failures; the client may try again later.

The token event notes ``consents_asked`` (every consent entry the grant named, ``id`` and ``from``
as given, also when the grant is refused for naming more than one), ``consent_id``,
``consent_from``, ``consent_to``, ``subject`` (the person who
consented), ``consent_lookup`` (``accepted`` / ``refused`` / ``failed``), Altinn's
``consent_lookup_status``, ``consent_lookup_token`` (the fingerprint of Maskinporten's own token)
and on refusal ``consent_problem`` (Altinn's code, e.g. ``AM-00011``, ``STD-00001`` for several,
or the sandbox's ``to_not_consumer``, ``altinn_unavailable``, ``altinn_refused_maskinporten``,
``altinn_answer_invalid``) with ``consent_problems`` (every code Altinn named).
"""

from __future__ import annotations

from dsop_sandbox.mocks.common.events import annotate, token_fingerprint

from . import errors as mp
from .access_token import org_party
from .altinn_lookup import ConsentAnswer, ConsentLookup, LookupFailed, LookupRefused
from .consent import CONSENT_TYPE
from .grant import Grant

TO_NOT_CONSUMER = "to_not_consumer"


class ConsentCheck:
    def __init__(self, lookup: ConsentLookup, errors: mp.MaskinportenErrors):
        self.lookup = lookup
        self.errors = errors

    def admit(self, grant: Grant, trace_id: str) -> list[dict]:
        """The token's ``authorization_details`` for the grant's consent, or the refusal raised."""
        request = grant.consent
        to_org = grant.consumer_org
        annotate(
            subject=request.person,
            consent_id=request.id,
            consent_from=request.from_urn,
            consent_to=to_org,
        )
        try:
            answer, token = self.lookup.look_up(request, to_org, trace_id)
        except LookupRefused as refused:
            annotate(
                consent_lookup="refused",
                consent_lookup_status=refused.status,
                consent_problem=refused.problem.code,
                consent_problems=refused.codes,
                consent_lookup_token=_fingerprint(refused.token),
            )
            raise self._refusal(f"Altinn refused consent {request.id}: {refused.describe()}", trace_id) from refused
        except LookupFailed as failed:
            annotate(
                consent_lookup="failed",
                consent_lookup_status=failed.status,
                consent_problem=failed.reason,
                consent_problems=[failed.reason],
                consent_lookup_token=_fingerprint(failed.token),
            )
            raise mp.ERRORS.error(
                503,
                "temporarily_unavailable",
                f"The consent could not be looked up at Altinn: {failed}",
                trace_id,
            ) from failed
        annotate(consent_lookup_status=200, consent_lookup_token=token_fingerprint(token))
        if answer.to_org != to_org:
            annotate(consent_lookup="refused", consent_problem=TO_NOT_CONSUMER, consent_problems=[TO_NOT_CONSUMER])
            raise self._refusal(
                f"Consent {request.id} was given to {answer.to_org}, not to the consumer {to_org}", trace_id
            )
        annotate(
            consent_lookup="accepted",
            consent_valid_to=answer.valid_to,
            consent_resources=[r["value"] for right in answer.rights for r in right["resource"]],
        )
        return [token_entry(answer)]

    def _refusal(self, detail: str, trace_id: str):
        return self.errors("MP-303", trace_id, detail, error=mp.ALTINN_REFUSED_ERROR)


def _fingerprint(token: str | None) -> str | None:
    return token_fingerprint(token) if token else None


def token_entry(answer: ConsentAnswer) -> dict:
    """The consent as the access token carries it (``to`` in ISO 6523, as ``consumer``)."""
    return {
        "type": CONSENT_TYPE,
        "id": answer.id,
        "from": answer.from_urn,
        "to": org_party(answer.to_org),
        "consented": answer.consented,
        "validTo": answer.valid_to,
        "consentRights": answer.rights,
    }
