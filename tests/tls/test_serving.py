"""``tls: True``: every service serves HTTPS with a key-authority certificate for localhost, plain
http is refused, and the services still reach one another (fan-out, JWKS, token checks) over TLS."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from dsop_sandbox.mocks.common.settings import SERVICE_NAMES
from dsop_sandbox.mocks.common.trust import trust
from tests.altinn.conftest import KARI
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI
from tests.nav.conftest import NavWorld


def test_the_bundle_is_the_key_authoritys(tls_sandbox, bundle):
    assert Path(bundle) == tls_sandbox.authority.ca_bundle_path
    assert Path(bundle).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert trust(tls_sandbox.settings) == bundle


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_every_service_answers_over_https(tls_sandbox, trusting, name):
    url = tls_sandbox.url(name)
    assert url.startswith("https://localhost:")
    answer = trusting.get(url + "/_sandbox/health", timeout=10)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_the_certificate_chains_to_the_bundle_and_names_localhost(tls_sandbox, bundle, name):
    port = urlsplit(tls_sandbox.url(name)).port
    context = ssl.create_default_context(cafile=bundle)  # verifies the chain and the host name
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        peer = tls.getpeercert()
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    assert ("DNS", "localhost") in peer["subjectAltName"]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_plain_http_is_refused(tls_sandbox, name):
    plain = tls_sandbox.url(name).replace("https://", "http://") + "/_sandbox/health"
    try:
        answer = requests.get(plain, timeout=5)
    except requests.ConnectionError:
        return
    assert answer.status_code != 200 and "ok" not in answer.text  # cheroot may answer 400 in plain text


def test_the_system_trust_store_does_not_trust_the_sandbox(tls_sandbox):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_sandbox.url("nav") + "/_sandbox/health", timeout=5)


def test_the_control_plane_reaches_every_service_over_tls(tls_sandbox, trusting):
    listed = trusting.get(tls_sandbox.url("control") + "/_sandbox/services", timeout=10).json()["services"]
    assert {name: item["base_url"] for name, item in listed.items()} == {
        name: tls_sandbox.url(name) for name in SERVICE_NAMES
    }
    assert all(url.startswith("https://") for url in (tls_sandbox.url(name) for name in SERVICE_NAMES))
    # Each fake's health is what the control plane's own HTTPS call to it found ("unreachable" if the
    # call failed); the control plane itself is listed as ok.
    assert {name: item["health"] for name, item in listed.items()} == dict.fromkeys(SERVICE_NAMES, "ok")
    moved = trusting.post(tls_sandbox.url("control") + "/_sandbox/clock", json={"advance": "P1D"}, timeout=10)
    assert moved.status_code == 200, moved.text
    back = trusting.post(tls_sandbox.url("control") + "/_sandbox/clock", json={"advance": "-P1D"}, timeout=10)
    assert back.status_code == 200, back.text


def test_altinn_and_nav_still_validate_tokens_over_tls(tls_sandbox, trusting):
    world = NavWorld(tls_sandbox, trusting)
    company = world.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI)
    code = world.consent(
        company,
        KARI["pid"],
        services=[{"code": "5252", "edition": 2, "metadata": {"fraOgMed": "01.01.2020", "tilOgMed": "31.12.2026"}}],
    )
    consent_token = world.consent_token_text(company, code)  # Altinn checked a Maskinporten token (JWKS over TLS)
    answer = world.ufore(company, KARI["pid"], consent_token)  # NAV checks Maskinporten's and Altinn's
    assert answer.status_code == 200, answer.text
    forged = consent_token[:-4] + ("AAAA" if not consent_token.endswith("AAAA") else "BBBB")
    assert world.ufore(company, KARI["pid"], forged).status_code in (401, 403)
