"""Every failure is JSON in the right shape: the service's own for its public paths, the admin
shape under /_sandbox. Never Flask's HTML page, never a 5xx for a bad request.

Shapes: Maskinporten ``{"error", "error_description": "... (trace_id: X)"}``; ID-porten
``{"error", "error_description"}``; Altinn ``[{"ErrorCode", "ErrorMessage"}]``; NAV
``{"melding", "kode"}``; admin ``{"error", "message", "trace_id"}``.
"""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask

from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.errors import ADMIN_ERRORS, ErrorShape, ServiceError, json_response
from dsop_sandbox.mocks.common.settings import Settings

from .conftest import FACTORIES, MAX_BODY, assert_admin_error

SERVICES = sorted(FACTORIES)

#: A public route of each service and a method it does not take. NAV has no public route yet,
#: so its 405 is checked on an admin route (answered in the admin shape).
WRONG_METHOD = {
    "maskinporten": ("GET", "/token", {"POST"}),
    "idporten": ("POST", "/jwks.json", {"GET"}),
    "altinn": ("DELETE", "/api/metadata/jwk", {"GET"}),
    "nav": ("PUT", "/_sandbox/access-list", {"GET", "POST"}),
}

#: Admin POSTs that read a JSON body: the shared ones and each service's own fixture.
COMMON_ADMIN_POSTS = ["/_sandbox/clock", "/_sandbox/faults", "/_sandbox/lifetimes", "/_sandbox/reset"]
FIXTURE_POSTS = {
    "maskinporten": "/_sandbox/clients",
    "idporten": "/_sandbox/clients",
    "altinn": "/_sandbox/consumers",
    "nav": "/_sandbox/access-list",
}
ADMIN_POSTS = [(service, path) for service in SERVICES for path in [*COMMON_ADMIN_POSTS, FIXTURE_POSTS[service]]]

BAD_BODIES = {
    "malformed": ('{"advance": ', "application/json", 400, "invalid_request"),
    "not utf-8": (b'{"a": "\xff"}', "application/json", 400, "invalid_request"),
    "array": ('[{"advance": "P1D"}]', "application/json", 400, "invalid_request"),
    "string": ('"P1D"', "application/json", 400, "invalid_request"),
    "wrong type": ('{"advance": "P1D"}', "text/plain", 415, "unsupported_media_type"),
    "form": ("advance=P1D", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    "too large": (json.dumps({"pad": "x" * (MAX_BODY + 100)}), "application/json", 413, "request_too_large"),
}


@pytest.fixture(scope="module")
def clients(tmp_path_factory, authority):
    """One app per service for the whole module (these requests change no state that matters)."""
    settings = Settings.load(environ={}, overrides={"max_body_bytes": MAX_BODY}).with_state_dir(
        tmp_path_factory.mktemp("shapes")
    )
    apps = {service: factory(settings, authority=authority, clock=Clock()) for service, factory in FACTORIES.items()}
    yield {service: app.test_client() for service, app in apps.items()}
    for app in apps.values():
        app.extensions["sandbox"].store.close()


def assert_service_error(service: str, answer, status: int) -> str:
    """``answer`` is an error in ``service``'s own shape; its message."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json", answer.get_data(as_text=True)
    assert b"<html" not in answer.get_data().lower()
    body = answer.get_json()
    if service == "maskinporten":
        assert set(body) == {"error", "error_description"}
        assert re.search(r"\(trace_id: [^)]+\)$", body["error_description"])
        return body["error_description"]
    if service == "idporten":
        assert set(body) == {"error", "error_description"}
        assert body["error"]
        return body["error_description"]
    if service == "altinn":
        assert isinstance(body, list) and len(body) == 1
        assert set(body[0]) == {"ErrorCode", "ErrorMessage"}
        return body[0]["ErrorMessage"]
    assert set(body) == {"melding", "kode"}
    assert body["kode"] == body["kode"].upper()
    return body["melding"]


# -- 404 and 405 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("path", ["/no/such/path", "/", "/api/../etc/passwd", "/%C3%A6%C3%B8%C3%A5"])
def test_unknown_path_is_a_404_in_the_services_shape(clients, service, path):
    message = assert_service_error(service, clients[service].get(path), 404)
    assert message


def test_404_codes_per_service(clients):
    # ID-porten, like Maskinporten, only speaks OAuth error codes
    assert clients["idporten"].get("/nope").get_json()["error"] == "invalid_request"
    assert clients["altinn"].get("/nope").get_json()[0]["ErrorCode"] == "not_found"
    assert clients["nav"].get("/nope").get_json()["kode"] == "NOT_FOUND"
    # Maskinporten only speaks OAuth error codes
    assert clients["maskinporten"].get("/nope").get_json()["error"] == "invalid_request"


@pytest.mark.parametrize("service", SERVICES)
def test_unknown_admin_path_is_a_404_in_the_admin_shape(clients, service):
    assert_admin_error(clients[service].get("/_sandbox/no-such-thing"), 404, "not_found")
    assert_admin_error(clients[service].post("/_sandbox/no-such-thing", json={}), 404, "not_found")


@pytest.mark.parametrize("service", SERVICES)
def test_wrong_method_is_a_405_with_allow(clients, service):
    method, path, allowed = WRONG_METHOD[service]
    answer = clients[service].open(path, method=method)
    if path.startswith("/_sandbox"):
        assert_admin_error(answer, 405, "method_not_allowed")
    else:
        assert_service_error(service, answer, 405)
    allow = {item.strip() for item in answer.headers["Allow"].split(",")}
    assert allowed <= allow
    assert method not in allow


@pytest.mark.parametrize("service", SERVICES)
def test_wrong_method_on_an_admin_route_is_a_405_in_the_admin_shape(clients, service):
    answer = clients[service].delete("/_sandbox/health")
    assert_admin_error(answer, 405, "method_not_allowed")
    assert "GET" in answer.headers["Allow"]


# -- admin bodies ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
@pytest.mark.parametrize("service, path", ADMIN_POSTS)
def test_bad_admin_bodies_are_admin_errors(clients, service, path, case):
    data, content_type, status, code = BAD_BODIES[case]
    answer = clients[service].post(path, data=data, content_type=content_type)
    assert_admin_error(answer, status, code)


@pytest.mark.parametrize("service, path", [(s, p) for s, p in ADMIN_POSTS if not p.endswith("/reset")])
def test_an_admin_post_without_a_body_is_a_400(clients, service, path):
    body = assert_admin_error(clients[service].post(path), 400, "invalid_request")
    assert "JSON body" in body["message"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
def test_json_content_types_with_parameters_or_suffix_are_accepted(clients, content_type):
    answer = clients["nav"].post("/_sandbox/lifetimes", data="{}", content_type=content_type)
    assert_admin_error(answer, 400, "invalid_lifetime")  # read as JSON, then refused as empty


def test_body_just_under_the_limit_is_read(clients):
    body = json.dumps({"pad": "x" * (MAX_BODY - 200)})
    assert len(body) < MAX_BODY
    answer = clients["nav"].post("/_sandbox/lifetimes", data=body, content_type="application/json")
    assert_admin_error(answer, 400, "invalid_lifetime")


def test_public_body_over_the_limit_is_a_413_in_the_services_shape(clients):
    answer = clients["maskinporten"].post("/token", data={"grant_type": "x", "assertion": "a" * (MAX_BODY + 10)})
    assert_service_error("maskinporten", answer, 413)
    assert answer.get_json()["error"] == "invalid_request"


# -- nothing is a 5xx --------------------------------------------------------------------------------------------
SWEEP_BODIES = [
    (b"", None),
    (b"{", "application/json"),
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (b'{"a": 1}', "text/plain"),
    (b"{}", "application/json"),
    (
        json.dumps(
            {
                "org": 1,
                "name": 2,
                "client_id": 3,
                "redirect_uris": "x",
                "redirect_urls": [1],
                "apis": "x",
                "scopes": 5,
                "operation": 1,
                "registrations": [],
                "advance": None,
            }
        ).encode(),
        "application/json",
    ),
    (
        json.dumps(
            {
                "org": "310000019",
                "name": "n",
                "client_name": "c",
                "redirect_uris": ["http://x/cb"],
                "redirect_urls": ["http://x/cb#f"],
                "client_id": "c1",
                "jwks": 5,
                "grant_types": ["password"],
            }
        ).encode(),
        "application/json",
    ),
    (json.dumps({"pad": "x" * (MAX_BODY + 1)}).encode(), "application/json"),
    (b"grant_type=x&assertion=y.z.w", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00", "application/json"),
]


BROWSER_PAGES = {"/authorize", "/login", "/logout"}
#: Altinn's citizen pages (Altinn 2's consent, "Mine samtykker", the login callback; Altinn 3's consent
#: page and active consents) and NAV's innsyn pages answer problems as pages too.
BROWSER_PREFIXES = ("/ui/", "/accessmanagement/ui/", "/oauth2/", "/person/personopplysninger")


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_answers_a_bad_request_with_a_5xx_or_html(clients, service):
    """Every route of the service (key rotation aside: it only makes keys), every method, a set of
    broken and odd bodies: never a server error, and JSON except on the pages a citizen's browser
    is sent to (ID-porten's authorize, login and logout, Altinn's /ui and NAV's innsyn pages answer on an HTML page)."""
    client = clients[service]
    rules = [
        rule
        for rule in client.application.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.rule.endswith("/rotate")
    ]
    assert rules
    tried = 0
    for rule in rules:
        path = re.sub(r"<[^>]+>", "x", rule.rule)
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            for data, content_type in SWEEP_BODIES:
                answer = client.open(path, method=method, data=data, content_type=content_type)
                tried += 1
                where = f"{method} {path} {data[:40]!r} {content_type}"
                assert answer.status_code < 500, f"{where}: {answer.status_code} {answer.get_data(as_text=True)}"
                if (
                    answer.status_code >= 400
                    and rule.rule not in BROWSER_PAGES
                    and not rule.rule.startswith(BROWSER_PREFIXES)
                ):
                    assert answer.mimetype == "application/json", where
    assert tried >= len(rules) * 5 * len(SWEEP_BODIES)


@pytest.mark.parametrize(
    "service, path, body",
    [
        ("nav", "/_sandbox/access-list", {"org": "¹10000019", "name": "x"}),
        ("altinn", "/_sandbox/consumers", {"org": "¹10000019", "name": "x"}),
    ],
)
def test_superscript_org_is_a_400_not_a_500(clients, service, path, body):
    assert_admin_error(clients[service].post(path, json=body), 400, "invalid_org")


# -- unexpected errors -----------------------------------------------------------------------------------------
def _app_with_a_broken_route(settings_dir, authority, service):
    settings = Settings.load(environ={}).with_state_dir(settings_dir)
    app = FACTORIES[service](settings, authority=authority, clock=Clock())

    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", "broken", broken)
    app.add_url_rule("/_sandbox/broken", "admin_test.broken", broken)
    return app


@pytest.mark.parametrize("service", SERVICES)
def test_an_unexpected_error_on_a_public_path_is_a_500_in_the_services_shape(tmp_path, authority, service):
    app = _app_with_a_broken_route(tmp_path, authority, service)
    answer = app.test_client().get("/broken")
    message = assert_service_error(service, answer, 500)
    assert "a bug" not in message  # internals are not leaked
    app.extensions["sandbox"].store.close()


@pytest.mark.parametrize("service", ["nav", "altinn"])
def test_an_unexpected_error_under_sandbox_is_a_500_in_the_admin_shape(tmp_path, authority, service):
    app = _app_with_a_broken_route(tmp_path, authority, service)
    try:
        assert_admin_error(app.test_client().get("/_sandbox/broken"), 500, "server_error")
    finally:
        app.extensions["sandbox"].store.close()


# -- the helpers themselves ----------------------------------------------------------------------------------------
def test_error_shape_and_service_error():
    shape = ErrorShape(lambda status, code, message, trace: {"c": code, "m": message, "t": trace, "s": status})
    error = shape.error(418, "teapot", "short and stout", "t-1", headers={"Retry-After": "1"})
    assert isinstance(error, ServiceError) and isinstance(error, Exception)
    assert (error.status, error.code, error.headers) == (418, "teapot", {"Retry-After": "1"})
    assert error.body == {"c": "teapot", "m": "short and stout", "t": "t-1", "s": 418}
    assert ADMIN_ERRORS.build(400, "x", "y", "z") == {"error": "x", "message": "y", "trace_id": "z"}


def test_json_response_keeps_non_ascii():
    with Flask(__name__).app_context():
        response = json_response({"navn": "Ærlig Øl Å"}, 201, {"X-Test": "1"})
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert response.headers["X-Test"] == "1"
    assert "Ærlig Øl Å" in response.get_data(as_text=True)
