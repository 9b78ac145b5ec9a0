"""Framable pages (issue 15, finding 6): every HTML response of every service and of the control
plane, which carries reset and withdraw buttons, is never framed, never sniffed and sends no
referrer; the headers come from one place (mocks/common/page_headers.py)."""

from __future__ import annotations

import pytest

from dsop_sandbox.mocks.common.page_headers import secure_page

from .conftest import FACTORIES


def assert_unframable(answer) -> None:
    assert answer.mimetype == "text/html", answer.mimetype
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path",
    ["/authorize", "/authorize?client_id=nobody", "/logout", "/login?request_id=gone"],
    ids=["error-page", "unknown-client", "logout-page", "expired-login"],
)
def test_idportens_pages_cannot_be_framed(make_app, path):
    assert_unframable(make_app("idporten").test_client().get(path))


@pytest.mark.parametrize("path", ["/", "/dashboard", "/walkthrough", "/walkthrough?consent=altinn2"])
def test_the_control_planes_pages_cannot_be_framed(control_app, path):
    assert_unframable(control_app.test_client().get(path))


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("altinn", "/ui/AccessConsent/?Resources=x"),
        ("altinn", "/ui/authentication/callback"),
        ("nav", "/oauth2/callback"),
    ],
)
def test_citizen_pages_keep_their_stricter_policy(make_app, service, path):
    answer = make_app(service).test_client().get(path)
    assert answer.status_code == 400
    assert_unframable(answer)
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]


def test_a_policy_without_a_frame_rule_gets_one_and_json_is_left_alone():
    from flask import Response

    page = secure_page(
        Response("<p>x</p>", mimetype="text/html", headers={"Content-Security-Policy": "img-src 'self'"})
    )
    assert page.headers["Content-Security-Policy"] == "img-src 'self'; frame-ancestors 'none'"
    framed = Response("<p>x</p>", mimetype="text/html", headers={"X-Frame-Options": "SAMEORIGIN"})
    assert secure_page(framed).headers["X-Frame-Options"] == "DENY"
    data = secure_page(Response("{}", mimetype="application/json"))
    assert "X-Frame-Options" not in data.headers


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_every_services_404_is_json_not_a_page(make_app, service):
    assert make_app(service).test_client().get("/no/such/page").mimetype == "application/json"
