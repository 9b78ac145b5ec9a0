"""Helpers for the ID-porten tests: play the citizen's browser and the client (the insurer) against
the OIDC fake, in process (Flask test client) or over HTTP (``requests``).

``Idp`` wraps a Flask test client (which keeps the browser's cookies, so SSO works) and knows the
protocol steps: register a client, send it to ``/authorize``, fill the login page, take the code
back, redeem it at ``/token`` with the client's registered authentication method.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from jwt.algorithms import RSAAlgorithm

from dsop_sandbox.people.roster import TEST_PERSONS
from tests.support import REMOVE, b64url

HIGH, SUBSTANTIAL = "idporten-loa-high", "idporten-loa-substantial"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REDIRECT_URI = "https://forsikring.example/login/callback"
OTHER_REDIRECT_URI = "https://forsikring.example/other/callback"
POST_LOGOUT_URI = "https://forsikring.example/logged-out"
KARI = TEST_PERSONS[0]["pid"]
#: A real-looking fødselsnummer (valid check digits, not synthetic): the sandbox must refuse it.
REAL_LOOKING_PID = "23079421936"
#: A synthetic TestID number that is not one of the seeded test persons.
OTHER_SYNTHETIC_PID = "01818520030"
JWK_KID = "forsikring-idporten-2026"


# -- PKCE and JOSE ----------------------------------------------------------------------------------------
def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode()).digest())


def new_verifier() -> str:
    return secrets.token_urlsafe(48)  # 64 characters of the unreserved set


def public_jwk(private_key, kid: str = JWK_KID) -> dict:
    jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update(kid=kid, use="sig", alg="RS256")
    return jwk


def sign_raw(header: dict, claims: dict, private_key, hash_alg=hashes.SHA256) -> str:
    """A JWS made by hand, so that a test can send what PyJWT would refuse to make."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = private_key.sign(signing_input.encode(), padding.PKCS1v15(), hash_alg())
    return f"{signing_input}.{b64url(signature)}"


def client_assertion(
    client_id: str,
    audience: str,
    private_key,
    *,
    kid: str = JWK_KID,
    now: float | None = None,
    lifetime: int = 120,
    header: dict | None = None,
    **claims,
) -> str:
    """A correct private_key_jwt assertion (RFC 7523 §2.2), changed as asked (``REMOVE`` drops a claim)."""
    iat = int(time.time() if now is None else now)
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": iat,
        "exp": iat + lifetime,
        "jti": str(uuid.uuid4()),
    }
    body.update(claims)
    head = {"alg": "RS256", "kid": kid}
    head.update(header or {})
    body = {k: v for k, v in body.items() if v is not REMOVE}
    head = {k: v for k, v in head.items() if v is not REMOVE}
    return sign_raw(head, body, private_key)


def unverified(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


# -- HTML ------------------------------------------------------------------------------------------------
class Page(HTMLParser):
    """What a test needs from an HTML page: its language, its forms' inputs and buttons, iframes, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.forms: list[dict] = []
        self.iframes: list[str] = []
        self.links: list[dict] = []
        self.noscript_buttons: list[dict] = []
        self._in_noscript = False
        self._text: list[str] = []
        self.feed(html)
        self.text = " ".join(" ".join(self._text).split())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "form":
            self.forms.append(
                {
                    "action": attrs.get("action"),
                    "method": (attrs.get("method") or "get").lower(),
                    "inputs": [],
                    "buttons": [],
                }
            )
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(attrs)
        elif tag == "button":
            if self.forms:
                self.forms[-1]["buttons"].append(attrs)
            if self._in_noscript:
                self.noscript_buttons.append(attrs)
        elif tag == "noscript":
            self._in_noscript = True
        elif tag == "iframe":
            self.iframes.append(attrs.get("src"))
        elif tag == "a":
            self.links.append(attrs)

    def handle_endtag(self, tag):
        if tag == "noscript":
            self._in_noscript = False

    def handle_data(self, data):
        self._text.append(data)

    @property
    def form(self) -> dict:
        assert len(self.forms) == 1, self.forms
        return self.forms[0]

    def hidden(self, name: str) -> str:
        return next(i["value"] for i in self.form["inputs"] if i.get("name") == name and i.get("type") == "hidden")

    def radios(self, name: str) -> dict[str, dict]:
        """value -> {"checked": bool, "disabled": bool}"""
        return {
            i["value"]: {"checked": "checked" in i, "disabled": "disabled" in i}
            for i in self.form["inputs"]
            if i.get("type") == "radio" and i.get("name") == name
        }


def query_of(location: str) -> dict[str, str]:
    values = parse_qs(urlsplit(location).query, keep_blank_values=True)
    assert all(len(v) == 1 for v in values.values()), values
    return {k: v[0] for k, v in values.items()}


def without_query(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


# -- the in-process OIDC conversation ---------------------------------------------------------------------
@dataclass
class Flow:
    """One authorization request of one client: what the client keeps (state, nonce, verifier)."""

    client: dict
    params: dict
    verifier: str | None
    response: object = None
    request_id: str | None = None
    callback: dict = field(default_factory=dict)

    @property
    def state(self) -> str:
        return self.params.get("state")

    @property
    def nonce(self) -> str:
        return self.params.get("nonce")

    @property
    def code(self) -> str:
        return self.callback["code"]


class Idp:
    """The ID-porten fake seen through a Flask test client (one browser, one cookie jar)."""

    def __init__(self, app, browser, private_key):
        self.app, self.browser, self.private_key = app, browser, private_key
        self.service = app.extensions["idporten"]
        self.issuer = self.service.issuer

    # -- fixtures over the admin API ------------------------------------------------------------------
    def register(self, method: str = "client_secret_basic", **fields) -> dict:
        body = {
            "client_name": "Eksempel Forsikring AS",
            "redirect_uris": [REDIRECT_URI],
            "post_logout_redirect_uris": [POST_LOGOUT_URI],
            "token_endpoint_auth_method": method,
        }
        if method == "private_key_jwt":
            body["jwks"] = {"keys": [public_jwk(self.private_key)]}
        body.update(fields)
        answer = self.browser.post("/_sandbox/clients", json=body)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()

    def admin(self, path: str, body: dict) -> dict:
        answer = self.browser.post("/_sandbox" + path, json=body)
        assert answer.status_code in (200, 201), answer.get_data(as_text=True)
        return answer.get_json()

    # -- the front channel ----------------------------------------------------------------------------
    def authorization_params(self, client: dict, verifier: str | None, **overrides) -> dict:
        params = {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile",
            "state": "st-" + secrets.token_urlsafe(12),
            "nonce": "n-" + secrets.token_urlsafe(12),
            "acr_values": HIGH,
        }
        if verifier:
            params.update(code_challenge=s256(verifier), code_challenge_method="S256")
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not REMOVE}

    def authorize(self, client: dict, *, verifier: str | None = "new", method: str = "GET", **overrides) -> Flow:
        """Send the browser to /authorize; the flow keeps the answer (and the login page's request_id)."""
        verifier = new_verifier() if verifier == "new" else verifier
        flow = Flow(client, self.authorization_params(client, verifier, **overrides), verifier)
        if method == "GET":
            flow.response = self.browser.get("/authorize", query_string=flow.params)
        else:
            flow.response = self.browser.post("/authorize", data=flow.params)
        location = flow.response.headers.get("Location", "")
        if flow.response.status_code == 302 and location.startswith("/login?"):
            flow.request_id = query_of(location)["request_id"]
        elif flow.response.status_code == 302:
            flow.callback = query_of(location)
        return flow

    def login_page(self, flow: Flow, **query) -> Page:
        answer = self.browser.get("/login", query_string={"request_id": flow.request_id, **query})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return Page(answer.get_data(as_text=True))

    def submit_login(
        self,
        flow: Flow,
        *,
        pid: str | None = KARI,
        method: str | None = "bankid",
        action: str = "login",
        other_pid: str | None = None,
    ):
        pending = self.service.state.load_request(flow.request_id or "") or {}
        form = {"request_id": flow.request_id, "action": action, "csrf": pending.get("_csrf", "")}
        if pid is not None:
            form["pid"] = pid
        if method is not None:
            form["method"] = method
        if other_pid is not None:
            form["other_pid"] = other_pid
        answer = self.browser.post("/login", data=form)
        if answer.status_code == 302:
            flow.callback = query_of(answer.headers["Location"])
        flow.response = answer
        return answer

    def login(self, client: dict, *, pid: str = KARI, login_method: str = "bankid", **overrides) -> Flow:
        """The whole front channel: /authorize, the login page (unless the SSO session answers
        silently; send ``prompt="login"`` to force the page), back at the client with a code."""
        flow = self.authorize(client, **overrides)
        if flow.request_id is None and "code" in flow.callback:
            return flow  # SSO: this browser's session logged the citizen in silently
        assert flow.request_id, flow.response.get_data(as_text=True)
        answer = self.submit_login(flow, pid=pid, method=login_method)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert answer.headers["Location"].startswith(flow.params["redirect_uri"] + "?")
        assert "code" in flow.callback, flow.callback
        return flow

    # -- the back channel -----------------------------------------------------------------------------
    def auth(self, client: dict, form: dict, headers: dict, *, assertion: str | None = None) -> None:
        """Add the client's registered authentication to a token request."""
        method = client["token_endpoint_auth_method"]
        if method == "client_secret_basic":
            raw = f"{client['client_id']}:{client['client_secret']}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        elif method == "client_secret_post":
            form.update(client_id=client["client_id"], client_secret=client["client_secret"])
        elif method == "private_key_jwt":
            if assertion is None:
                assertion = client_assertion(
                    client["client_id"], self.issuer, self.private_key, now=self.service.clock.epoch()
                )
            form.update(client_id=client["client_id"], client_assertion_type=ASSERTION_TYPE, client_assertion=assertion)
        else:
            form.update(client_id=client["client_id"])

    def post_token(self, client: dict | None, form: dict, *, headers: dict | None = None, assertion=None):
        form, headers = dict(form), dict(headers or {})
        if client is not None:
            self.auth(client, form, headers, assertion=assertion)
        form = {k: v for k, v in form.items() if v is not REMOVE}
        return self.browser.post("/token", data=form, headers=headers)

    def redeem(self, flow: Flow, client: dict | None = None, **overrides):
        """POST /token for the flow's code, with the client's authentication."""
        form = {
            "grant_type": "authorization_code",
            "code": flow.code,
            "redirect_uri": flow.params["redirect_uri"],
            "code_verifier": flow.verifier,
        }
        form.update(overrides)
        if form["code_verifier"] is None:
            form.pop("code_verifier")
        return self.post_token(client or flow.client, form)

    def tokens(self, client: dict, **overrides) -> tuple[Flow, dict]:
        flow = self.login(client, **overrides)
        answer = self.redeem(flow)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return flow, answer.get_json()

    def refresh(self, client: dict, refresh_token: str):
        return self.post_token(client, {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def id_token_claims(self, id_token: str, client: dict) -> dict:
        """Verified with the published JWKS, as a client must."""
        jwks = self.browser.get("/jwks.json").get_json()
        kid = jwt.get_unverified_header(id_token)["kid"]
        jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
        return jwt.decode(
            id_token,
            RSAAlgorithm.from_jwk(json.dumps(jwk)),
            algorithms=["RS256"],
            audience=client["client_id"],
            issuer=self.issuer,
            options={"verify_exp": False, "verify_iat": False},
        )


def assert_oauth_error(answer, status: int, error: str) -> dict:
    """An OAuth JSON error: ``{"error", "error_description"}`` with the status."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json", answer.mimetype
    body = answer.get_json()
    assert body["error"] == error, body
    assert isinstance(body.get("error_description"), str) and body["error_description"], body
    return body


def assert_page_error(answer, status: int = 400, *texts: str) -> Page:
    """An error shown on ID-porten's own HTML page (never a redirect to the client)."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert "Location" not in answer.headers
    assert answer.mimetype == "text/html"
    page = Page(answer.get_data(as_text=True))
    for text in texts:
        assert text in page.text, (text, page.text)
    return page
