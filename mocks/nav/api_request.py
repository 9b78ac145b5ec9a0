"""A DSOP API call as NAV reads it: parsed from HTTP once, in the view, into a plain value that
the checks (:mod:`.checks`, :mod:`.consent`) and the disclosure log take instead of the request.

Only what matters is kept: the ``Authorization`` header, the person headers that were sent
(``fnr``, ``NAV-PersonIdent``), the Altinn 2 consent header ``NAV-Samtykke-Token``, the
``fomDato``/``tomDato`` query values as sent, and method, path and query for the disclosure record.
An empty header or query value counts as not sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

#: The headers that name the person asked about: the uføre API reads ``fnr``, aap-api ``NAV-PersonIdent``.
PERSON_HEADERS = ("fnr", "NAV-PersonIdent")
#: The Altinn 2 consent token (the uføre API: "kun for Altinn 2").
CONSENT_HEADER = "NAV-Samtykke-Token"


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    query: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))  # first value per name
    authorization: str | None = None
    persons: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))  # person header -> value
    consent_token: str | None = None  # NAV-Samtykke-Token as sent
    fom: str | None = None  # fomDato as sent
    tom: str | None = None  # tomDato as sent

    def disclosure_record(self) -> dict:
        """``dataForespoersel`` of the sporingslogg entry: the call that was answered."""
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "headers": dict(self.persons),
        }


def parse(request) -> ApiRequest:
    """The value of a Flask/werkzeug ``request`` (called in the view, nowhere else)."""

    def header(name: str) -> str | None:
        return request.headers.get(name) or None

    return ApiRequest(
        method=request.method,
        path=request.path,
        query=MappingProxyType(request.args.to_dict()),
        authorization=header("Authorization"),
        persons=MappingProxyType({name: value for name in PERSON_HEADERS if (value := header(name))}),
        consent_token=header(CONSENT_HEADER),
        fom=request.args.get("fomDato") or None,
        tom=request.args.get("tomDato") or None,
    )
