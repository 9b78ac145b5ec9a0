"""The acceptance test: a real third-party OIDC client, Authlib's ``OAuth2Session``, logs a citizen in
through the ID-porten fake served over HTTP, with every client authentication method ID-porten
offers, and validates the id_token the way a careful relying party does.

The citizen's browser is ``requests`` without JavaScript: it follows ``/authorize`` to the login
page, reads the form, picks a test person and BankID, and the answer's redirect to the client's
(unserved) redirect_uri is caught and handed to Authlib.
"""

from __future__ import annotations

import warnings
from urllib.parse import urljoin

import pytest
import requests
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_qs
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc6749.errors import MismatchingStateException
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from joserfc.jwk import RSAKey

with warnings.catch_warnings():  # authlib.jose still works in 1.x; its successor is joserfc
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, jwt
    from authlib.oidc.core import CodeIDToken

from dsop_sandbox.people.roster import TEST_PERSONS
from tests.idporten.support import HIGH, JWK_KID, REDIRECT_URI, Page, public_jwk, query_of

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning")]

PERSON = TEST_PERSONS[1]


@pytest.fixture(scope="module")
def base(served) -> str:
    return served.url("idporten")


@pytest.fixture(scope="module")
def meta(base) -> dict:
    with requests.Session() as http:
        http.trust_env = False
        answer = http.get(base + "/.well-known/openid-configuration", timeout=10)
    assert answer.status_code == 200
    return answer.json()


@pytest.fixture(scope="module")
def key_set(meta):
    with requests.Session() as http:
        http.trust_env = False
        return JsonWebKey.import_key_set(http.get(meta["jwks_uri"], timeout=10).json())


def register(base: str, **fields) -> dict:
    body = {"client_name": "Eksempel Forsikring AS", "redirect_uris": [REDIRECT_URI], **fields}
    answer = requests.post(base + "/_sandbox/clients", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def session_for(client: dict, **kw) -> OAuth2Session:
    oauth = OAuth2Session(
        client["client_id"],
        client.get("client_secret"),
        token_endpoint_auth_method=client["token_endpoint_auth_method"],
        scope="openid profile",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        **kw,
    )
    oauth.trust_env = False
    return oauth


class AuthorizationRound:
    """What the client keeps between the redirect and the callback."""

    def __init__(self, oauth: OAuth2Session, meta: dict, ui_locales: str = "nb"):
        self.verifier, self.nonce = generate_token(64), generate_token(24)
        self.url, self.state = oauth.create_authorization_url(
            meta["authorization_endpoint"],
            code_verifier=self.verifier,
            nonce=self.nonce,
            acr_values=HIGH,
            ui_locales=ui_locales,
        )
        self.callback_url: str | None = None

    def citizen_logs_in(self, pid: str = PERSON["pid"], method: str = "bankid", lang: str = "nb") -> str:
        """The browser without JavaScript: login page, form, BankID, redirect back to the client."""
        with requests.Session() as browser:
            browser.trust_env = False
            page = browser.get(self.url, timeout=10)
            assert page.status_code == 200, page.text
            assert "/login?request_id=" in page.url
            html = Page(page.text)
            assert html.lang == lang
            form = html.form
            assert form["method"] == "post"
            radios = html.radios("method")
            assert not radios["bankid"]["disabled"] and radios["minid"]["disabled"]  # high was asked
            assert pid in html.radios("pid")
            answer = browser.post(
                urljoin(page.url, form["action"]),
                allow_redirects=False,
                timeout=10,
                data={
                    "request_id": html.hidden("request_id"),
                    "csrf": html.hidden("csrf"),
                    "pid": pid,
                    "method": method,
                    "action": "login",
                },
            )
        assert answer.status_code == 302, answer.text
        self.callback_url = answer.headers["Location"]
        assert self.callback_url.startswith(REDIRECT_URI + "?")
        return self.callback_url


def validated_id_token(token: dict, meta: dict, key_set, client_id: str, nonce: str):
    claims = jwt.decode(
        token["id_token"],
        key_set,
        claims_cls=CodeIDToken,
        claims_options={
            "iss": {"essential": True, "value": meta["issuer"]},
            "aud": {"essential": True, "value": client_id},
            "acr": {"essential": True, "value": HIGH},
            "nonce": {"essential": True},
        },
        claims_params={"nonce": nonce, "client_id": client_id},
    )
    claims.validate(leeway=5)  # iss, aud, exp, iat, nonce, auth_time, amr is an array, azp
    assert claims.header["alg"] == "RS256" and claims.header["kid"]
    assert isinstance(claims["amr"], list) and claims["amr"] == ["BankID"]
    assert claims["pid"] == PERSON["pid"]
    assert claims["exp"] - claims["iat"] == 120
    return claims


def test_discovery_is_what_a_client_library_reads(meta, base):
    assert meta["issuer"] == base and not meta["issuer"].endswith("/")
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "pushed_authorization_request_endpoint",
    ):
        assert meta[name].startswith(base + "/"), name
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    }


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post", "none"])
def test_authlib_logs_a_citizen_in(method, served, base, meta, key_set):
    client = register(base, token_endpoint_auth_method=method)
    assert (client["client_secret"] is None) == (method == "none")
    oauth = session_for(client)
    round_ = AuthorizationRound(oauth, meta)
    callback = query_of(round_.citizen_logs_in())
    assert callback["iss"] == meta["issuer"]  # RFC 9207: mix-up defence
    assert callback["state"] == round_.state and set(callback) == {"code", "state", "iss"}

    token = oauth.fetch_token(
        meta["token_endpoint"],
        authorization_response=round_.callback_url,
        code_verifier=round_.verifier,
        state=round_.state,
    )
    assert token["token_type"] == "Bearer" and token["expires_in"] == 120 and token["scope"] == "openid profile"
    assert "refresh_token" not in token  # not registered for the refresh_token grant
    claims = validated_id_token(token, meta, key_set, client["client_id"], round_.nonce)
    assert claims["locale"] == "nb"

    userinfo = oauth.get(meta["userinfo_endpoint"], timeout=10)  # the access token, as a Bearer header
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == claims["sub"] and userinfo.json()["pid"] == PERSON["pid"]


def test_authlib_state_check_catches_a_forged_callback(served, base, meta):
    client = register(base)
    oauth = session_for(client)
    round_ = AuthorizationRound(oauth, meta)
    round_.citizen_logs_in()
    with pytest.raises(MismatchingStateException):
        oauth.fetch_token(
            meta["token_endpoint"],
            authorization_response=round_.callback_url,
            code_verifier=round_.verifier,
            state="someone-elses-state",
        )


class IdPortenPrivateKeyJWT(PrivateKeyJWT):
    """Authlib's private_key_jwt as ID-porten wants it: ``aud`` is the issuer, the assertion lives
    120 s (Authlib's default is an hour), and the ``client_id`` form field goes along."""

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            header=dict(self.headers or {}),
            alg=self.alg,
            expires_in=120,
        )

    def __call__(self, auth, method, uri, headers, body):
        uri, headers, body = super().__call__(auth, method, uri, headers, body)
        return uri, headers, add_params_to_qs(body, [("client_id", auth.client_id)])


def test_authlib_private_key_jwt_needs_the_client_id_form_field(served, base, meta, key_set, client_key):
    client = register(
        base, token_endpoint_auth_method="private_key_jwt", jwks={"keys": [public_jwk(client_key, JWK_KID)]}
    )
    key = RSAKey.import_key(client_key)  # the client's private key, as Authlib's PrivateKeyJWT takes it

    stock = session_for(client | {"client_secret": key})
    stock.register_client_auth_method(PrivateKeyJWT(meta["issuer"], headers={"kid": JWK_KID}))
    round_ = AuthorizationRound(stock, meta)
    round_.citizen_logs_in()
    # Authlib's stock private_key_jwt sends only client_assertion(_type); the new ID-porten refuses that.
    with pytest.raises(OAuthError) as refused:
        stock.fetch_token(
            meta["token_endpoint"],
            authorization_response=round_.callback_url,
            code_verifier=round_.verifier,
            state=round_.state,
        )
    assert refused.value.error == "invalid_request"
    assert "client_id" in refused.value.description

    # The same code still works (client authentication failed before the code was looked at).
    oauth = session_for(client | {"client_secret": key})
    oauth.register_client_auth_method(IdPortenPrivateKeyJWT(meta["issuer"], headers={"kid": JWK_KID}))
    token = oauth.fetch_token(
        meta["token_endpoint"],
        authorization_response=round_.callback_url,
        code_verifier=round_.verifier,
        state=round_.state,
    )
    validated_id_token(token, meta, key_set, client["client_id"], round_.nonce)
    assert oauth.get(meta["userinfo_endpoint"], timeout=10).json()["pid"] == PERSON["pid"]


def test_authlib_refreshes_and_the_refresh_token_rotates(served, base, meta, key_set):
    client = register(base, grant_types=["authorization_code", "refresh_token"])
    oauth = session_for(client)
    round_ = AuthorizationRound(oauth, meta, ui_locales="en")
    round_.citizen_logs_in(lang="en")
    token = oauth.fetch_token(
        meta["token_endpoint"],
        authorization_response=round_.callback_url,
        code_verifier=round_.verifier,
        state=round_.state,
    )
    first = token["refresh_token"]
    claims = validated_id_token(token, meta, key_set, client["client_id"], round_.nonce)
    assert claims["locale"] == "en"

    refreshed = oauth.refresh_token(meta["token_endpoint"])
    assert refreshed["refresh_token"] != first  # rotated
    again = validated_id_token(refreshed, meta, key_set, client["client_id"], round_.nonce)
    assert again["sub"] == claims["sub"] and again["sid"] == claims["sid"] and again["jti"] != claims["jti"]

    with pytest.raises(OAuthError) as reused:  # the old one is spent
        oauth.refresh_token(meta["token_endpoint"], refresh_token=first)
    assert reused.value.error == "invalid_grant"
    assert oauth.refresh_token(meta["token_endpoint"], refresh_token=refreshed["refresh_token"])["access_token"]
