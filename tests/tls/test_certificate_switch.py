"""The control plane switches a service's certificate (``POST /_sandbox/tls``) and keeps
administering it meanwhile; a client that refuses the handshake leaves an event in the service's
log; ``DELETE /_sandbox/tls`` and ``/_sandbox/reset`` bring the trusted certificate back."""

from __future__ import annotations

import ssl

import pytest
import requests

from dsop_sandbox.wsgi_server import client_alert


@pytest.fixture
def control(tls_sandbox, trusting):
    def call(method, path, **kw):
        return trusting.request(method, tls_sandbox.url("control") + "/_sandbox" + path, timeout=15, **kw)

    yield call
    call("DELETE", "/tls")


def nav_health(trusting, tls_sandbox):
    return trusting.get(tls_sandbox.url("nav") + "/_sandbox/health", timeout=10)


def test_an_untrusted_certificate_is_refused_by_clients_but_not_by_the_control_plane(control, trusting, tls_sandbox):
    cursor = control("GET", "/events").json()["cursor"]
    answer = control("POST", "/tls", json={"service": "nav", "certificate": "untrusted"})
    assert answer.status_code == 200 and answer.json() == {"service": "nav", "tls": True, "certificate": "untrusted"}
    with pytest.raises(requests.exceptions.SSLError):
        nav_health(trusting, tls_sandbox)
    shown = control("GET", "/tls").json()
    assert shown["tls"] is True
    assert {name: s["certificate"] for name, s in shown["services"].items()} == {
        "idporten": "authority",
        "maskinporten": "authority",
        "altinn": "authority",
        "nav": "untrusted",
    }
    timeline = control("GET", "/events", params={"since": cursor}).json()
    assert timeline["unavailable"] == []
    [refusal] = [e for e in timeline["events"] if e["operation"] == "tls_handshake"]
    assert (refusal["service"], refusal["outcome"], refusal["error"], refusal["status"]) == (
        "nav",
        "refused",
        "unknown_ca",
        0,
    )
    assert refusal["details"]["certificate"] == "untrusted" and refusal["details"]["peer"].startswith("127.0.0.1:")

    restored = control("DELETE", "/tls")
    assert restored.status_code == 200 and restored.json() == {"restored": {"nav": "authority"}}
    assert nav_health(trusting, tls_sandbox).status_code == 200
    assert control("DELETE", "/tls").json() == {"restored": {}}


def test_a_reset_brings_the_trusted_certificate_back(control, trusting, tls_sandbox):
    control("POST", "/tls", json={"service": "altinn", "certificate": "untrusted"})
    assert control("POST", "/reset").status_code == 200
    assert trusting.get(tls_sandbox.url("altinn") + "/_sandbox/health", timeout=10).status_code == 200
    assert control("GET", "/tls").json()["services"]["altinn"]["certificate"] == "authority"


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"service": "control", "certificate": "untrusted"}, 400, "invalid_request"),
        ({"service": "nav", "certificate": "expired"}, 400, "invalid_request"),
        ({"certificate": "untrusted"}, 400, "invalid_request"),
    ],
)
def test_a_bad_switch_request_is_refused_and_nothing_changes(control, trusting, tls_sandbox, body, status, code):
    answer = control("POST", "/tls", json=body)
    assert answer.status_code == status and answer.json()["error"] == code
    assert nav_health(trusting, tls_sandbox).status_code == 200
    assert control("DELETE", "/tls").json() == {"restored": {}}


def tls_error(reason: str) -> ssl.SSLError:
    """An SSLError as OpenSSL reports it, with its ``reason``."""
    error = ssl.SSLError(1, f"[SSL: {reason}] ...")
    error.reason = reason
    return error


@pytest.mark.parametrize(
    "error, alert",
    [
        (tls_error("TLSV1_ALERT_UNKNOWN_CA"), "unknown_ca"),  # OpenSSL clients (Python, curl, Node)
        (tls_error("SSLV3_ALERT_BAD_CERTIFICATE"), "bad_certificate"),  # Go
        (tls_error("SSLV3_ALERT_CERTIFICATE_UNKNOWN"), "certificate_unknown"),  # Java
        (ssl.SSLEOFError(8, "EOF occurred in violation of protocol"), "closed"),
        (ConnectionResetError(104, "reset"), "closed"),
        (tls_error("HTTP_REQUEST"), None),  # plain HTTP on the TLS port
        (None, None),
    ],
)
def test_the_alert_a_client_ended_the_handshake_with(error, alert):
    assert client_alert(error) == alert
