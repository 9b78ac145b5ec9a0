"""The control plane: one admin address for the whole sandbox, built like every service.

* :mod:`.app` builds it (``create_app``) through the services' own machinery: its store, clock and
  event log (service ``control``), errors in the admin shape;
* :mod:`.admin`: the ``/_sandbox/*`` routes that fan out to the services over HTTP, and the merged
  timeline (:mod:`.timeline`), which has the control plane's own events in it;
* :mod:`.walkthrough`: the walkthrough's hops it takes part in (start a claim, fetch again);
* :mod:`.outline`: what pages drawn on it (the dashboard) may read of it;
* :mod:`.fanout` and :mod:`.insurers`: its HTTP client for the services, and registering an insurer.

Pages are not its business: whoever builds the sandbox adds the dashboard to its app.
"""

from .app import create_app
from .outline import Outline, outline
from .state import SERVICE
from .walkthrough import use_reference_insurer

__all__ = ["SERVICE", "Outline", "create_app", "outline", "use_reference_insurer"]
