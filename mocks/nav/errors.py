"""NAV's error shape and codes for the DSOP APIs.

NAV's APIs answer errors as ``{"melding": "...", "kode": "..."}`` (aap-api: ``SAMTYKKE_IKKE_GITT``,
``FEIL_I_SPORINGSLOGG``). The uføre API documents the statuses and their sentences (NAV, «Uføreopplysninger»,
https://navikt.github.io/pensjon-ekstern-api/api/uforeopplysninger/uforeopplysninger.html):
401 "Konsumenten mangler gyldig aksesstoken", 403 "Konsumenten har ikke tilgang til
vedtaksinformasjon", 400 "Ugyldig input i forespørselen". The sandbox starts each ``melding`` with
that sentence and adds what exactly was wrong.
"""

from __future__ import annotations

from dsop_sandbox.mocks.common.errors import ErrorShape, ServiceError
from dsop_sandbox.mocks.common.payload import trace_id


def error_body(status: int, code: str, message: str, trace_id: str) -> dict:
    return {"melding": message, "kode": code.upper()}


ERRORS = ErrorShape(error_body)

NO_TOKEN = "IKKE_TILGANG_MASKINPORTEN"  # 401
NO_ACCESS = "IKKE_TILGANG"  # 403: scope or NAV's access list
NO_CONSENT = "SAMTYKKE_IKKE_GITT"  # 403: the consent token
OUTSIDE_CONSENT = "UTENFOR_SAMTYKKEPERIODE"  # 403: asked period outside the consent period (code inferred)
BAD_INPUT = "UGYLDIG_INPUT"  # 400: person identifier
BAD_PERIOD = "FEIL_I_PERIODE"  # 400: fomDato/tomDato
LOG_FAILED = "FEIL_I_SPORINGSLOGG"  # 503: the disclosure could not be logged

TEXT_401 = "Konsumenten mangler gyldig aksesstoken"
TEXT_403 = "Konsumenten har ikke tilgang til vedtaksinformasjon"
TEXT_400 = "Ugyldig input i forespørselen"
TEXT_CONSENT = "Samtykke ikke gitt."
TEXT_LOG = "Feilet sporing av oppslag, kan derfor ikke returnere data"


def nav_error(status: int, code: str, message: str, headers: dict | None = None) -> ServiceError:
    return ERRORS.error(status, code, message, trace_id(), headers)


def unauthorized(detail: str) -> ServiceError:
    return nav_error(401, NO_TOKEN, f"{TEXT_401}: {detail}", {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def forbidden(detail: str) -> ServiceError:
    return nav_error(403, NO_ACCESS, f"{TEXT_403}: {detail}")


def no_consent(detail: str) -> ServiceError:
    return nav_error(403, NO_CONSENT, f"{TEXT_CONSENT} {detail}")


def outside_consent(detail: str) -> ServiceError:
    return nav_error(403, OUTSIDE_CONSENT, f"{TEXT_403}: {detail}")


def bad_input(detail: str, code: str = BAD_INPUT) -> ServiceError:
    return nav_error(400, code, f"{TEXT_400}: {detail}")
