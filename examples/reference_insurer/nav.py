"""NAV's DSOP APIs: uføretrygd (``hentUforeopplysninger``) and AAP (``finnVedtakListe``,
``finnMeldekortListe``). Each needs a Maskinporten token with the API's scope, the person in
``fnr``, the consent token in ``NAV-Samtykke-Token``; ``Nav-Call-Id`` ties the call to our logs.
Refusals come as ``{"melding", "kode"}``."""

from __future__ import annotations

from dataclasses import dataclass

from .transport import Transport, Unreachable

UFORE_SCOPE = "nav:helse/v1/uforeopplysninger"
AAP_SCOPE = "nav:arbeid/v1/aap"
NO_CONSENT = "SAMTYKKE_IKKE_GITT"
NO_MASKINPORTEN_ACCESS = "IKKE_TILGANG_MASKINPORTEN"


@dataclass(frozen=True)
class NavOperation:
    key: str  # where the answer goes in the fetched data
    name: str  # NAV's operation name
    path: str
    scope: str


def operations(ufore_path: str, aap_vedtak_path: str, aap_meldekort_path: str) -> tuple[NavOperation, ...]:
    return (
        NavOperation("uforeopplysninger", "hentUforeopplysninger", ufore_path, UFORE_SCOPE),
        NavOperation("vedtak", "finnVedtakListe", aap_vedtak_path, AAP_SCOPE),
        NavOperation("meldekort", "finnMeldekortListe", aap_meldekort_path, AAP_SCOPE),
    )


class NavUnavailable(Exception):
    """NAV did not answer at all (connection refused or dropped, timeout)."""


@dataclass
class NavAnswer:
    status: int
    body: object
    call_id: str

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.body is not None

    @property
    def kode(self) -> str | None:
        return self.body.get("kode") if isinstance(self.body, dict) else None

    @property
    def melding(self) -> str:
        if isinstance(self.body, dict) and self.body.get("melding"):
            return str(self.body["melding"])
        return ""

    @property
    def down(self) -> bool:
        """NAV is failing (worth trying again later), as opposed to refusing this request."""
        return self.status >= 500 or self.status == 429 or (self.status == 200 and self.body is None)

    def describe(self) -> str:
        return (
            f"NAV answered {self.status}"
            + (f" {self.kode}" if self.kode else "")
            + (f": {self.melding}" if self.melding else "")
        )


class NavClient:
    def __init__(self, *, base_url: str, transport: Transport):
        self.base_url = base_url.rstrip("/")
        self.transport = transport

    def call(self, operation: NavOperation, headers: dict, *, timeout: float | None = None) -> NavAnswer:
        try:
            answer = self.transport.request("GET", self.base_url + operation.path, headers=headers, timeout=timeout)
        except Unreachable as exc:
            raise NavUnavailable(f"{operation.name}: {exc}") from exc
        try:
            body = answer.json()
        except ValueError:
            body = None
        return NavAnswer(answer.status_code, body, headers.get("Nav-Call-Id", ""))
