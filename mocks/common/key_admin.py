"""Admin routes for a service that signs with a key from the authority:
``GET /_sandbox/keys`` (the published JWKS and which kid signs now) and
``POST /_sandbox/keys/rotate`` (start signing with a new key; the old one stays published).

A rotation is written to the key directory's files, as before, and also to the service's store
(table ``signing_keys``: the issuer's published generations and their PEMs; never cleared by a
reset, as the files are not), in a transaction that changes the shared generation
(mocks/common/shared_state.py). Every process of the service then takes the keys up before its
next request: from the store (:meth:`KeyAuthority.take_up`), so that a host with a key directory
of its own on the same database signs with the new key too, or from the files while no rotation
was ever stored. Whichever process answers signs with the new key and publishes it.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app

from dsop_sandbox.mocks.authority import AuthorityError, KeyAuthority, pki

from .admin import admin_error
from .errors import json_response
from .store import Store

SIGNING_KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS signing_keys (
    issuer TEXT PRIMARY KEY,
    published TEXT NOT NULL,
    material TEXT NOT NULL
)
"""


def key_admin_blueprint(authority: KeyAuthority, issuer: str) -> Blueprint:
    bp = Blueprint("admin_keys", __name__, url_prefix="/_sandbox")
    bp.record_once(lambda state: _share(state.app.extensions["sandbox"], authority, issuer))

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
        published = authority.published_keys(issuer)
        material = {
            k.generation: [pki.key_pem(k.private_key).decode(), pki.cert_pem(k.certificate).decode()] for k in published
        }
        with rt.shared.change() as db:
            db.execute(
                "INSERT INTO signing_keys(issuer, published, material) VALUES (?, ?, ?) ON CONFLICT(issuer)"
                " DO UPDATE SET published = excluded.published, material = excluded.material",
                (issuer, json.dumps([k.generation for k in published]), json.dumps(material)),
            )
        return json_response({"issuer": issuer, "signing_kid": key.kid, "published": [k.kid for k in published]})

    return bp


def _share(rt, authority: KeyAuthority, issuer: str) -> None:
    with rt.store.transaction() as db:
        db.execute(SIGNING_KEYS_SCHEMA)
    rt.shared.on_change(lambda: _take_up(rt.store, authority, issuer))


def _take_up(store: Store, authority: KeyAuthority, issuer: str) -> None:
    """The issuer's keys as the last rotation stored them, else as the key directory has them."""
    row = store.query_one("SELECT published, material FROM signing_keys WHERE issuer = ?", (issuer,))
    if row is None:
        authority.reload(issuer)
        return
    material = {int(g): (pems[0].encode(), pems[1].encode()) for g, pems in json.loads(row["material"]).items()}
    authority.take_up(issuer, json.loads(row["published"]), material)
