"""``/authorize`` and the login page: every refusal, with the exact OAuth ``error`` and where it goes.

An unknown client or a redirect_uri that is not registered exactly is shown on ID-porten's own page
(400, never a redirect: the client cannot be trusted). Every other problem goes back to the
client's redirect_uri with ``error``, ``error_description``, ``state`` and RFC 9207 ``iss``.
"""

from __future__ import annotations

import pytest

from dsop_sandbox.mocks.common.identifiers import fnr_problem
from tests.idporten.support import (
    HIGH,
    KARI,
    OTHER_SYNTHETIC_PID,
    REAL_LOOKING_PID,
    REDIRECT_URI,
    REMOVE,
    SUBSTANTIAL,
    Page,
    assert_page_error,
    query_of,
    s256,
    without_query,
)


def assert_back_at_client(flow, error: str, *, with_state: bool = True) -> dict:
    """A 302 to the registered redirect_uri carrying ``error`` (+ description, state, iss)."""
    answer = flow.response
    assert answer.status_code == 302, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert without_query(location) == flow.params["redirect_uri"], location
    values = query_of(location)
    assert values["error"] == error, values
    assert values["error_description"]
    assert values["iss"] == "http://localhost:7101"
    if with_state:
        assert values["state"] == flow.params["state"]
    else:
        assert "state" not in values
    assert "code" not in values
    return values


@pytest.fixture
def client(idp) -> dict:
    return idp.register()


# -- shown on ID-porten's page -----------------------------------------------------------------------------
def test_unknown_client_is_shown_on_the_page_never_redirected(idp, client):
    flow = idp.authorize(client, client_id="no-such-client")
    page = assert_page_error(flow.response, 400, "unknown client_id")
    assert page.lang == "nb"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT_URI + "/",  # trailing slash
        "https://forsikring.example:8443/login/callback",  # another port
        "http://forsikring.example/login/callback",  # another scheme
        "https://FORSIKRING.example/login/callback",  # not exact (case)
        REDIRECT_URI + "?next=/",  # added query
        "https://evil.example/login/callback",  # another host
    ],
    ids=["trailing-slash", "other-port", "http", "case", "query", "other-host"],
)
def test_a_redirect_uri_that_is_not_registered_exactly_is_shown_on_the_page(idp, client, redirect_uri):
    flow = idp.authorize(client, redirect_uri=redirect_uri)
    assert_page_error(flow.response, 400, "redirect_uri is not registered")


def test_a_missing_redirect_uri_is_shown_on_the_page(idp, client):
    flow = idp.authorize(client, redirect_uri=REMOVE)
    assert_page_error(flow.response, 400)


def test_the_page_error_speaks_english_when_asked(idp, client):
    flow = idp.authorize(client, client_id="no-such-client", ui_locales="en")
    assert assert_page_error(flow.response, 400).lang == "en"


# -- sent back to the client ----------------------------------------------------------------------------
def test_response_type_token_is_unsupported(idp, client):
    flow = idp.authorize(client, response_type="token")
    assert_back_at_client(flow, "unsupported_response_type")
    assert "#" not in flow.response.headers["Location"]  # never a fragment: only the code flow exists


# -- state and nonce are recommended (Digdir, «/authorize endpoint», docs.digdir.no/docs/idporten/oidc/
#    oidc_protocol_authorize): state is required only of public clients and of clients without PKCE ---------
def test_a_confidential_client_with_pkce_may_leave_out_state_and_nonce(idp, client):
    flow, tokens = idp.tokens(client, state=REMOVE, nonce=REMOVE)
    assert set(flow.callback) == {"code", "iss"}  # no state to give back
    claims = idp.id_token_claims(tokens["id_token"], client)
    assert "nonce" not in claims and claims["pid"] == KARI


def test_a_public_client_must_send_state(idp):
    public = idp.register("none")
    values = assert_back_at_client(idp.authorize(public, state=REMOVE), "invalid_request", with_state=False)
    assert "state is required for public clients" in values["error_description"]
    assert idp.authorize(public, nonce=REMOVE).request_id  # with state (and PKCE), no nonce is needed


def test_a_client_without_pkce_must_send_state(idp):
    without_pkce = idp.register(pkce_required=False)
    flow = idp.authorize(without_pkce, verifier=None, state=REMOVE)
    values = assert_back_at_client(flow, "invalid_request", with_state=False)
    assert "when PKCE is not used" in values["error_description"]
    assert idp.authorize(without_pkce, verifier=None).request_id  # with state it may leave PKCE out


def test_missing_pkce_is_an_invalid_request(idp, client):
    values = assert_back_at_client(idp.authorize(client, verifier=None), "invalid_request")
    assert "PKCE" in values["error_description"]


def test_a_challenge_without_its_method_is_refused(idp, client):
    assert_back_at_client(idp.authorize(client, code_challenge_method=REMOVE), "invalid_request")


def test_a_client_registered_without_pkce_may_leave_it_out(idp):
    legacy = idp.register(pkce_required=False)
    flow = idp.authorize(legacy, verifier=None)
    assert flow.request_id
    idp.submit_login(flow)
    assert idp.redeem(flow).status_code == 200  # no code_verifier needed either
    with_pkce = idp.login(legacy)  # but a challenge sent binds the code
    assert idp.redeem(with_pkce, code_verifier=None).status_code == 400


def test_a_public_client_cannot_be_registered_without_pkce(idp):
    answer = idp.browser.post(
        "/_sandbox/clients",
        json={
            "client_name": "SPA",
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
            "pkce_required": False,
        },
    )
    assert answer.status_code == 400


def test_pkce_plain_is_refused(idp, client):
    flow = idp.authorize(client, verifier=None, code_challenge="a" * 43, code_challenge_method="plain")
    values = assert_back_at_client(flow, "invalid_request")
    assert "S256" in values["error_description"]


@pytest.mark.parametrize(
    "challenge",
    [
        s256("x" * 43) + "=",  # padded
        s256("x" * 43)[:42],  # too short
        s256("x" * 43)[:42] + "+",  # base64, not base64url
        "",  # empty with a method
    ],
    ids=["padded", "short", "not-url-safe", "empty"],
)
def test_a_malformed_challenge_is_refused(idp, client, challenge):
    flow = idp.authorize(client, verifier=None, code_challenge=challenge, code_challenge_method="S256")
    assert_back_at_client(flow, "invalid_request")


@pytest.mark.parametrize("scope", ["profile", "", "openidprofile", "openid nav:unknown/scope"])
def test_a_scope_without_openid_or_not_registered_is_invalid_scope(idp, client, scope):
    assert_back_at_client(idp.authorize(client, scope=scope), "invalid_scope")


@pytest.mark.parametrize("acr", ["Level4", "Level3", "eidas-loa-high", "idporten-loa-high Level4"])
def test_unsupported_acr_values_are_an_invalid_request(idp, client, acr):
    values = assert_back_at_client(idp.authorize(client, acr_values=acr), "invalid_request")
    assert "acr_values" in values["error_description"]


def test_an_unknown_prompt_is_an_invalid_request(idp, client):
    assert_back_at_client(idp.authorize(client, prompt="select_account"), "invalid_request")


def test_an_unknown_response_mode_is_an_invalid_request(idp, client):
    flow = idp.authorize(client, response_mode="fragment")
    values = assert_back_at_client(flow, "invalid_request")
    assert "response_mode" in values["error_description"]


def test_prompt_none_without_a_session_is_login_required(idp, client):
    assert_back_at_client(idp.authorize(client, prompt="none"), "login_required")


def test_the_state_comes_back_exactly_url_encoded(idp, client):
    state = "a b&c=d/é?+%"
    flow = idp.authorize(client, state=state, acr_values="Level4")
    location = flow.response.headers["Location"]
    assert "a+b%26c%3Dd%2F%C3%A9%3F%2B%25" in location or "a%20b%26c%3Dd%2F%C3%A9%3F%2B%25" in location
    assert query_of(location)["state"] == state


def test_an_error_keeps_the_registered_query_of_the_redirect_uri(idp):
    with_query = REDIRECT_URI + "?tenant=7"
    client = idp.register(redirect_uris=[with_query])
    flow = idp.authorize(client, redirect_uri=with_query, acr_values="Level4")
    assert flow.response.headers["Location"].startswith(with_query + "&")
    assert query_of(flow.response.headers["Location"])["tenant"] == "7"


def test_authorize_takes_post_as_well(idp, client):
    flow = idp.authorize(client, method="POST")
    assert flow.request_id


# -- response_mode=form_post ------------------------------------------------------------------------------
def test_form_post_answers_with_a_self_posting_form_that_works_without_javascript(idp, client):
    flow = idp.authorize(client, response_mode="form_post")
    answer = idp.submit_login(flow)
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert "Location" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    page = Page(answer.get_data(as_text=True))
    form = page.form
    assert form["method"] == "post" and form["action"] == REDIRECT_URI
    fields = {i["name"]: i["value"] for i in form["inputs"] if i.get("type") == "hidden"}
    assert set(fields) == {"code", "state", "iss"}
    assert fields["state"] == flow.state and fields["iss"] == idp.issuer
    assert page.noscript_buttons and page.noscript_buttons[0].get("type") == "submit"
    assert 'onload="document.forms[0].submit()"' in answer.get_data(as_text=True)
    # never framed (issue 15, finding 6), and its policy lets the form post itself to the client
    assert answer.headers["X-Frame-Options"] == "DENY"
    policy = answer.headers["Content-Security-Policy"]
    assert policy == "frame-ancestors 'none'" and "form-action" not in policy and "script-src" not in policy

    flow.callback = fields  # the code works like a query-mode one
    assert idp.redeem(flow).status_code == 200


def test_the_form_post_page_speaks_the_requests_language(idp, client):
    norwegian = Page(idp.submit_login(idp.authorize(client, response_mode="form_post")).get_data(as_text=True))
    assert norwegian.lang == "nb" and norwegian.text == "ID-porten Fortsett"
    # signed in now, so the next request is answered at once, in its ui_locales
    english = Page(idp.authorize(client, response_mode="form_post", ui_locales="en").response.get_data(as_text=True))
    assert english.lang == "en" and english.text == "ID-porten Continue"


def test_form_post_carries_errors_too(idp, client):
    flow = idp.authorize(client, response_mode="form_post", acr_values="Level4")
    assert flow.response.status_code == 200
    fields = {i["name"]: i["value"] for i in Page(flow.response.get_data(as_text=True)).form["inputs"]}
    assert fields["error"] == "invalid_request" and fields["state"] == flow.state and fields["iss"] == idp.issuer


# -- the login page ---------------------------------------------------------------------------------------
def test_the_login_page_is_norwegian_by_default_and_english_on_request(idp, client):
    norwegian = idp.login_page(idp.authorize(client))
    assert norwegian.lang == "nb" and "Logg inn med ID-porten" in norwegian.text
    english = idp.login_page(idp.authorize(client, ui_locales="en"))
    assert english.lang == "en" and "Log in with ID-porten" in english.text
    assert idp.login_page(idp.authorize(client, ui_locales="nn en")).lang == "nb"  # nn falls back to nb
    switched = idp.authorize(client)
    assert idp.login_page(switched, ui_locales="en").lang == "en"  # the user's own choice


def test_the_citizens_choice_of_language_is_remembered_and_wins_over_ui_locales(idp, client):
    chosen = idp.browser.get("/login", query_string={"request_id": idp.authorize(client).request_id, "lang": "en"})
    assert Page(chosen.get_data(as_text=True)).lang == "en"
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith("dsop_lang=en;") and "Path=/" in cookie and "SameSite=Lax" in cookie
    # the next login, asked in bokmål by the client, is in the citizen's language (as ID-porten's own cookie does)
    again = idp.login_page(idp.authorize(client, ui_locales="nb"))
    assert again.lang == "en"
    assert 'href="/login?request_id=' in idp.browser.get(
        "/login", query_string={"request_id": idp.authorize(client).request_id}
    ).get_data(as_text=True)
    assert idp.login_page(idp.authorize(client), lang="nb").lang == "nb"
    assert idp.login_page(idp.authorize(client, ui_locales="en")).lang == "nb"  # the choice holds
    idp.browser.delete_cookie("dsop_lang")
    assert idp.login_page(idp.authorize(client, ui_locales="en")).lang == "en"
    assert idp.login_page(idp.authorize(client), lang="xx").lang == "nb"  # not a choice


def test_login_hint_preselects_the_person_and_marks_it(idp, client):
    persons = [p["pid"] for p in idp.service.persons.all()]
    assert len(persons) > 1
    hinted = persons[1]
    page = idp.login_page(idp.authorize(client, login_hint=hinted))
    assert [pid for pid, r in page.radios("pid").items() if r["checked"]] == [hinted]
    assert "Forhåndsvalgt av sandkassen" in page.text
    plain = idp.login_page(idp.authorize(client))
    assert [pid for pid, r in plain.radios("pid").items() if r["checked"]] == [persons[0]]
    assert "Forhåndsvalgt" not in plain.text
    # a synthetic number no test person has goes in the free field; anything else is no hint
    other = idp.login_page(idp.authorize(client, login_hint=OTHER_SYNTHETIC_PID))
    field = next(i for i in other.form["inputs"] if i.get("name") == "other_pid")
    assert field["value"] == OTHER_SYNTHETIC_PID and "Forhåndsvalgt av sandkassen" in other.text
    for junk in (REAL_LOOKING_PID, "kari@example.com", "1" * 500):
        ignored = idp.login_page(idp.authorize(client, login_hint=junk))
        assert "Forhåndsvalgt" not in ignored.text and junk not in ignored.text
    # a hint is no choice: the citizen logs in as whoever they pick
    flow = idp.authorize(client, login_hint=hinted)
    assert idp.submit_login(flow, pid=persons[0]).status_code == 302


def test_the_methods_offered_follow_the_level_asked(idp, client):
    high = idp.login_page(idp.authorize(client, acr_values=HIGH)).radios("method")
    assert {m for m, r in high.items() if not r["disabled"]} == {"testid-high", "bankid"}
    assert high["testid-high"]["checked"]
    substantial = idp.login_page(idp.authorize(client, acr_values=SUBSTANTIAL)).radios("method")
    assert not any(r["disabled"] for r in substantial.values()) and len(substantial) == 4
    default = idp.login_page(idp.authorize(client, acr_values=REMOVE)).radios("method")
    assert not any(r["disabled"] for r in default.values())  # ID-porten's default is substantial


@pytest.mark.parametrize("method", ["minid", "testid-substantial"])
def test_a_method_below_the_level_asked_is_refused_on_the_page(idp, client, method):
    flow = idp.authorize(client, acr_values=HIGH)
    answer = idp.submit_login(flow, method=method)
    page = assert_page_error(answer, 400, "gir for lavt sikkerhetsnivå")
    assert page.hidden("request_id") == flow.request_id  # the citizen can try again
    assert idp.submit_login(flow, method="bankid").status_code == 302


def test_a_method_below_the_level_is_refused_in_english_too(idp, client):
    answer = idp.submit_login(idp.authorize(client, acr_values=HIGH, ui_locales="en"), method="minid")
    assert assert_page_error(answer, 400, "gives too low a security level").lang == "en"


@pytest.mark.parametrize("field", ["other_pid", "pid"])
def test_a_real_looking_fodselsnummer_is_refused_on_the_page(idp, client, field):
    assert fnr_problem(REAL_LOOKING_PID) is not None and fnr_problem(REAL_LOOKING_PID[:9]) is not None
    flow = idp.authorize(client)
    answer = idp.submit_login(flow, **{field: REAL_LOOKING_PID})
    assert_page_error(answer, 400, REAL_LOOKING_PID, "bare syntetiske testnummer")


@pytest.mark.parametrize("pid", ["1234", "15838512328", "abcdefghijk"], ids=["short", "check-digits", "letters"])
def test_a_malformed_fodselsnummer_is_refused_on_the_page(idp, client, pid):
    assert_page_error(idp.submit_login(idp.authorize(client), pid=None, other_pid=pid), 400)


def test_no_person_or_no_method_is_refused_on_the_page(idp, client):
    flow = idp.authorize(client)
    assert_page_error(idp.submit_login(flow, pid=None), 400, "velg en testperson")
    assert_page_error(idp.submit_login(flow, method=None), 400, "velg innloggingsmetode")
    assert_page_error(idp.submit_login(flow, method="password"), 400, "velg innloggingsmetode")


def test_another_synthetic_number_logs_in(idp, client):
    flow = idp.authorize(client)
    assert idp.submit_login(flow, other_pid=OTHER_SYNTHETIC_PID).status_code == 302
    claims = idp.id_token_claims(idp.redeem(flow).get_json()["id_token"], client)
    assert claims["pid"] == OTHER_SYNTHETIC_PID  # other_pid wins over the radio button


def test_an_unknown_or_used_request_id_is_shown_on_the_page(idp, client):
    assert_page_error(idp.browser.get("/login?request_id=nope"), 400, "the login has expired")
    flow = idp.login(client)
    assert_page_error(idp.submit_login(flow), 400, "the login has expired")  # the request is spent


def test_cancel_sends_access_denied_back_to_the_client(idp, client):
    flow = idp.authorize(client)
    idp.submit_login(flow, action="cancel", pid=None, method=None)
    assert_back_at_client(flow, "access_denied")
    # no SSO session from a cancelled login (a completed one sets the cookie: see idp.login)
    assert not [h for h in flow.response.headers.getlist("Set-Cookie") if h.startswith("idporten_sso=")]
    assert idp.browser.get_cookie("idporten_sso") is None
    logged_in = idp.login(client, prompt="login")
    assert [h for h in logged_in.response.headers.getlist("Set-Cookie") if h.startswith("idporten_sso=")]


def test_a_denied_login_goes_back_as_access_denied_once(idp, client):
    idp.admin("/deny-login", {})
    flow = idp.authorize(client)
    idp.submit_login(flow)
    assert_back_at_client(flow, "access_denied")
    assert "code" in idp.login(client).callback  # only the next login was denied


def test_deny_login_can_name_the_error_and_a_count(idp, client):
    idp.admin("/deny-login", {"count": 2, "error": "temporarily_unavailable"})
    for _ in range(2):
        flow = idp.authorize(client)
        idp.submit_login(flow)
        assert_back_at_client(flow, "temporarily_unavailable")
    assert "code" in idp.login(client).callback


# -- SSO -------------------------------------------------------------------------------------------------
def test_sso_logs_the_citizen_in_silently_at_another_client(idp, client):
    idp.login(client)
    other = idp.register(client_name="Annen Forsikring AS")
    flow = idp.authorize(other)
    assert flow.request_id is None and "code" in flow.callback  # 302 straight back with a code
    assert flow.callback["state"] == flow.state and flow.callback["iss"] == idp.issuer
    claims = idp.id_token_claims(idp.redeem(flow).get_json()["id_token"], other)
    assert claims["pid"] == KARI and claims["amr"] == ["BankID"] and claims["acr"] == HIGH


def test_prompt_none_with_a_session_is_silent(idp, client):
    idp.login(client)
    assert "code" in idp.authorize(client, prompt="none").callback


def test_prompt_login_shows_the_login_page_despite_the_session(idp, client):
    idp.login(client)
    flow = idp.authorize(idp.register(), prompt="login")
    assert flow.request_id and flow.response.headers["Location"].startswith("/login?")


def test_a_substantial_session_does_not_satisfy_a_high_request(idp, client):
    idp.login(client, login_method="minid", acr_values=SUBSTANTIAL)
    other = idp.register()
    assert "code" in idp.authorize(other, acr_values=SUBSTANTIAL).callback  # silent at the same level
    flow = idp.authorize(other, acr_values=HIGH)
    assert flow.request_id  # the login page again
    assert_back_at_client(idp.authorize(other, acr_values=HIGH, prompt="none"), "login_required")


def test_the_sso_session_ends_with_its_lifetime(idp, client, clock):
    idp.login(client)
    clock.move(1801)
    assert idp.authorize(client).request_id


# -- login CSRF (issue 15, finding 5) ------------------------------------------------------------------------
def test_login_csrf_a_form_prepared_in_one_browser_logs_no_other_browser_in(idp, app):
    """The attacker starts a login in its own browser, takes the page's form (request_id, anti-CSRF
    token) and has the victim's browser post it with a person of the attacker's choosing."""
    client = idp.register()
    prepared = idp.authorize(client)
    form = idp.login_page(prepared)
    victim = app.test_client()
    answer = victim.post(
        "/login",
        data={
            "request_id": form.hidden("request_id"),
            "csrf": form.hidden("csrf"),
            "pid": KARI,
            "method": "bankid",
            "action": "login",
        },
    )
    assert_page_error(answer, 403, "another browser")
    assert victim.get_cookie("idporten_sso") is None
    assert "Location" not in answer.headers  # no code went to the client


def test_login_csrf_the_same_browser_without_the_pages_token_is_refused(idp):
    client = idp.register()
    flow = idp.authorize(client)
    answer = idp.browser.post(
        "/login", data={"request_id": flow.request_id, "pid": KARI, "method": "bankid", "action": "login"}
    )
    assert_page_error(answer, 403)
    assert idp.browser.get_cookie("idporten_sso") is None
    assert idp.submit_login(flow).status_code == 302  # with the page's token the login goes on
