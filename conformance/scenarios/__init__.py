"""Every scenario, per consent generation, in the order a run takes them.

Scenarios judging the same thing in both generations have the same name (``--scenario fetch`` runs
the profile's generation's ``fetch``); ``key_rotation`` is Altinn 2's alone.
"""

from __future__ import annotations

from .base import Scenario
from .consent import ConsentDeclined, ConsentGranted, ForgedCallback
from .consent3 import ConsentDeclined3, ConsentGranted3, ForgedCallback3
from .ending import Expiry, Revocation
from .ending3 import Revocation3
from .fetching import Fetch, Reuse, TokenExpiry
from .fetching3 import Fetch3, Reuse3, TokenExpiry3
from .resilience import KeyRotation, NavDown
from .transport import UntrustedNav

#: token_expiry runs first: it can only catch an insurer that keeps tokens for ever if the tokens the
#: insurer holds were all issued with the scenario's short lifetimes (see TokenExpiry).
ALTINN2: tuple[Scenario, ...] = (
    TokenExpiry(),
    ConsentGranted(),
    ConsentDeclined(),
    ForgedCallback(),
    Fetch(),
    Reuse(),
    Revocation(),
    Expiry(),
    NavDown(),
    KeyRotation(),
    UntrustedNav(),
)
ALTINN3: tuple[Scenario, ...] = (
    TokenExpiry3(),
    ConsentGranted3(),
    ConsentDeclined3(),
    ForgedCallback3(),
    Fetch3(),
    Reuse3(),
    Revocation3(),
    Expiry(),
    NavDown(),
    UntrustedNav(),
)
SCENARIOS: dict[str, tuple[Scenario, ...]] = {"altinn3": ALTINN3, "altinn2": ALTINN2}
#: Every scenario name, in run order (what ``conform --scenario`` accepts).
NAMES: tuple[str, ...] = tuple(dict.fromkeys(s.name for s in ALTINN2 + ALTINN3))


def scenarios_for(generation: str) -> dict[str, Scenario]:
    """The scenarios a run for ``generation`` takes, by name, in run order."""
    return {scenario.name: scenario for scenario in SCENARIOS[generation]}


__all__ = ["NAMES", "SCENARIOS", "Scenario", "scenarios_for"]
