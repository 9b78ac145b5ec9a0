"""The consent NAV delivers under, whichever Altinn generation gave it.

Two generations reach NAV (docs/nav.md, «The request»; NAV, «Uføreopplysninger»,
https://navikt.github.io/pensjon-ekstern-api/api/uforeopplysninger/uforeopplysninger.html):

* ``altinn2``: a consent token from Altinn in the ``NAV-Samtykke-Token`` header
  (:mod:`.altinn2_consent`);
* ``altinn3``: the consent inside the Maskinporten access token, as ``authorization_details``
  (:mod:`.altinn3_consent`); the header is "kun for Altinn 2" and not read.

Both give a :class:`Consent`: its generation, its id (Altinn 3's consent id or Altinn 2's
authorization code) and its period (``fraOgMed``/``tilOgMed`` in Altinn 2, ``fraogmed``/``tilogmed``
in Altinn 3, ``dd.MM.yyyy``). Every refusal is 403 ``SAMTYKKE_IKKE_GITT`` with a
``consent_problem`` in the event (what the conformance suite reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from dsop_sandbox.mocks.common.errors import ServiceError
from dsop_sandbox.mocks.common.events import annotate

from . import errors as E

ALTINN2 = "altinn2"
ALTINN3 = "altinn3"
GENERATIONS = (ALTINN2, ALTINN3)
#: The format of the consent period's dates in both generations' metadata.
PERIOD_FORMAT = "%d.%m.%Y"
PERIOD_KEYS = ("fraogmed", "tilogmed")


@dataclass(frozen=True)
class Consent:
    generation: str  # ALTINN2 | ALTINN3
    id: str | None  # Altinn 3: the consent id; Altinn 2: the authorization code (None if the token has none)
    start: date
    end: date
    token: str | None = None  # Altinn 2: the consent token (the sporingslogg keeps it); Altinn 3 has none
    details: dict | None = None  # Altinn 3: the token's urn:altinn:consent entry (facts, not a token)

    @property
    def authorization_code(self) -> str | None:
        return self.id if self.generation == ALTINN2 else None

    @property
    def label(self) -> str:
        """How the disclosure log and the innsyn name it: ``Altinn 3-samtykke <id>`` / ``Altinn 2 (<code>)``."""
        if self.generation == ALTINN3:
            return f"Altinn 3-samtykke {self.id}"
        return f"Altinn 2 ({self.id})" if self.id else "Altinn 2"

    @property
    def basis(self) -> str:
        """The sporingslogg's ``behandlingsGrunnlag``."""
        return f"Samtykke: {self.label}"


def refused(problem: str, detail: str) -> ServiceError:
    """403 SAMTYKKE_IKKE_GITT; the event gets ``consent_problem``."""
    annotate(consent_problem=problem)
    return E.no_consent(detail)


def period(metadata: dict[str, str], names: str) -> tuple[date, date]:
    """The consent period from metadata whose keys are already lower case (``fraogmed``,
    ``tilogmed``); ``names`` says how the generation spells them, for the refusal's text."""
    try:
        start = _day(metadata[PERIOD_KEYS[0]])
        end = _day(metadata[PERIOD_KEYS[1]])
    except (KeyError, TypeError, ValueError) as exc:
        raise refused("period", f"Samtykket mangler en gyldig samtykkeperiode ({names}, dd.MM.yyyy).") from exc
    if start > end:
        raise refused("period", "Samtykkeperioden slutter før den begynner.")
    return start, end


@lru_cache(maxsize=4096)
def _day(text: str) -> date:
    """``dd.MM.yyyy`` as a date (strptime is slow, and a consent's two dates come with every call);
    ValueError or TypeError for anything else, as strptime raises them."""
    return datetime.strptime(text, PERIOD_FORMAT).date()
