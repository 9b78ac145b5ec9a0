"""The OpenAPI document of the NAV fake's DSOP APIs (``/openapi.json``): the real paths (the AAP
paths as configured), headers, query parameters, response shapes and error bodies, and both ways
a consent reaches NAV: Altinn 3 inside the Maskinporten token, Altinn 2 in ``NAV-Samtykke-Token``
(optional, "kun for Altinn 2", as the uføre API documents it since January 2026)."""

from __future__ import annotations

from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.people import nav_codes

from .altinn3_consent import CLAIM, CONSENT_TYPE, RESOURCE
from .api_request import CONSENT_HEADER
from .checks import AAP, UFORE

DATE = {"type": "string", "format": "date"}
CODE = {
    "type": "object",
    "required": ["kode", "termnavn"],
    "additionalProperties": False,
    "properties": {"kode": {"type": "string"}, "termnavn": {"type": "string"}},
}
PERIOD = {
    "type": "object",
    "required": ["fraDato", "tilDato"],
    "additionalProperties": False,
    "properties": {"fraDato": DATE, "tilDato": DATE},
}
ERROR = {
    "type": "object",
    "required": ["melding", "kode"],
    "additionalProperties": False,
    "properties": {"melding": {"type": "string"}, "kode": {"type": "string"}},
}
PID = {"type": "string", "pattern": "^[0-9]{11}$"}
CONSENT_TEXT = (
    "Samtykket kommer på en av to måter. Altinn 3: samtykket ligger i Maskinporten-tokenet, i "
    f"`{CLAIM}` (én oppføring av typen `{CONSENT_TYPE}` med ressursen `{RESOURCE}`, `from` = personen, "
    "`to` = konsumenten, `validTo`, og samtykkeperioden i metadata `fraogmed`/`tilogmed` på formatet "
    f"`dd.MM.yyyy`); `{CONSENT_HEADER}` trengs da ikke, og leses ikke om den sendes. Altinn 2: "
    f"samtykketokenet fra Altinn i `{CONSENT_HEADER}` (tjeneste `5252`, samtykkeperioden i "
    "`fraOgMed`/`tilOgMed`)."
)


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Feil"}}},
    }


def _parameters(person_headers: tuple[str, ...]) -> list[dict]:
    params = [
        {
            "name": name,
            "in": "header",
            "required": name == "fnr" and len(person_headers) == 1,
            "schema": PID,
            "description": "Fødselsnummer (syntetisk i sandboxen)",
        }
        for name in person_headers
    ]
    params += [
        {
            "name": CONSENT_HEADER,
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "Brukes kun for Altinn 2: samtykketokenet fra Altinn (JWT uten anførselstegn). "
            "Med et Altinn 3-samtykke i Maskinporten-tokenet leses den ikke.",
        },
        {
            "name": "fomDato",
            "in": "query",
            "required": False,
            "schema": DATE,
            "description": "Fra og med dato; samtykkeperiodens start om den mangler",
        },
        {
            "name": "tomDato",
            "in": "query",
            "required": False,
            "schema": DATE,
            "description": "Til og med dato; samtykkeperiodens slutt om den mangler",
        },
        {
            "name": "Nav-Call-Id",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "Korrelasjons-id; sendes tilbake i svaret",
        },
    ]
    return params


def _operation(operation_id: str, summary: str, scope: str, schema_ref: str, person_headers: tuple[str, ...]) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "security": [{"maskinporten": [scope]}],
            "parameters": _parameters(person_headers),
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": schema_ref}}}},
                "400": _error("Ugyldig input i forespørselen"),
                "401": _error("Konsumenten mangler gyldig aksesstoken"),
                "403": _error(
                    "Konsumenten har ikke tilgang til vedtaksinformasjon: scope eller NAVs tilgangsliste "
                    "(IKKE_TILGANG), samtykket mangler eller er ugyldig (SAMTYKKE_IKKE_GITT), eller perioden "
                    "det spørres om er utenfor samtykkeperioden (UTENFOR_SAMTYKKEPERIODE)"
                ),
                "503": _error("Utleveringen kunne ikke logges (FEIL_I_SPORINGSLOGG)"),
            },
        }
    }


def openapi_document(settings: Settings) -> dict:
    paths = settings.nav
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "NAV DSOP – Syke- og uføreopplysninger (dsop-sandbox)",
            "version": "1.0.0",
            "description": "Uføretrygd og arbeidsavklaringspenger for finansforetak med kundens samtykke. "
            "Hver utlevering logges i sporingsloggen før data sendes. " + CONSENT_TEXT,
        },
        "servers": [{"url": settings.base_url("nav")}],
        "paths": {
            paths.ufore_path: _operation(
                "hentUforeopplysninger",
                "Uføreopplysninger for en person",
                "nav:helse/v1/uforeopplysninger",
                "#/components/schemas/UforedataProdusentDTO",
                UFORE.person_headers,
            ),
            paths.aap_vedtak_path: _operation(
                "finnVedtakListe",
                "Finn alle AAP-vedtak for en NAV-bruker i spesifisert tidsperiode",
                "nav:arbeid/v1/aap",
                "#/components/schemas/Vedtaksliste",
                AAP.person_headers,
            ),
            paths.aap_meldekort_path: _operation(
                "finnMeldekortListe",
                "Finn alle meldekort tilknyttet AAP-vedtak for en NAV-bruker i spesifisert tidsperiode",
                "nav:arbeid/v1/aap",
                "#/components/schemas/Meldekortliste",
                AAP.person_headers,
            ),
        },
        "components": {
            "securitySchemes": {
                "maskinporten": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Maskinporten-token. Med Altinn 3 bærer det samtykket i "
                    f"`{CLAIM}` (type `{CONSENT_TYPE}`, ressurs `{RESOURCE}`).",
                }
            },
            "schemas": {
                "Feil": ERROR,
                "UforedataProdusentDTO": {
                    "type": "object",
                    "required": ["status", "beregningsperioder"],
                    "additionalProperties": False,
                    "properties": {
                        "status": {"type": "string", "enum": list(nav_codes.UFORE_STATUS)},
                        "forsteVirkningstidspunkt": {**DATE, "nullable": True},
                        "beregningsperioder": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["fom", "uforegrad", "ifu", "klagebehandles"],
                                "additionalProperties": False,
                                "properties": {
                                    "fom": DATE,
                                    "tom": {**DATE, "nullable": True},
                                    "uforetidspunkt": {**DATE, "nullable": True},
                                    "uforegrad": {"type": "integer", "minimum": 0, "maximum": 100, "nullable": True},
                                    "ifu": {"type": "integer", "nullable": True},
                                    "inntektBruktIAvkortingen": {"type": "integer"},
                                    "ferdiglignetInntekt": {"type": "boolean"},
                                    "klagebehandles": {"type": "boolean"},
                                },
                            },
                        },
                    },
                },
                "Vedtaksliste": {
                    "type": "object",
                    "required": ["uttrekksperiode", "vedtaksliste"],
                    "additionalProperties": False,
                    "properties": {
                        "uttrekksperiode": PERIOD,
                        "vedtaksliste": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": [
                                    "vedtakId",
                                    "virkningsperiode",
                                    "vedtakstype",
                                    "vedtaksvariant",
                                    "vedtakstatus",
                                    "rettighetstype",
                                    "utfall",
                                    "aktivitetsfase",
                                ],
                                "properties": {
                                    "vedtakId": {"type": "integer"},
                                    "virkningsperiode": PERIOD,
                                    "vedtakstype": CODE,
                                    "vedtaksvariant": CODE,
                                    "vedtakstatus": CODE,
                                    "rettighetstype": CODE,
                                    "utfall": CODE,
                                    "aktivitetsfase": CODE,
                                },
                            },
                        },
                    },
                },
                "Meldekortliste": {
                    "type": "object",
                    "required": ["uttrekksperiode", "meldekortliste"],
                    "additionalProperties": False,
                    "properties": {
                        "uttrekksperiode": PERIOD,
                        "meldekortliste": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["meldekortId", "periode", "antallTimerArbeidet"],
                                "properties": {
                                    "meldekortId": {"type": "integer"},
                                    "periode": PERIOD,
                                    "antallTimerArbeidet": {"type": "number", "minimum": 0},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
