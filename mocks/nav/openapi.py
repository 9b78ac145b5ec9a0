"""The OpenAPI document of the NAV fake's DSOP APIs (``/openapi.json``): the real paths (the AAP
paths as configured), headers, query parameters, response shapes and error bodies."""

from __future__ import annotations

from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.people import nav_codes

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
            "name": "NAV-Samtykke-Token",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Samtykketoken fra Altinn 2 (JWT uten anførselstegn)",
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
                "403": _error("Konsumenten har ikke tilgang til vedtaksinformasjon"),
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
            "Hver utlevering logges i sporingsloggen før data sendes.",
        },
        "servers": [{"url": settings.base_url("nav")}],
        "paths": {
            paths.ufore_path: _operation(
                "hentUforeopplysninger",
                "Uføreopplysninger for en person",
                "nav:helse/v1/uforeopplysninger",
                "#/components/schemas/UforedataProdusentDTO",
                ("fnr",),
            ),
            paths.aap_vedtak_path: _operation(
                "finnVedtakListe",
                "Finn alle AAP-vedtak for en NAV-bruker i spesifisert tidsperiode",
                "nav:arbeid/v1/aap",
                "#/components/schemas/Vedtaksliste",
                ("fnr", "NAV-PersonIdent"),
            ),
            paths.aap_meldekort_path: _operation(
                "finnMeldekortListe",
                "Finn alle meldekort tilknyttet AAP-vedtak for en NAV-bruker i spesifisert tidsperiode",
                "nav:arbeid/v1/aap",
                "#/components/schemas/Meldekortliste",
                ("fnr", "NAV-PersonIdent"),
            ),
        },
        "components": {
            "securitySchemes": {
                "maskinporten": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Maskinporten-token",
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
