"""What pages drawn on the control plane may know of it: :func:`outline`, read while a request is
handled. The dashboard reads the control plane through this alone."""

from __future__ import annotations

from dataclasses import dataclass

from .fanout import FAKES
from .state import SERVICE, control
from .walkthrough import FETCH_ROUTE, START_PATH, START_ROUTE, WALKTHROUGH_PERSON, insurer_url, person_query


@dataclass(frozen=True)
class Outline:
    #: Every service's base URL, the control plane's first.
    services: dict[str, str]
    #: The walkthrough's test person: ``pid``, ``first_name``, ``last_name``.
    person: dict[str, str]
    #: The reference insurer's base URL, or None when none runs beside the sandbox.
    insurer: str | None
    #: The insurer's own "start a claim" URL for the person, and the control plane's route that
    #: records the hop and sends the browser there (None without an insurer).
    start_url: str | None
    start_via: str | None
    #: The control plane's route that lets the insurer fetch again for the person (POST).
    fetch_via: str


def outline() -> Outline:
    settings = control().settings
    insurer = insurer_url()
    query = person_query()
    return Outline(
        services={name: settings.base_url(name) for name in (SERVICE, *FAKES)},
        person=dict(WALKTHROUGH_PERSON),
        insurer=insurer,
        start_url=f"{insurer}{START_PATH}?{query}" if insurer else None,
        start_via=f"{START_ROUTE}?{query}" if insurer else None,
        fetch_via=f"{FETCH_ROUTE}?pid={WALKTHROUGH_PERSON['pid']}",
    )
