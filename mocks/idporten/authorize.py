"""``/authorize`` (GET and POST), ``/par``, the login page and the SSO session.

The authorization request is checked in the order a provider must (RFC 6749 §4.1.2.1): an unknown
client or a redirect_uri that is not registered exactly is shown on a page here (never redirected
to), every other problem goes back to the client as ``error``/``error_description``/``state``,
always with RFC 9207 ``iss``.

The parameters follow Digdir, «/authorize endpoint»,
https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_authorize: ``state`` and ``nonce`` are
*recommended*; ``state`` must be sent by a public client, and by any client that does not use PKCE.

``login_hint`` (OpenID Connect Core 1.0, §3.1.2.1: a hint about who logs in, used at the provider's
discretion) is a sandbox convenience here: ID-porten documented it only as ``eidas:true`` (the
older «/authorize endpoint» page, https://docs.digdir.no/docs/idporten/oidc_old/oidc_protocol_authorize.html),
never as a person. A synthetic fødselsnummer in it is preselected on the login page and marked
«Forhåndsvalgt av sandkassen»; the citizen may still choose anyone; any other hint is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, make_response, redirect, render_template, request

from dsop_sandbox.mocks.common import language
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.identifiers import fnr_problem
from dsop_sandbox.mocks.common.service import runtime

from . import browser_binding as binding
from .texts import PID_PROBLEMS_NB, texts_for

SUBSTANTIAL, HIGH = "idporten-loa-substantial", "idporten-loa-high"
ACR_RANK = {SUBSTANTIAL: 1, HIGH: 2}
SESSION_COOKIE = "idporten_sso"
PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
RESPONSE_MODES = ("query", "form_post")
PROMPTS = ("login", "none", "consent")
LOGIN_EXPIRED = "Innloggingen er utløpt; start på nytt fra tjenesten / the login has expired"

#: Login methods on the TestID-style page: what each gives (amr, acr).
METHODS = (
    {"id": "testid-high", "name": "TestID", "amr": ["TestID"], "acr": HIGH},
    {"id": "testid-substantial", "name": "TestID (betydelig / substantial)", "amr": ["TestID"], "acr": SUBSTANTIAL},
    {"id": "minid", "name": "MinID", "amr": ["Minid-APP"], "acr": SUBSTANTIAL},
    {"id": "bankid", "name": "BankID", "amr": ["BankID"], "acr": HIGH},
)


class PageError(Exception):
    """A problem shown on ID-porten's own page (the client or its redirect_uri cannot be trusted)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class RedirectError(Exception):
    """A problem reported back to the client's redirect_uri."""

    error: str
    description: str


@dataclass
class AuthorizationRequest:
    client: dict
    params: dict
    response_mode: str

    @property
    def redirect_uri(self) -> str:
        return self.params["redirect_uri"]

    @property
    def required_acr(self) -> str:
        return self.params["_required_acr"]


def oidc():
    return current_app.extensions["idporten"]


# -- validation (shared by /authorize and /par) -------------------------------------------------------
def check_client_and_redirect(params: dict) -> dict:
    client = oidc().clients.get(params.get("client_id") or "")
    if client is None:
        raise PageError("Ukjent klient (client_id) / unknown client_id")
    if params.get("redirect_uri") not in client["redirect_uris"]:
        raise PageError("redirect_uri er ikke registrert for klienten / redirect_uri is not registered for the client")
    return client


def check_request(client: dict, params: dict) -> dict:
    """The parameters, completed with the acr the login must reach; RedirectError on a problem."""
    if params.get("response_type") != "code":
        raise RedirectError("unsupported_response_type", "ID-porten supports only response_type=code")
    scopes = (params.get("scope") or "").split()
    if "openid" not in scopes:
        raise RedirectError("invalid_scope", "scope must include openid")
    unknown = [s for s in scopes if s not in ("openid", "profile") and s not in client.get("scopes", [])]
    if unknown:
        raise RedirectError("invalid_scope", f"scope(s) not registered for the client: {' '.join(unknown)}")
    challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
    if challenge or method:
        if method != "S256":
            raise RedirectError("invalid_request", "code_challenge_method must be S256")
        if not challenge or not PKCE_CHALLENGE.match(challenge):
            raise RedirectError("invalid_request", "code_challenge must be 43 base64url characters (S256, no padding)")
    elif client.get("pkce_required", True):
        raise RedirectError("invalid_request", "PKCE is required: send code_challenge and code_challenge_method=S256")
    # state and nonce are recommended, not required: state is mandatory only for a public client, and
    # when PKCE is not used (the module's docstring names the source). Without a nonce the id_token has none.
    if not params.get("state") and (client["token_endpoint_auth_method"] == "none" or not challenge):
        raise RedirectError("invalid_request", "state is required for public clients and when PKCE is not used")
    acr_values = (params.get("acr_values") or SUBSTANTIAL).split()
    unsupported = [a for a in acr_values if a not in ACR_RANK]
    if unsupported:
        raise RedirectError(
            "invalid_request", f"unsupported acr_values: {' '.join(unsupported)} (use {SUBSTANTIAL} or {HIGH})"
        )
    prompt = params.get("prompt")
    if prompt and any(p not in PROMPTS for p in prompt.split()):
        raise RedirectError("invalid_request", f"prompt must be one of {', '.join(PROMPTS)}")
    return {**params, "_required_acr": min(acr_values, key=ACR_RANK.get)}


def response_mode_of(params: dict) -> str:
    mode = params.get("response_mode") or "query"
    return mode if mode in RESPONSE_MODES else "query"


# -- answering the client ------------------------------------------------------------------------------
def back_to_client(req: AuthorizationRequest, values: dict) -> Response:
    """Send ``values`` (code or error) to the client, with ``state`` and RFC 9207 ``iss``."""
    payload = dict(values)
    if req.params.get("state"):
        payload["state"] = req.params["state"]
    payload["iss"] = oidc().issuer
    if req.response_mode == "form_post":
        lang, t = texts_for(req.params.get("ui_locales"))
        page = render_template("form_post.html", redirect_uri=req.redirect_uri, params=payload, lang=lang, t=t)
        return Response(page, mimetype="text/html", headers={"Cache-Control": "no-store"})
    separator = "&" if "?" in req.redirect_uri else "?"
    return redirect(req.redirect_uri + separator + urlencode(payload), code=302)


def error_to_client(req: AuthorizationRequest, error: str, description: str) -> Response:
    annotate(error=error, client_id=req.client["client_id"])
    return back_to_client(req, {"error": error, "error_description": description})


def error_page(message: str, status: int = 400) -> Response:
    lang, t = texts_for(request.values.get("ui_locales"))
    annotate(error="invalid_request")
    return make_response(
        render_template(
            "message.html",
            lang=lang,
            t=t,
            heading=t["error_title"],
            message=message,
            frames=[],
            next_url=None,
            switch_url=language.switch_url(lang) if request.method == "GET" else None,
        ),
        status,
    )


def complete_login(req: AuthorizationRequest, session) -> Response:
    """Issue the code for a logged-in session and send it to the client."""
    rt = runtime()
    state = oidc().state
    state.join_session(session.sid, req.client["client_id"])
    grant = {
        "client_id": req.client["client_id"],
        "redirect_uri": req.redirect_uri,
        "code_challenge": req.params.get("code_challenge"),
        "nonce": req.params.get("nonce"),
        "scope": req.params.get("scope"),
        "sid": session.sid,
        "pid": session.pid,
        "acr": session.acr,
        "amr": list(session.amr),
        "auth_time": session.auth_time,
        "locale": texts_for(req.params.get("ui_locales"))[0],
    }
    code = state.issue_code(grant, rt.lifetimes["idporten.authorization_code"])
    annotate(caller=req.client["client_id"], subject=session.pid, acr=session.acr, amr=list(session.amr))
    return back_to_client(req, {"code": code})


# -- routes ---------------------------------------------------------------------------------------------
def authorize_blueprint() -> Blueprint:
    bp = Blueprint("idporten_authorize", __name__, template_folder="templates")

    @bp.route("/authorize", methods=["GET", "POST"])
    def authorize():
        params = request.values.to_dict()
        if params.get("request_uri"):
            pushed = oidc().state.pull(params["request_uri"], params.get("client_id") or "")
            if pushed is None:
                return error_page("request_uri er ukjent, brukt eller utløpt / request_uri is unknown, used or expired")
            params = pushed
        try:
            client = check_client_and_redirect(params)
        except PageError as exc:
            return error_page(exc.message, exc.status)
        req = AuthorizationRequest(client, params, response_mode_of(params))
        annotate(caller=client["client_id"])
        if params.get("response_mode") and params["response_mode"] not in RESPONSE_MODES:
            return error_to_client(req, "invalid_request", "response_mode must be query or form_post")
        try:
            req.params = check_request(client, params)
        except RedirectError as exc:
            return error_to_client(req, exc.error, exc.description)
        session = oidc().state.session(request.cookies.get(SESSION_COOKIE))
        prompts = (params.get("prompt") or "").split()
        silent_ok = (
            session is not None and "login" not in prompts and ACR_RANK[session.acr] >= ACR_RANK[req.required_acr]
        )
        if silent_ok:
            return complete_login(req, session)
        if "none" in prompts:
            return error_to_client(req, "login_required", "the user must log in (prompt=none)")
        browser = binding.browser()
        request_id = oidc().state.save_request(
            client["client_id"], binding.bind(req.params, browser), runtime().lifetimes["idporten.sso_session"]
        )
        return binding.remember_browser(redirect(f"/login?request_id={request_id}", code=302), browser)

    @bp.get("/login")
    def login_page():
        request_id, params = pending_request(request.args)
        if params is None:
            return error_page(LOGIN_EXPIRED)
        chosen = language.chosen() or request.args.get("ui_locales")
        if chosen in language.LANGUAGES and chosen != params.get("ui_locales"):
            # the user's own choice of language wins over the client's (and is kept in a cookie)
            params = {**params, "ui_locales": chosen}
            oidc().state.update_request(request_id, params)
        return render_login(request_id, params)

    @bp.post("/login")
    def login_submit():
        request_id, params = pending_request(request.form)
        if params is None:
            return error_page(LOGIN_EXPIRED)
        client = oidc().clients.get(params["client_id"])
        if client is None:
            return error_page("Ukjent klient / unknown client")
        not_this_browser = binding.login_form_problem(params, request.form)
        if not_this_browser:
            annotate(caller=client["client_id"], error="csrf")
            return error_page(not_this_browser, 403)
        req = AuthorizationRequest(client, params, response_mode_of(params))
        if request.form.get("action") == "cancel":
            oidc().state.drop_request(request_id)
            return error_to_client(req, "access_denied", "The user cancelled the login")
        denial = oidc().take_login_denial()
        if denial:
            oidc().state.drop_request(request_id)
            return error_to_client(req, denial, "The login was denied (sandbox fault)")
        other = (request.form.get("other_pid") or "").strip()
        pid = other or request.form.get("pid", "")
        lang, t = texts_for(params.get("ui_locales"))
        problem = fnr_problem(pid) if pid else ("velg en testperson" if lang == "nb" else "choose a test person")
        if problem and lang == "nb":
            problem = PID_PROBLEMS_NB.get(problem, problem)
        method = next((m for m in METHODS if m["id"] == request.form.get("method")), None)
        if problem is None and method is None:
            problem = "velg innloggingsmetode" if lang == "nb" else "choose a login method"
        if problem is None and ACR_RANK[method["acr"]] < ACR_RANK[req.required_acr]:
            problem = f"{method['name']} {t['too_low']}"
        if problem:
            annotate(caller=client["client_id"], error="invalid_login")
            return render_login(
                request_id,
                params,
                error=f"{pid or '…'}: {problem}" if pid else problem,
                chosen_pid=pid,
                chosen_method=request.form.get("method"),
                status=400,
            )
        oidc().state.drop_request(request_id)
        rt = runtime()
        session, cookie = oidc().state.start_session(
            pid, method["acr"], method["amr"], rt.lifetimes["idporten.sso_session"]
        )
        response = complete_login(req, session)
        response.set_cookie(
            SESSION_COOKIE, cookie, httponly=True, samesite="Lax", path="/", secure=request.scheme == "https"
        )
        return response

    return bp


def pending_request(values) -> tuple[str, dict | None]:
    """The login in progress that the page or form names (its parameters, None once expired)."""
    request_id = values.get("request_id", "")
    return request_id, oidc().state.load_request(request_id)


def render_login(
    request_id: str,
    params: dict,
    error: str | None = None,
    chosen_pid: str = "",
    chosen_method: str | None = None,
    status: int = 200,
) -> Response:
    lang, t = texts_for(params.get("ui_locales"))
    client = oidc().clients.get(params["client_id"]) or {"client_name": params["client_id"]}
    required = params["_required_acr"]
    methods = [{**m, "allowed": ACR_RANK[m["acr"]] >= ACR_RANK[required]} for m in METHODS]
    persons = oidc().persons.all()
    known = {p["pid"] for p in persons}
    hinted = hinted_pid(params)
    if hinted and not chosen_pid:
        chosen_pid = hinted
    chosen_method = chosen_method or next(m["id"] for m in methods if m["allowed"])
    page = render_template(
        "login.html",
        lang=lang,
        t=t,
        client_name=client["client_name"],
        required_acr=required,
        error=error,
        request_id=request_id,
        csrf=binding.csrf_token(params),
        persons=persons,
        methods=methods,
        chosen_method=chosen_method,
        chosen_pid=chosen_pid if chosen_pid in known else (persons[0]["pid"] if persons and not chosen_pid else ""),
        other_pid="" if chosen_pid in known else chosen_pid,
        hinted=hinted if hinted == chosen_pid else None,
        action="/login",
        switch_url=language.switch_url(lang, "/login", {"request_id": request_id}),
    )
    return _html(page, status)


def hinted_pid(params: dict) -> str | None:
    """The synthetic fødselsnummer the client's ``login_hint`` names, or None (see the module text)."""
    hint = (params.get("login_hint") or "").strip()
    return hint if hint and fnr_problem(hint) is None else None


def _html(page: str, status: int) -> Response:
    return Response(page, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})
