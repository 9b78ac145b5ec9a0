"""Admin routes for a service that signs with a key from the authority:
``GET /_sandbox/keys`` (the published JWKS and which kid signs now) and
``POST /_sandbox/keys/rotate`` (start signing with a new key; the old one stays published)."""

from __future__ import annotations

from flask import Blueprint, current_app

from dsop_sandbox.mocks.authority import AuthorityError, KeyAuthority

from .admin import admin_error
from .errors import json_response


def key_admin_blueprint(authority: KeyAuthority, issuer: str) -> Blueprint:
    bp = Blueprint("admin_keys", __name__, url_prefix="/_sandbox")

    @bp.get("/keys")
    def keys():
        return json_response(
            {"issuer": issuer, "signing_kid": authority.signing_key(issuer).kid, **authority.jwks(issuer)}
        )

    @bp.post("/keys/rotate")
    def rotate():
        clock = current_app.extensions["sandbox"].clock
        try:
            key = authority.rotate(issuer, clock.now())
        except AuthorityError as exc:
            # Neither the key directory nor the overlay can be written: say so, keep the old key.
            raise admin_error(503, "keys_unwritable", str(exc)) from exc
        return json_response(
            {"issuer": issuer, "signing_kid": key.kid, "published": [k.kid for k in authority.published_keys(issuer)]}
        )

    return bp
