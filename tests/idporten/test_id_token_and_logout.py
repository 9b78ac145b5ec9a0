"""What the ID-porten fake gives a client: the id_token and access token claims, discovery,
``/userinfo``, ``/logout`` with front-channel logout, and pushed authorization requests (PAR)."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.idporten import create_app
from tests.idporten.support import (
    HIGH,
    KARI,
    POST_LOGOUT_URI,
    REDIRECT_URI,
    REMOVE,
    SUBSTANTIAL,
    Idp,
    Page,
    assert_oauth_error,
    assert_page_error,
    new_verifier,
    query_of,
    s256,
    sign_raw,
    unverified,
    without_query,
)
from tests.keys import with_test_keys

ISSUER = "http://localhost:7101"


@pytest.fixture
def client(idp) -> dict:
    return idp.register()


# -- id_token ------------------------------------------------------------------------------------------
def test_the_id_token_carries_what_the_new_id_porten_puts_in_it(idp, client, clock):
    flow, tokens = idp.tokens(client)
    claims = idp.id_token_claims(tokens["id_token"], client)
    assert set(claims) == {
        "iss",
        "aud",
        "sub",
        "pid",
        "acr",
        "amr",
        "nonce",
        "sid",
        "locale",
        "auth_time",
        "iat",
        "exp",
        "jti",
    }
    assert claims["iss"] == ISSUER and not claims["iss"].endswith("/")
    assert claims["aud"] == client["client_id"]
    assert claims["pid"] == KARI and claims["sub"] != KARI and len(claims["sub"]) == 43
    assert claims["acr"] == HIGH and claims["amr"] == ["BankID"]
    assert claims["nonce"] == flow.nonce
    assert isinstance(claims["sid"], str) and len(claims["sid"]) >= 32
    assert claims["locale"] == "nb"
    assert claims["auth_time"] == claims["iat"] == clock.epoch()
    assert claims["exp"] - claims["iat"] == 120
    assert all(isinstance(claims[name], int) for name in ("auth_time", "iat", "exp"))  # NumericDate


def test_the_id_token_header_names_a_published_key(idp, client):
    _, tokens = idp.tokens(client)
    header = jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == "RS256"
    jwks = idp.browser.get("/jwks.json").get_json()
    assert header["kid"] in {key["kid"] for key in jwks["keys"]}
    assert all(key["kty"] == "RSA" and "d" not in key for key in jwks["keys"])  # public parts only


def test_sub_is_pairwise_per_client_and_stable(idp, app, client_key):
    first, second = idp.register(), idp.register()
    _, a = idp.tokens(first)
    _, b = idp.tokens(second)  # SSO: same person, same session
    sub_a = idp.id_token_claims(a["id_token"], first)["sub"]
    sub_b = idp.id_token_claims(b["id_token"], second)["sub"]
    assert sub_a != sub_b
    another_browser = Idp(app, app.test_client(), client_key)
    _, again = another_browser.tokens(first)  # a new login, another day
    assert idp.id_token_claims(again["id_token"], first)["sub"] == sub_a
    _, someone_else = Idp(app, app.test_client(), client_key).tokens(first, pid="02917945651")
    assert idp.id_token_claims(someone_else["id_token"], first)["sub"] != sub_a


@pytest.mark.parametrize(
    "method,amr,acr",
    [
        ("bankid", ["BankID"], HIGH),
        ("testid-high", ["TestID"], HIGH),
        ("testid-substantial", ["TestID"], SUBSTANTIAL),
        ("minid", ["Minid-APP"], SUBSTANTIAL),
    ],
)
def test_amr_is_an_array_and_acr_is_the_level_reached(idp, client, method, amr, acr):
    _, tokens = idp.tokens(client, login_method=method, acr_values=SUBSTANTIAL)
    claims = idp.id_token_claims(tokens["id_token"], client)
    assert claims["amr"] == amr and claims["acr"] == acr  # acr >= asked: high when BankID was used


def test_both_levels_asked_take_the_lower_as_the_minimum(idp, client):
    _, tokens = idp.tokens(client, login_method="minid", acr_values=f"{HIGH} {SUBSTANTIAL}")
    assert idp.id_token_claims(tokens["id_token"], client)["acr"] == SUBSTANTIAL


def test_locale_comes_only_with_the_profile_scope(idp, client):
    _, without = idp.tokens(client, scope="openid")
    assert "locale" not in idp.id_token_claims(without["id_token"], client)
    assert without["scope"] == "openid"
    _, english = idp.tokens(client, scope="openid profile", ui_locales="en", prompt="login")
    assert idp.id_token_claims(english["id_token"], client)["locale"] == "en"


def test_the_id_token_lifetime_follows_the_lifetimes_api(idp, client):
    idp.admin("/lifetimes", {"idporten.id_token": 60})
    _, tokens = idp.tokens(client)
    claims = idp.id_token_claims(tokens["id_token"], client)
    assert claims["exp"] - claims["iat"] == 60
    assert tokens["expires_in"] == 120  # the access token keeps its own lifetime


def test_every_token_has_its_own_jti(idp, client):
    jtis = {idp.id_token_claims(idp.tokens(client)[1]["id_token"], client)["jti"] for _ in range(3)}
    assert len(jtis) == 3


def test_a_silent_login_keeps_the_original_auth_time(idp, client, clock):
    _, first = idp.tokens(client)
    logged_in_at = clock.epoch()
    clock.move(100)
    other = idp.register()
    _, second = idp.tokens(other)
    claims = idp.id_token_claims(second["id_token"], other)
    assert claims["auth_time"] == logged_in_at and claims["iat"] == logged_in_at + 100
    assert claims["sid"] == idp.id_token_claims(first["id_token"], client)["sid"]


def test_the_access_token_is_a_self_contained_id_porten_token(idp):
    client = idp.register(org="310000019")
    _, tokens = idp.tokens(client)
    claims = unverified(tokens["access_token"])
    assert claims["iss"] == ISSUER and claims["client_id"] == client["client_id"]
    assert claims["client_amr"] == "client_secret_basic" and claims["aud"] == "unspecified"
    assert claims["pid"] == KARI and claims["acr"] == HIGH and claims["scope"] == "openid profile"
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": "0192:310000019"}
    assert claims["exp"] - claims["iat"] == tokens["expires_in"] == 120


# -- discovery -----------------------------------------------------------------------------------------
def test_discovery_has_the_real_field_set_on_one_base_url(idp):
    answer = idp.browser.get("/.well-known/openid-configuration")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    meta = answer.get_json()
    assert meta["issuer"] == ISSUER
    endpoints = {
        "authorization_endpoint": "/authorize",
        "token_endpoint": "/token",
        "userinfo_endpoint": "/userinfo",
        "end_session_endpoint": "/logout",
        "jwks_uri": "/jwks.json",
        "pushed_authorization_request_endpoint": "/par",
    }
    for name, path in endpoints.items():
        assert meta[name] == ISSUER + path, name
    assert meta["response_types_supported"] == ["code"]
    assert meta["response_modes_supported"] == ["query", "form_post"]
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert meta["scopes_supported"] == ["openid", "profile"]
    assert set(meta["acr_values_supported"]) == {SUBSTANTIAL, HIGH}
    assert set(meta["ui_locales_supported"]) == {"en", "nb", "nn", "se"}
    assert set(meta["prompt_values_supported"]) == {"consent", "login", "none"}
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
        "private_key_jwt",
    }
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "pairwise" in meta["subject_types_supported"]
    assert meta["display_values_supported"] == ["page"]
    for flag in (
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
        "authorization_response_iss_parameter_supported",
    ):
        assert meta[flag] is True, flag
    for flag in ("request_parameter_supported", "request_uri_parameter_supported", "claims_parameter_supported"):
        assert meta[flag] is False, flag
    # Nothing is advertised that the fake does not serve.
    assert not {"introspection_endpoint", "revocation_endpoint", "backchannel_logout_supported"} & set(meta)


def test_every_advertised_endpoint_is_served(idp):
    meta = idp.browser.get("/.well-known/openid-configuration").get_json()
    paths = {name: meta[name].removeprefix(ISSUER) for name in meta if name.endswith(("_endpoint", "_uri"))}
    for name, path in paths.items():
        assert idp.browser.get(path).status_code != 404, name
        assert idp.browser.post(path).status_code != 404, name


# -- userinfo ------------------------------------------------------------------------------------------
def test_userinfo_answers_for_the_access_token(idp, client):
    _, tokens = idp.tokens(client)
    answer = idp.browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.status_code == 200
    sub = idp.id_token_claims(tokens["id_token"], client)["sub"]
    assert answer.get_json() == {"sub": sub, "pid": KARI, "locale": "nb"}
    posted = idp.browser.post("/userinfo", headers={"Authorization": f"bearer {tokens['access_token']}"})
    assert posted.status_code == 200


def test_userinfo_without_profile_has_no_locale(idp, client):
    _, tokens = idp.tokens(client, scope="openid")
    answer = idp.browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert "locale" not in answer.get_json()


def test_userinfo_gives_the_locale_of_the_login(idp, client):
    _, tokens = idp.tokens(client, ui_locales="en")
    answer = idp.browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.get_json()["locale"] == idp.id_token_claims(tokens["id_token"], client)["locale"] == "en"


def _refused_at_userinfo(idp, authorization: str | None):
    headers = {"Authorization": authorization} if authorization is not None else {}
    answer = idp.browser.get("/userinfo", headers=headers)
    assert_oauth_error(answer, 401, "invalid_token")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_userinfo_refuses_a_missing_or_wrong_token(idp, client, stranger_key):
    _, tokens = idp.tokens(client)
    _refused_at_userinfo(idp, None)
    _refused_at_userinfo(idp, "Basic abc")
    _refused_at_userinfo(idp, "Bearer garbage")
    _refused_at_userinfo(idp, f"Bearer {tokens['id_token']}")  # an id_token is not an access token
    forged = sign_raw(
        {"alg": "RS256", "kid": jwt.get_unverified_header(tokens["access_token"])["kid"]},
        unverified(tokens["access_token"]),
        stranger_key,
    )
    _refused_at_userinfo(idp, f"Bearer {forged}")


def test_userinfo_refuses_an_access_token_expired_in_protocol_time(idp, client, clock):
    _, tokens = idp.tokens(client)
    clock.move(121)
    _refused_at_userinfo(idp, f"Bearer {tokens['access_token']}")


def test_userinfo_accepts_a_token_issued_when_protocol_time_was_moved_ahead(idp, client, clock):
    clock.move(3600)  # the fake's protocol time is its own, not the host's wall clock
    _, tokens = idp.tokens(client)
    answer = idp.browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_userinfo_accepts_a_token_signed_before_a_key_rotation(settings, clock, client_key, tmp_path):
    authority = KeyAuthority.open(with_test_keys(tmp_path / "own-authority"), datetime.now(UTC))
    app = create_app(settings, authority=authority, clock=clock)
    idp = Idp(app, app.test_client(), client_key)
    client = idp.register()
    _, tokens = idp.tokens(client)
    assert idp.browser.post("/_sandbox/keys/rotate").status_code == 200
    answer = idp.browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    app.extensions["sandbox"].store.close()


# -- logout --------------------------------------------------------------------------------------------
def _logout(idp, method: str = "GET", **params):
    params = {k: v for k, v in params.items() if v is not REMOVE}
    if method == "GET":
        return idp.browser.get("/logout", query_string=params)
    return idp.browser.post("/logout", data=params)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_logout_with_a_hint_goes_back_with_the_state(idp, client, method):
    _, tokens = idp.tokens(client)
    answer = _logout(
        idp, method, id_token_hint=tokens["id_token"], post_logout_redirect_uri=POST_LOGOUT_URI, state="ut logget/ø"
    )
    assert answer.status_code == 302
    assert without_query(answer.headers["Location"]) == POST_LOGOUT_URI
    assert query_of(answer.headers["Location"]) == {"state": "ut logget/ø"}
    assert "idporten_sso=;" in answer.headers["Set-Cookie"]


def _confirm(idp, answer):
    """Press "log out" on ID-porten's confirmation page (a logout without id_token_hint)."""
    assert answer.status_code == 200, answer.get_data(as_text=True)
    page = Page(answer.get_data(as_text=True))
    fields = {i["name"]: i["value"] for i in page.form["inputs"] if i.get("type") == "hidden"}
    assert fields["csrf"]
    return idp.browser.post("/logout", data=fields)


def test_logout_with_client_id_instead_of_a_hint_asks_the_citizen_first(idp, client):
    idp.tokens(client)
    asked = _logout(idp, client_id=client["client_id"], post_logout_redirect_uri=POST_LOGOUT_URI, state="s1")
    assert "code" in idp.authorize(client).callback  # asking ended nothing
    answer = _confirm(idp, asked)
    assert answer.status_code == 302 and answer.headers["Location"] == POST_LOGOUT_URI + "?state=s1"
    assert idp.authorize(client).request_id  # the session is over


def test_logout_csrf_a_logout_without_a_hint_ends_nothing_unconfirmed(idp, app, client):
    """Issue 15, finding 5: any page could end the citizen's session with ``GET /logout``."""
    idp.tokens(client)
    for forged in (_logout(idp), _logout(idp, client_id=client["client_id"]), _logout(idp, "POST", csrf="guess")):
        assert forged.status_code == 200
        assert "csrf" in forged.get_data(as_text=True) and "idporten_sso=;" not in forged.headers.get("Set-Cookie", "")
        assert "code" in idp.authorize(client).callback  # still logged in
    stranger = app.test_client()
    token = Page(_logout(idp).get_data(as_text=True)).hidden("csrf")
    assert stranger.post("/logout", data={"csrf": token}).status_code == 200  # another browser has no session
    assert "code" in idp.authorize(client).callback


def test_an_expired_id_token_hint_still_names_the_client(idp, client, clock):
    _, tokens = idp.tokens(client)
    clock.move(3600)
    answer = _logout(idp, id_token_hint=tokens["id_token"], post_logout_redirect_uri=POST_LOGOUT_URI)
    assert answer.status_code == 302


def test_an_id_token_hint_issued_when_protocol_time_was_moved_ahead_names_the_client(idp, client, clock):
    clock.move(3600)
    _, tokens = idp.tokens(client)
    answer = _logout(idp, id_token_hint=tokens["id_token"], post_logout_redirect_uri=POST_LOGOUT_URI)
    assert answer.status_code == 302, answer.get_data(as_text=True)


def test_an_unregistered_post_logout_redirect_uri_is_shown_on_the_page(idp, client):
    _, tokens = idp.tokens(client)
    answer = _logout(idp, id_token_hint=tokens["id_token"], post_logout_redirect_uri="https://evil.example/out")
    assert_page_error(answer, 400, "post_logout_redirect_uri")


def test_a_post_logout_redirect_uri_without_hint_or_client_id_is_shown_on_the_page(idp, client):
    idp.tokens(client)
    assert_page_error(_logout(idp, post_logout_redirect_uri=POST_LOGOUT_URI), 400)


def test_a_foreign_or_broken_id_token_hint_is_shown_on_the_page(idp, client, stranger_key):
    _, tokens = idp.tokens(client)
    forged = sign_raw({"alg": "RS256", "kid": "x"}, unverified(tokens["id_token"]), stranger_key)
    for hint in (forged, "garbage"):
        assert_page_error(_logout(idp, id_token_hint=hint, post_logout_redirect_uri=POST_LOGOUT_URI), 400)
    assert_page_error(_logout(idp, client_id="nobody"), 400)


def test_logout_without_a_client_shows_the_logged_out_page(idp, client):
    idp.tokens(client)
    answer = _confirm(idp, _logout(idp, ui_locales="en"))
    assert answer.status_code == 200
    page = Page(answer.get_data(as_text=True))
    assert page.lang == "en" and "You are logged out" in page.text
    assert idp.authorize(client).request_id  # the session is over
    # the page has the other pages' language switch, and the switch shows it again in bokmål
    [switch] = [link for link in page.links if link.get("id") == "switch-language"]
    assert "lang=nb" in switch["href"] and switch["href"].startswith("/logout?")
    again = Page(idp.browser.get(switch["href"]).get_data(as_text=True))
    assert again.lang == "nb" and "Du er logget ut" in again.text


def test_after_logout_the_sso_cookie_no_longer_logs_in_silently(idp, client):
    idp.tokens(client)
    sid_cookie = idp.browser.get_cookie("idporten_sso")
    assert sid_cookie is not None
    assert "code" in idp.authorize(client).callback  # silent before
    _confirm(idp, _logout(idp, client_id=client["client_id"], post_logout_redirect_uri=POST_LOGOUT_URI))
    assert idp.browser.get_cookie("idporten_sso") is None
    assert idp.authorize(client).request_id  # the login page after
    idp.browser.set_cookie("idporten_sso", sid_cookie.value)  # a kept copy of the cookie is dead too
    assert idp.authorize(client).request_id
    assert idp.authorize(client, prompt="none").callback["error"] == "login_required"


def test_an_id_tokens_sid_used_as_the_sso_cookie_logs_nobody_in(idp, app, client):
    """Session hijack (issue 15, finding 1): an insurer holds the citizen's id_token and puts its
    ``sid`` into an ``idporten_sso`` cookie of its own browser. It must get the login page, never a
    code for the citizen."""
    _, tokens = idp.tokens(client)
    sid = unverified(tokens["id_token"])["sid"]
    assert idp.browser.get_cookie("idporten_sso").value != sid  # the session secret never leaves the browser
    attacker = Idp(app, app.test_client(), idp.private_key)
    attacker.browser.set_cookie("idporten_sso", sid)
    flow = attacker.authorize(client)
    assert flow.request_id and "code" not in flow.callback
    assert attacker.authorize(client, prompt="none").callback["error"] == "login_required"
    assert "code" in idp.authorize(client).callback  # the citizen's own browser still has its SSO


def test_logout_revokes_the_sessions_refresh_tokens(idp):
    client = idp.register(grant_types=["authorization_code", "refresh_token"])
    _, tokens = idp.tokens(client)
    _logout(idp, id_token_hint=tokens["id_token"])
    assert_oauth_error(idp.refresh(client, tokens["refresh_token"]), 400, "invalid_grant")


def test_front_channel_logout_frames_every_client_of_the_session(idp):
    first = idp.register(frontchannel_logout_uri="https://a.example/logout/fc")
    second = idp.register(frontchannel_logout_uri="https://b.example/fc?tenant=2")
    quiet = idp.register()
    idp.tokens(first)
    idp.tokens(quiet)
    _, tokens = idp.tokens(second)  # all three in one SSO session
    sid = idp.id_token_claims(tokens["id_token"], second)["sid"]
    answer = _logout(
        idp, "POST", id_token_hint=tokens["id_token"], post_logout_redirect_uri=POST_LOGOUT_URI, state="s1"
    )
    assert answer.status_code == 200 and answer.headers.get("Location") is None
    page = Page(answer.get_data(as_text=True))
    frames = sorted(page.iframes)
    assert len(frames) == 2  # the initiating client gets one too
    assert without_query(frames[0]) == "https://a.example/logout/fc"
    assert query_of(frames[0]) == {"iss": ISSUER, "sid": sid}
    assert without_query(frames[1]) == "https://b.example/fc"
    assert query_of(frames[1]) == {"tenant": "2", "iss": ISSUER, "sid": sid}
    continue_link = next(link for link in page.links if link.get("id") == "continue")
    assert continue_link["href"] == POST_LOGOUT_URI + "?state=s1"
    assert 'http-equiv="refresh"' in answer.get_data(as_text=True)
    assert idp.authorize(first).request_id


# -- PAR -----------------------------------------------------------------------------------------------
def _push(idp, client: dict, verifier: str, **overrides):
    params = idp.authorization_params(client, verifier, **overrides)
    params.pop("client_id")
    form, headers = dict(params), {}
    idp.auth(client, form, headers)
    return params, idp.browser.post("/par", data=form, headers=headers)


def test_par_then_authorize_with_the_request_uri_logs_in_once(idp, client):
    verifier = new_verifier()
    params, answer = _push(idp, client, verifier)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    pushed = answer.get_json()
    assert set(pushed) == {"request_uri", "expires_in"}
    assert pushed["request_uri"].startswith("urn:idporten:") and pushed["expires_in"] == 120

    query = {"client_id": client["client_id"], "request_uri": pushed["request_uri"]}
    start = idp.browser.get("/authorize", query_string=query)
    assert start.status_code == 302 and start.headers["Location"].startswith("/login?")
    flow = idp.authorize(client, verifier=None)  # a Flow to carry the pushed request's state
    flow.params, flow.verifier = {**params, "client_id": client["client_id"]}, verifier
    flow.request_id = query_of(start.headers["Location"])["request_id"]
    assert idp.submit_login(flow).status_code == 302
    assert flow.callback["state"] == params["state"] and flow.callback["iss"] == ISSUER
    tokens = idp.redeem(flow).get_json()
    assert idp.id_token_claims(tokens["id_token"], client)["nonce"] == params["nonce"]

    assert_page_error(idp.browser.get("/authorize", query_string=query), 400, "request_uri")  # used


def test_par_with_a_private_key_jwt_client(idp):
    client = idp.register("private_key_jwt")
    _, answer = _push(idp, client, new_verifier())
    assert answer.status_code == 201, answer.get_data(as_text=True)


def test_another_clients_request_uri_is_refused(idp, client):
    _, answer = _push(idp, client, new_verifier())
    other = idp.register()
    query = {"client_id": other["client_id"], "request_uri": answer.get_json()["request_uri"]}
    assert_page_error(idp.browser.get("/authorize", query_string=query), 400, "request_uri")


def test_an_expired_request_uri_is_refused(idp, client, clock):
    _, answer = _push(idp, client, new_verifier())
    clock.move(121)
    query = {"client_id": client["client_id"], "request_uri": answer.get_json()["request_uri"]}
    assert_page_error(idp.browser.get("/authorize", query_string=query), 400, "request_uri")


def test_an_unknown_request_uri_is_refused(idp, client):
    query = {"client_id": client["client_id"], "request_uri": "urn:idporten:nope"}
    assert_page_error(idp.browser.get("/authorize", query_string=query), 400, "request_uri")


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"code_challenge": REMOVE, "code_challenge_method": REMOVE}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"acr_values": "Level4"}, "invalid_request"),
        ({"redirect_uri": REDIRECT_URI + "/"}, "invalid_request"),
        ({"redirect_uri": REMOVE}, "invalid_request"),
    ],
    ids=["pkce", "plain", "scope", "response_type", "acr", "redirect_uri", "no-redirect_uri"],
)
def test_invalid_par_parameters_are_a_400_json_error(idp, client, overrides, error):
    _, answer = _push(idp, client, new_verifier(), **overrides)
    assert_oauth_error(answer, 400, error)


def test_par_takes_a_request_without_state_and_nonce_from_a_client_with_pkce(idp, client):
    _, answer = _push(idp, client, new_verifier(), state=REMOVE, nonce=REMOVE)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    _, refused = _push(idp, idp.register(pkce_required=False), None, state=REMOVE)
    assert_oauth_error(refused, 400, "invalid_request")


def test_par_needs_client_authentication(idp, client):
    params = idp.authorization_params(client, new_verifier())
    assert_oauth_error(idp.browser.post("/par", data=params), 401, "invalid_client")
    assert_oauth_error(idp.browser.post("/par", json=params), 400, "invalid_request")


def test_a_pushed_request_can_be_used_with_the_challenge_it_was_pushed_with_only(idp, client):
    verifier = new_verifier()
    params, answer = _push(idp, client, verifier)
    assert params["code_challenge"] == s256(verifier)
    query = {
        "client_id": client["client_id"],
        "request_uri": answer.get_json()["request_uri"],
        "code_challenge": s256(new_verifier()),
    }  # extra front-channel params are ignored
    start = idp.browser.get("/authorize", query_string=query)
    flow = idp.authorize(client, verifier=None)
    flow.params, flow.verifier = {**params, "client_id": client["client_id"]}, verifier
    flow.request_id = query_of(start.headers["Location"])["request_id"]
    idp.submit_login(flow)
    assert idp.redeem(flow).status_code == 200


def test_another_clients_request_uri_is_refused_and_stays_usable_by_its_owner(idp, client):
    _params, answer = _push(idp, client, new_verifier())
    request_uri = answer.get_json()["request_uri"]
    thief = idp.register()
    stolen = idp.browser.get("/authorize", query_string={"client_id": thief["client_id"], "request_uri": request_uri})
    assert_page_error(stolen, 400, "request_uri")
    owner = idp.browser.get("/authorize", query_string={"client_id": client["client_id"], "request_uri": request_uri})
    assert owner.status_code == 302 and owner.headers["Location"].startswith("/login?")
