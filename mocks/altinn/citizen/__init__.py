"""The citizen's side of Altinn: login through ID-porten, the consent page, "Mine samtykker".

* ``login``: Altinn as ID-porten's OIDC relying party (client ``altinn``, private_key_jwt with
  its enterprise certificate, PKCE, ``idporten-loa-high`` required) and the Altinn session.
* ``pages``: the routes and what they show (``/ui/AccessConsent/request?id=``, the legacy link
  ``/ui/AccessConsent/?Resources=…``, ``/ui/authentication/*``, ``/ui/Profile/Consents``).
* ``texts``: the page texts in bokmål and English; the consent texts themselves are the
  services' templates in ``templates/services/``.

Pending logins and sessions are runtime tables (a reset logs every citizen out).
"""

from __future__ import annotations

from flask import Blueprint

from . import login
from .pages import add_routes

CITIZEN_SCHEMA = login.SCHEMA
CITIZEN_TABLES: tuple[str, ...] = login.TABLES


def citizen_blueprint() -> Blueprint:
    bp = Blueprint("altinn_citizen", __name__, template_folder="templates")
    add_routes(bp)
    return bp
