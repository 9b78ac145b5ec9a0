"""The control plane: one admin address for the whole sandbox, built like every service.

* :mod:`.app` builds it (``create_app``) through the services' own machinery: its store, clock and
  event log (service ``control``), errors in the admin shape;
* :mod:`.admin`: the ``/_sandbox/*`` routes that fan out to the services over HTTP, and the merged
  timeline (:mod:`.timeline`), which has the control plane's own events in it;
* :mod:`.walkthrough`: the walkthrough's hops it takes part in (start a claim, fetch again) and its
  controls (three years later, reset for the next group);
* :mod:`.outline`: what pages drawn on it (the dashboard) may read of it;
* :mod:`.fanout` and :mod:`.insurers`: its HTTP client for the services, and registering an insurer.

Pages are not its business: whoever builds the sandbox adds the dashboard to its app.

The names below are imported when first used (PEP 562), so that importing a leaf of this package,
such as :mod:`.registration_options` for the command line's choices, does not build Flask apps.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import create_app
    from .state import SERVICE
    from .walkthrough import allow_insurer_reset, use_reference_insurer

# (What pages may read, ``outline``, is imported from :mod:`.outline` itself: a function named like
# its module would be shadowed by the module once something imports it.)
_HOMES = {
    "create_app": ".app",
    "SERVICE": ".state",
    "use_reference_insurer": ".walkthrough",
    "allow_insurer_reset": ".walkthrough",
}
__all__ = ["SERVICE", "allow_insurer_reset", "create_app", "use_reference_insurer"]


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name], __name__), name)
