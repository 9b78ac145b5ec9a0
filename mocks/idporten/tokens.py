"""``/token`` (authorization_code, refresh_token), ``/userinfo``, ``/par`` and the tokens themselves.

id_token claims follow the new ID-porten (2025 TEST example): ``iss``, ``aud``, ``sub`` (pairwise
per client), ``pid``, ``acr``, ``amr`` (a JSON array), ``nonce`` (when the request sent one),
``sid``, ``locale`` (with the ``profile`` scope), ``auth_time``, ``iat``, ``exp`` (120 s), ``jti``;
RS256 with the ID-porten key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

import jwt
from flask import Blueprint, current_app, request

from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import annotate, token_fingerprint
from dsop_sandbox.mocks.common.payload import require_form
from dsop_sandbox.mocks.common.service import runtime

from .authorize import PageError, RedirectError, check_client_and_redirect, check_request
from .client_auth import authenticate_client
from .errors import ERRORS, oauth_error

VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oidc():
    return current_app.extensions["idporten"]


def pkce_s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def pairwise_sub(client_id: str, pid: str) -> str:
    """The same person gets a different, stable ``sub`` at every client."""
    digest = hmac.new(oidc().pairwise_secret, f"{client_id}|{pid}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:43]


def _sign(claims: dict) -> str:
    key = oidc().authority.signing_key("idporten")
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def mint_tokens(client: dict, method: str, grant: dict, with_refresh: bool) -> dict:
    rt = runtime()
    now = rt.clock.epoch()
    scopes = (grant.get("scope") or "openid").split()
    id_claims = {
        "iss": oidc().issuer,
        "aud": client["client_id"],
        "sub": pairwise_sub(client["client_id"], grant["pid"]),
        "pid": grant["pid"],
        "acr": grant["acr"],
        "amr": grant["amr"],
        "sid": grant["sid"],
        "auth_time": grant["auth_time"],
        "iat": now,
        "exp": now + rt.lifetimes["idporten.id_token"],
        "jti": secrets.token_urlsafe(16),
    }
    if grant.get("nonce"):  # only when the authorization request sent one (it is recommended, not required)
        id_claims["nonce"] = grant["nonce"]
    if "profile" in scopes:
        id_claims["locale"] = grant.get("locale", "nb")
    lifetime = rt.lifetimes["idporten.access_token"]
    access_claims = {
        "iss": oidc().issuer,
        "client_id": client["client_id"],
        "client_amr": method,
        "sub": id_claims["sub"],
        "pid": grant["pid"],
        "acr": grant["acr"],
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(16),
        "aud": "unspecified",
    }
    oidc().state.remember_locale(access_claims["jti"], grant.get("locale", "nb"), access_claims["exp"])
    if client.get("org"):
        access_claims["consumer"] = {"authority": "iso6523-actorid-upis", "ID": f"0192:{client['org']}"}
    answer = {
        "access_token": _sign(access_claims),
        "id_token": _sign(id_claims),
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": " ".join(scopes),
    }
    if with_refresh:
        answer["refresh_token"] = oidc().state.issue_refresh_token(
            client["client_id"], grant, rt.lifetimes["idporten.refresh_token"]
        )
    annotate(
        subject=grant["pid"],
        acr=grant["acr"],
        amr=grant["amr"],
        id_token=token_fingerprint(answer["id_token"]),
        access_token=token_fingerprint(answer["access_token"]),
    )
    return answer


def token_blueprint() -> Blueprint:
    bp = Blueprint("idporten_token", __name__)

    @bp.post("/token")
    def token():
        require_form(ERRORS)
        grant_type = request.form.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise oauth_error(
                400,
                "unsupported_grant_type" if grant_type else "invalid_request",
                "grant_type must be authorization_code or refresh_token",
            )
        client, method = authenticate_client()
        refresh_allowed = "refresh_token" in client.get("grant_types", []) and method != "none"
        if grant_type == "refresh_token":
            if not refresh_allowed:
                raise oauth_error(400, "unauthorized_client", "the client is not registered for refresh_token")
            grant = oidc().state.use_refresh_token(request.form.get("refresh_token", ""), client["client_id"])
            if grant is None:
                raise oauth_error(400, "invalid_grant", "refresh_token is unknown, used, revoked or expired")
            return json_response(mint_tokens(client, method, grant, True), headers=NO_STORE)
        status, grant = oidc().state.redeem_code(request.form.get("code", ""))
        if status != "ok":
            raise oauth_error(
                400,
                "invalid_grant",
                {
                    "unknown": "unknown authorization code",
                    "expired": "the authorization code has expired",
                    "used": "the authorization code has been used",
                }[status],
            )
        if grant["client_id"] != client["client_id"]:
            raise oauth_error(400, "invalid_grant", "the code was issued to another client")
        if request.form.get("redirect_uri") != grant["redirect_uri"]:
            raise oauth_error(400, "invalid_grant", "redirect_uri differs from the authorization request")
        challenge = grant.get("code_challenge")
        verifier = request.form.get("code_verifier")
        if challenge:
            if not verifier or not VERIFIER.match(verifier):
                raise oauth_error(400, "invalid_grant", "code_verifier is missing or malformed (43-128 characters)")
            if not hmac.compare_digest(pkce_s256(verifier), challenge):
                raise oauth_error(400, "invalid_grant", "code_verifier does not match the code_challenge")
        elif method == "none":
            raise oauth_error(400, "invalid_grant", "a public client must use PKCE")
        return json_response(mint_tokens(client, method, grant, refresh_allowed), headers=NO_STORE)

    @bp.route("/userinfo", methods=["GET", "POST"])
    def userinfo():
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        claims = None
        # Every published key (a token signed just before a rotation stays good); exp against the
        # sandbox's protocol clock, never PyJWT's reading of the wall clock.
        for key in oidc().authority.published_keys("idporten") if token else ():
            try:
                claims = jwt.decode(
                    token,
                    key.private_key.public_key(),
                    algorithms=["RS256"],
                    issuer=oidc().issuer,
                    options={
                        "verify_aud": False,
                        "verify_exp": False,
                        "verify_iat": False,
                        "verify_nbf": False,
                        "require": ["exp"],
                    },
                )
                break
            except jwt.PyJWTError:
                continue
        if claims is None or "client_amr" not in claims or not claims["exp"] > oidc().clock.timestamp():
            raise oauth_error(
                401,
                "invalid_token",
                "a valid ID-porten access token is required",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        answer = {"sub": claims["sub"], "pid": claims["pid"]}
        if "profile" in claims.get("scope", "").split():
            answer["locale"] = oidc().state.locale_of(claims.get("jti", "")) or "nb"
        annotate(caller=claims["client_id"], subject=claims["pid"])
        return json_response(answer)

    @bp.post("/par")
    def pushed_authorization_request():
        require_form(ERRORS)
        client, _ = authenticate_client()
        params = {
            k: v
            for k, v in request.form.to_dict().items()
            if k not in ("client_secret", "client_assertion", "client_assertion_type")
        }
        params["client_id"] = client["client_id"]
        try:
            check_client_and_redirect(params)
            params = check_request(client, params)
        except PageError as exc:
            raise oauth_error(400, "invalid_request", exc.message) from exc
        except RedirectError as exc:
            raise oauth_error(400, exc.error, exc.description) from exc
        lifetime = runtime().lifetimes["idporten.par_request"]
        request_uri = oidc().state.push(client["client_id"], params, lifetime)
        return json_response({"request_uri": request_uri, "expires_in": lifetime}, 201, NO_STORE)

    return bp
