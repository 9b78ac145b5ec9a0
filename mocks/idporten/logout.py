"""``/logout`` (end_session_endpoint, GET and POST) with front-channel logout to every client of
the session. ID-porten has no back-channel logout."""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
from flask import Blueprint, current_app, make_response, redirect, render_template, request

from dsop_sandbox.mocks.common import language
from dsop_sandbox.mocks.common.events import annotate

from . import browser_binding as binding
from .authorize import SESSION_COOKIE, error_page
from .texts import texts_for

#: What the confirmation page carries on to the confirmed ``POST /logout``.
CARRIED = ("client_id", "post_logout_redirect_uri", "state", "ui_locales")


def oidc():
    return current_app.extensions["idporten"]


def _client_from_hint(hint: str) -> dict | None:
    """The client an id_token_hint was issued to (our signature; an expired hint is fine)."""
    keys = [key.private_key.public_key() for key in oidc().authority.published_keys("idporten")]
    for key in keys:
        try:
            claims = jwt.decode(
                hint,
                key,
                algorithms=["RS256"],
                issuer=oidc().issuer,
                options={"verify_exp": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.PyJWTError:
            continue
        return oidc().clients.get(claims.get("aud", ""))
    return None


def confirm_page(params, token: str):
    lang, t = texts_for(params.get("ui_locales"))
    carried = {name: params[name] for name in CARRIED if params.get(name)}
    fields = {**carried, binding.CSRF_FIELD: token}
    switch = language.switch_url(lang, "/logout", carried)
    page = make_response(render_template("logout_confirm.html", lang=lang, t=t, fields=fields, switch_url=switch))
    page.headers["Cache-Control"] = "no-store"
    return page


def logout_blueprint() -> Blueprint:
    bp = Blueprint("idporten_logout", __name__, template_folder="templates")

    @bp.route("/logout", methods=["GET", "POST"])
    def logout():
        params = request.values
        hint, client_id = params.get("id_token_hint"), params.get("client_id")
        client = None
        if hint:
            client = _client_from_hint(hint)
            if client is None:
                return error_page("id_token_hint er ikke utstedt av ID-porten / id_token_hint was not issued here")
        elif client_id:
            client = oidc().clients.get(client_id)
            if client is None:
                return error_page("Ukjent klient / unknown client_id")
        target = params.get("post_logout_redirect_uri")
        if target:
            if client is None:
                return error_page("post_logout_redirect_uri needs id_token_hint or client_id")
            if target not in client.get("post_logout_redirect_uris", []):
                return error_page("post_logout_redirect_uri er ikke registrert / is not registered for the client")
            state = params.get("state")
            if state:
                target += ("&" if "?" in target else "?") + urlencode({"state": state})
        cookie = request.cookies.get(SESSION_COOKIE)
        session = oidc().state.session(cookie)
        if session is not None and not hint and not binding.logout_confirmed(cookie, request.form):
            # Without id_token_hint ID-porten cannot tell who asks: the citizen confirms on its page.
            annotate(caller=client["client_id"] if client else None, subject=session.pid, confirm=True)
            return confirm_page(params, binding.logout_token(cookie))
        frames = []
        if session is not None:
            oidc().state.end_session(session.sid)
            for member in session.clients:
                record = oidc().clients.get(member)
                if record and record.get("frontchannel_logout_uri"):
                    uri = record["frontchannel_logout_uri"]
                    frames.append(
                        uri + ("&" if "?" in uri else "?") + urlencode({"iss": oidc().issuer, "sid": session.sid})
                    )
        annotate(
            caller=client["client_id"] if client else None,
            subject=session.pid if session else None,
            session_ended=session is not None,
            frontchannel=len(frames),
        )
        if target and not frames:
            response = redirect(target, code=302)
        else:
            lang, t = texts_for(params.get("ui_locales"))
            # the page again in the other language: the same ending, with no session left to end
            again = {"client_id": params["client_id"]} if params.get("client_id") else {}
            response = make_response(
                render_template(
                    "message.html",
                    lang=lang,
                    t=t,
                    heading=t["logged_out"],
                    message=None,
                    frames=frames,
                    next_url=target,
                    switch_url=language.switch_url(lang, "/logout", again),
                )
            )
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return bp
