"""``/_sandbox/tls`` on every fake: which certificate its server presents, and switching it; a
client's refusal of the handshake as an event. The server side is the launcher's (tests/tls);
here a recording switch stands in for it."""

from __future__ import annotations

import pytest

from .conftest import FACTORIES, assert_admin_error, events_of


class RecordingSwitch:
    def __init__(self):
        self.kind, self.asked = "authority", []

    def current(self) -> str:
        return self.kind

    def serve(self, kind: str) -> str:
        self.asked.append(kind)
        self.kind = kind
        return f"-----BEGIN CERTIFICATE-----\n{kind}\n-----END CERTIFICATE-----\n"


@pytest.fixture
def served(make_app):
    """(test client, switch) of a NAV app served over TLS."""
    app = make_app("nav")
    switch = RecordingSwitch()
    app.extensions["sandbox"].certificates = switch
    return app.test_client(), switch


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_over_plain_http_there_is_no_certificate_to_switch(make_app, service):
    client = make_app(service).test_client()
    assert client.get("/_sandbox/tls").get_json() == {"service": service, "tls": False, "certificate": None}
    body = assert_admin_error(client.post("/_sandbox/tls", json={"certificate": "untrusted"}), 409, "tls_off")
    assert "--tls" in body["message"]


def test_switching_answers_the_root_the_new_certificate_chains_to(served):
    client, switch = served
    answer = client.post("/_sandbox/tls", json={"certificate": "untrusted"})
    assert answer.status_code == 200
    assert answer.get_json() == {
        "service": "nav",
        "tls": True,
        "certificate": "untrusted",
        "root_pem": "-----BEGIN CERTIFICATE-----\nuntrusted\n-----END CERTIFICATE-----\n",
    }
    assert client.get("/_sandbox/tls").get_json()["certificate"] == "untrusted"
    assert client.post("/_sandbox/tls", json={"certificate": "authority"}).status_code == 200
    assert switch.asked == ["untrusted", "authority"]


@pytest.mark.parametrize("body", [{"certificate": "self-signed"}, {"certificate": None}, {}, {"certificate": 1}])
def test_an_unknown_certificate_kind_is_refused_and_nothing_switches(served, body):
    client, switch = served
    body = assert_admin_error(client.post("/_sandbox/tls", json=body), 400, "invalid_request")
    assert "authority, untrusted" in body["message"]
    assert switch.asked == []


@pytest.mark.parametrize(
    "raw, content_type, status",
    [
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"certificate": "untrusted"}', "text/plain", 415),
    ],
)
def test_a_malformed_body_is_a_clear_admin_error(served, raw, content_type, status):
    client, switch = served
    assert_admin_error(client.post("/_sandbox/tls", data=raw, content_type=content_type), status)
    assert switch.asked == []


def test_a_refused_handshake_becomes_an_event(served, make_app):
    client, switch = served
    switch.kind = "untrusted"
    client.application.extensions["sandbox"].handshake_refused("unknown_ca", "127.0.0.1:50123")
    [event] = [e for e in events_of(client) if e["operation"] == "tls_handshake"]
    assert event["service"] == "nav" and event["method"] == "TLS" and event["status"] == 0
    assert (event["outcome"], event["error"], event["caller"]) == ("refused", "unknown_ca", None)
    assert event["details"] == {"peer": "127.0.0.1:50123", "certificate": "untrusted"}
