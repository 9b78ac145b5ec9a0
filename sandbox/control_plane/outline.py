"""What pages drawn on the control plane may know of it: :func:`outline`, read while a request is
handled. The dashboard reads the control plane through this alone."""

from __future__ import annotations

from dataclasses import dataclass

from .admin import WITHDRAW_ROUTES
from .fanout import FAKES
from .insurers import CONSENT_GENERATIONS
from .state import SERVICE, control
from .walkthrough import (
    DEFAULT_CONSENT,
    FETCH_ROUTE,
    RESET_ROUTE,
    START_PATH,
    START_ROUTE,
    WALKTHROUGH_PERSON,
    YEARS_LATER_ROUTE,
    consent_query,
    insurer_url,
    person_query,
)


@dataclass(frozen=True)
class Outline:
    #: Every service's base URL, the control plane's first.
    services: dict[str, str]
    #: The walkthrough's test person: ``pid``, ``first_name``, ``last_name``.
    person: dict[str, str]
    #: The consent generations, the default (Altinn 3) first, and the one this outline is for.
    generations: tuple[str, ...]
    consent: str
    #: The reference insurer's base URL for each generation, None where none runs beside the sandbox.
    insurers: dict[str, str | None]
    #: The reference insurer for ``consent``, or None.
    insurer: str | None
    #: The insurer's own "start a claim" URL for the person, and the control plane's route that
    #: records the hop and sends the browser there (None without an insurer).
    start_url: str | None
    start_via: str | None
    #: The control plane's route that lets the insurer fetch again for the person (POST).
    fetch_via: str
    #: The control plane's route that withdraws a consent of each generation at Altinn (POST, ``{id}``).
    withdraw_via: dict[str, str]
    #: The control plane's routes that move the calendar three years and a day past today, and that
    #: reset the sandbox and its reference insurers (POST).
    years_later_via: str
    reset_via: str


def outline(consent: str | None = None) -> Outline:
    """The outline for the walkthrough of the ``consent`` generation (the default for None or a
    generation the sandbox does not know)."""
    settings = control().settings
    chosen = consent if consent in CONSENT_GENERATIONS else DEFAULT_CONSENT
    insurers = {generation: insurer_url(generation) for generation in CONSENT_GENERATIONS}
    insurer = insurers[chosen]
    person = person_query()
    generation = consent_query(chosen)
    return Outline(
        services={name: settings.base_url(name) for name in (SERVICE, *FAKES)},
        person=dict(WALKTHROUGH_PERSON),
        generations=CONSENT_GENERATIONS,
        consent=chosen,
        insurers=insurers,
        insurer=insurer,
        start_url=f"{insurer}{START_PATH}?{person}" if insurer else None,
        start_via=f"{START_ROUTE}?{generation}&{person}" if insurer else None,
        fetch_via=f"{FETCH_ROUTE}?{generation}&pid={WALKTHROUGH_PERSON['pid']}",
        withdraw_via=dict(WITHDRAW_ROUTES),
        years_later_via=YEARS_LATER_ROUTE,
        reset_via=RESET_ROUTE,
    )
