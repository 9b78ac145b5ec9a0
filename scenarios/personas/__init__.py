"""Named personas: synthetic people with coherent NAV histories (AAP vedtak and meldekort,
uføretrygd), as plain data the NAV fake serves and tests name.

The data is the *source* (what NAV's systems hold), not an API answer: it includes what the API
must not return, so the fake has something to filter.

* ``Vedtak.returned`` is False for a vedtak that is not iverksatt or avsluttet (``GODKJ`` …) and for
  an invalidated one (til-dato the day before fra-dato); neither may be returned.
* Vedtak and meldekort before 2010-03-01 exist (one persona has a vedtak from 2009): the API never
  returns data from before ``EARLIEST_DATA``.
* A stans or opphør vedtak (vedtakstype ``S``, utfall ``JA``) and the §11-5 vedtak are returned,
  but grant no money; ``til=None`` means open (for ``S``, AA115 and avslag vedtak, as NAV's newer
  contract has it), which an answer clamps to the consent period's end.
* ``Meldekort.hours_by_day`` holds only the days worked; after a change of meldesyklus two cards
  cover the same week, and that week's hours are on one of them only (the total stays correct).
* A person NAV knows with ``uforetrygd=None`` has not applied: the uføre API answers ``IKKE_SOKT``.
  ``known_to_nav=False``: empty AAP lists and ``IKKE_SOKT`` with no periods.

Everything is fixed and deterministic ("today" is ``TODAY``, 2026-11-29): the same names, numbers
and hours every time. ``history_problems`` states the invariants every history here keeps (and so
must the generated ones in ``dsop_sandbox.people.strategies``).

The package: :mod:`.model` (the data classes), :mod:`.meldekort` (dates and cards),
:mod:`.invariants` (``history_problems``), :mod:`.histories` (one builder per persona) and
:mod:`.cast` (the personas, built once).
"""

from __future__ import annotations

from .cast import PERSONAS, persona, persona_by_key
from .invariants import history_problems
from .meldekort import card_periods, first_of_month, last_of_month, make_meldekort
from .model import (
    CARD_DAYS,
    EARLIEST_DATA,
    FULL_TIME_HOURS_PER_CARD,
    TODAY,
    UNKNOWN_TO_NAV,
    Beregningsperiode,
    Meldekort,
    NavHistory,
    Persona,
    Uforetrygd,
    Vedtak,
)

__all__ = [
    "CARD_DAYS",
    "EARLIEST_DATA",
    "FULL_TIME_HOURS_PER_CARD",
    "PERSONAS",
    "TODAY",
    "UNKNOWN_TO_NAV",
    "Beregningsperiode",
    "Meldekort",
    "NavHistory",
    "Persona",
    "Uforetrygd",
    "Vedtak",
    "card_periods",
    "first_of_month",
    "history_problems",
    "last_of_month",
    "make_meldekort",
    "persona",
    "persona_by_key",
]
