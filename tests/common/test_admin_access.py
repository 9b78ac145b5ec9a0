"""The admin API against another web page (issue 15, finding 3), each test the attack as it was made:
a cross-origin form that resets, a ``text/plain`` POST that withdraws, a rebound host name that
reads the disclosure log, listings that hand out secrets, a bind beyond loopback without a token."""

from __future__ import annotations

import stat

import pytest

from dsop_sandbox.mocks.common.admin_access import (
    TOKEN_COOKIE,
    TOKEN_HEADER,
    fingerprint,
    host_name,
    read_admin_token,
    token_paths,
)
from dsop_sandbox.mocks.common.service import ACCESS_EXTENSION

from .conftest import assert_admin_error, events_of, log_disclosure

EVIL = "http://evil.example"


def token_of(app) -> str:
    return app.extensions[ACCESS_EXTENSION].token


def test_the_token_is_made_at_start_and_kept_in_the_state_dir_for_the_owner_only(make_app, settings):
    app = make_app("nav")
    path = token_paths(settings.state_dir)[1]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_admin_token(settings.state_dir) == token_of(app)
    assert token_of(make_app("altinn")) == token_of(app)  # every service of one state dir shares it


def test_a_foreign_pages_empty_form_post_does_not_reset(make_app):
    nav = make_app("nav").test_client()
    nav.get("/person/personopplysninger/dsop")  # an event that a reset would wipe
    before = events_of(nav)
    assert before
    attack = nav.post(
        "/_sandbox/reset", data={}, headers={"Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_admin_error(attack, 403, "foreign_origin")
    assert [e["id"] for e in events_of(nav)][: len(before)] == [e["id"] for e in before]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_simple_post_is_never_taken_even_without_an_origin(make_app, content_type):
    nav = make_app("nav").test_client()
    nav.get("/person/personopplysninger/dsop")
    attack = nav.post("/_sandbox/reset", data=b'{"registrations": true}', headers={"Content-Type": content_type})
    assert_admin_error(attack, 415, "unsupported_media_type")
    assert events_of(nav)  # nothing was reset


def test_a_text_plain_post_does_not_withdraw_a_consent(make_app):
    altinn = make_app("altinn").test_client()
    attack = altinn.post("/_sandbox/consents/abc/withdraw", data="x", headers={"Content-Type": "text/plain"})
    assert_admin_error(attack, 415, "unsupported_media_type")


def test_the_token_header_or_json_from_the_same_origin_passes(make_app):
    app = make_app("nav")
    nav = app.test_client()
    same = nav.post("/_sandbox/reset", json={}, headers={"Origin": "http://localhost"})
    assert same.status_code == 200, same.get_data(as_text=True)
    with_token = nav.post(
        "/_sandbox/reset", data="", headers={"Content-Type": "text/plain", TOKEN_HEADER: token_of(app)}
    )
    assert with_token.status_code == 200
    assert_admin_error(
        nav.post("/_sandbox/reset", json={}, headers={TOKEN_HEADER: "guess"}), 401, "invalid_admin_token"
    )


@pytest.mark.parametrize("host", ["evil.example", "evil.example:7104", "127.0.0.1.evil.example", "localhost.evil"])
def test_a_rebound_host_name_cannot_read_the_disclosure_log(make_app, host):
    nav = make_app("nav").test_client()
    assert_admin_error(nav.get("/_sandbox/disclosures", headers={"Host": host}), 403, "forbidden_host")


@pytest.mark.parametrize("host", ["localhost:7104", "127.0.0.1:7104", "[::1]:7104", "LOCALHOST"])
def test_the_sandboxs_own_host_names_are_answered(make_app, host):
    nav = make_app("nav").test_client()
    assert nav.get("/_sandbox/disclosures", headers={"Host": host}).status_code == 200


def test_configured_host_names_are_answered(make_app, settings):
    from dataclasses import replace

    nav = make_app("nav", settings_=replace(settings, allowed_hosts=("sandbox.test",))).test_client()
    assert nav.get("/_sandbox/disclosures", headers={"Host": "sandbox.test:7104"}).status_code == 200


def test_host_names_lose_their_port():
    assert host_name("[::1]:7100") == "::1" and host_name("Localhost:7100") == "localhost"
    assert host_name("::1") == "::1"


def test_listings_show_secrets_to_token_holders_only(make_app):
    app = make_app("idporten")
    idp = app.test_client()
    made = idp.post("/_sandbox/clients", json={"client_name": "F", "redirect_uris": ["https://f.example/cb"]})
    secret = made.get_json()["client_secret"]
    listed = idp.get("/_sandbox/clients").get_json()["clients"]
    shown = next(c for c in listed if c["client_name"] == "F")
    assert shown["client_secret"] == fingerprint(secret) != secret
    one = idp.get(f"/_sandbox/clients/{shown['client_id']}").get_json()
    assert one["client_secret"] == fingerprint(secret)
    as_admin = idp.get("/_sandbox/clients", headers={TOKEN_HEADER: token_of(app)}).get_json()["clients"]
    assert next(c for c in as_admin if c["client_name"] == "F")["client_secret"] == secret


def test_altinn_api_keys_are_shown_to_token_holders_only(make_app):
    app = make_app("altinn")
    altinn = app.test_client()
    made = altinn.post("/_sandbox/consumers", json={"org": "310000019", "name": "F", "redirect_urls": []})
    key = made.get_json()["api_key"]
    assert altinn.get("/_sandbox/consumers/310000019").get_json()["api_key"] == fingerprint(key)
    admin = altinn.get("/_sandbox/consumers/310000019", headers={TOKEN_HEADER: token_of(app)})
    assert admin.get_json()["api_key"] == key


def test_nav_shows_the_consent_token_a_disclosure_was_made_under_to_token_holders_only(make_app):
    app = make_app("nav")
    log_disclosure(app, samtykke_token="a.b.c", authorization_code="c0de")
    nav = app.test_client()
    assert nav.get("/_sandbox/disclosures").get_json()["disclosures"][0]["samtykkeToken"] == fingerprint("a.b.c")
    admin = nav.get("/_sandbox/disclosures", headers={TOKEN_HEADER: token_of(app)})
    assert admin.get_json()["disclosures"][0]["samtykkeToken"] == "a.b.c"


def test_bound_beyond_loopback_every_admin_call_needs_the_token(make_app, settings):
    from dataclasses import replace

    app = make_app("nav", settings_=replace(settings, bind_host="0.0.0.0"))
    nav = app.test_client()
    assert_admin_error(nav.get("/_sandbox/events"), 401, "admin_token_required")
    assert_admin_error(nav.post("/_sandbox/reset", json={}), 401, "admin_token_required")
    assert nav.get("/_sandbox/health").status_code == 200  # the health checks of compose and the launcher
    assert nav.get("/_sandbox/events", headers={TOKEN_HEADER: token_of(app)}).status_code == 200
    assert nav.get("/person/personopplysninger/dsop").status_code != 401  # the services themselves stay open


def test_bound_beyond_loopback_the_dashboard_opens_with_the_banners_token_url(settings, authority, clock):
    from dataclasses import replace

    from dsop_sandbox.launcher import create_control_plane

    app = create_control_plane(replace(settings, bind_host="0.0.0.0"), authority=authority, clock=clock)
    try:
        browser = app.test_client()
        remote = {"REMOTE_ADDR": "192.0.2.7"}
        assert_admin_error(browser.get("/", environ_base=remote), 401, "admin_token_required")
        opened = browser.get("/", query_string={"token": token_of(app)}, environ_base=remote)
        assert opened.status_code == 200
        assert browser.get("/_sandbox/insurers", environ_base=remote).status_code == 200  # the cookie now
        guessed = app.test_client().get("/", query_string={"token": "guess"}, environ_base=remote)
        assert_admin_error(guessed, 401, "admin_token_required")
    finally:
        app.extensions["sandbox"].store.close()


def test_the_control_plane_refuses_a_foreign_reset_and_a_rebound_host(control_app):
    control = control_app.test_client()
    attack = control.post(
        "/_sandbox/reset", data={}, headers={"Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_admin_error(attack, 403, "foreign_origin")
    assert_admin_error(control.get("/", headers={"Host": "evil.example:7100"}), 403, "forbidden_host")
    assert_admin_error(control.get("/_sandbox/insurers", headers={"Host": "evil.example"}), 403, "forbidden_host")


def test_the_control_plane_hands_its_own_pages_the_token_in_a_strict_cookie(control_app):
    page = control_app.test_client().get("/walkthrough")
    assert page.status_code == 200
    cookie = next(v for v in page.headers.getlist("Set-Cookie") if v.startswith(TOKEN_COOKIE + "="))
    assert f"{TOKEN_COOKIE}={token_of(control_app)};" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    remote = control_app.test_client().get("/walkthrough", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert not any(v.startswith(TOKEN_COOKIE) for v in remote.headers.getlist("Set-Cookie"))
    opened = control_app.test_client().get(
        "/walkthrough", query_string={"token": token_of(control_app)}, environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert any(v.startswith(TOKEN_COOKIE + "=") for v in opened.headers.getlist("Set-Cookie"))
