"""The citizen's innsyn at NAV: who fetched what about them, when, under which consent.

* ``login``: NAV as ID-porten's OIDC relying party (client ``nav``, private_key_jwt with NAV's
  enterprise certificate, PKCE, ``idporten-loa-high`` required), shared machinery in
  :mod:`dsop_sandbox.mocks.common.citizen_login`, and the ``nav_session`` cookie.
* ``pages``: "Digital samhandling offentlig-privat" (``/person/personopplysninger/dsop``), one
  disclosure (``…/dsop/<id>``), its JSON download (``…/dsop/<id>/data.json``) and the BFF
  (``/person/dsop-api/get``).
* ``view``: how an entry is shown (Norwegian time, tema names, the consent token's claims).
* ``delivered``: what was delivered, told readably (uføre periods, AAP vedtak, meldekort).

Pending logins and sessions are runtime tables (a reset logs every citizen out).
"""

from __future__ import annotations

from flask import Blueprint

from . import login
from .pages import add_routes

INNSYN_SCHEMA = login.SCHEMA
INNSYN_TABLES: tuple[str, ...] = login.TABLES


def innsyn_blueprint() -> Blueprint:
    bp = Blueprint("nav_innsyn", __name__, template_folder="templates")
    add_routes(bp)
    return bp
