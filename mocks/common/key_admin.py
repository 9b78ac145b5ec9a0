"""Admin routes for a service that signs with a key from the authority:
``GET /_sandbox/keys`` (the published JWKS and which kid signs now) and
``POST /_sandbox/keys/rotate`` (start signing with a new key; the old one stays published).

A rotation is written to the key directory's files and changes the service's shared generation
(mocks/common/shared_state.py): every process of the service then takes up the new key before its
next request, so whichever process answers signs with it and publishes it."""

from __future__ import annotations

from flask import Blueprint, current_app

from dsop_sandbox.mocks.authority import AuthorityError, KeyAuthority

from .admin import admin_error
from .errors import json_response


def key_admin_blueprint(authority: KeyAuthority, issuer: str) -> Blueprint:
    bp = Blueprint("admin_keys", __name__, url_prefix="/_sandbox")
    bp.record_once(lambda state: state.app.extensions["sandbox"].shared.on_change(lambda: authority.reload(issuer)))

    @bp.get("/keys")
    def keys():
        return json_response(
            {"issuer": issuer, "signing_kid": authority.signing_key(issuer).kid, **authority.jwks(issuer)}
        )

    @bp.post("/keys/rotate")
    def rotate():
        rt = current_app.extensions["sandbox"]
        try:
            key = authority.rotate(issuer, rt.clock.now())
        except AuthorityError as exc:
            # Neither the key directory nor the overlay can be written: say so, keep the old key.
            raise admin_error(503, "keys_unwritable", str(exc)) from exc
        rt.shared.changed()
        return json_response(
            {"issuer": issuer, "signing_kid": key.kid, "published": [k.kid for k in authority.published_keys(issuer)]}
        )

    return bp
