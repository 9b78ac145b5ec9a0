"""Every scenario, in the order a run takes them."""

from __future__ import annotations

from .base import Scenario
from .consent import ConsentDeclined, ConsentGranted, ForgedCallback
from .ending import Expiry, Revocation
from .fetching import Fetch, Reuse, TokenExpiry
from .resilience import KeyRotation, NavDown
from .transport import UntrustedNav

#: token_expiry runs first: it can only catch an insurer that keeps tokens for ever if the tokens the
#: insurer holds were all issued with the scenario's short lifetimes (see TokenExpiry).
SCENARIOS: tuple[Scenario, ...] = (
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
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}

__all__ = ["BY_NAME", "SCENARIOS", "Scenario"]
