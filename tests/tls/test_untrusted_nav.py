"""The machinery for the "NAV's certificate does not chain to the bundle" check: the launcher can
make a running service serve a certificate from a foreign root and back. A client that trusts
only the bundle then refuses to connect, so its tokens never reach NAV; a client that does not
verify (``verify=False``) sends them."""

from __future__ import annotations

import pytest
import requests

from dsop_sandbox.examples.reference_insurer.transport import Transport, Unreachable
from tests.altinn.conftest import KARI
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI
from tests.nav.conftest import UFORE_SCOPE, NavWorld


@pytest.fixture
def untrusted_nav(tls_sandbox):
    tls_sandbox.serve_untrusted_certificate("nav")
    try:
        yield tls_sandbox.url("nav")
    finally:
        tls_sandbox.serve_trusted_certificate("nav")


def disclosures(tls_sandbox, bundle) -> int:
    answer = requests.get(
        tls_sandbox.url("nav") + "/_sandbox/disclosures", params={"person": KARI["pid"]}, verify=bundle, timeout=10
    )
    return len(answer.json()["disclosures"])


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_swapping_the_certificate_closes_kept_alive_connections(tls_sandbox, trusting):
    health = tls_sandbox.url("nav") + "/_sandbox/health"
    assert trusting.get(health, timeout=10).status_code == 200  # a kept-alive connection now
    tls_sandbox.serve_untrusted_certificate("nav")
    try:
        with pytest.raises(requests.exceptions.SSLError):
            trusting.get(health, timeout=10)
        assert requests.get(health, verify=False, timeout=10).status_code == 200
        assert trusting.get(tls_sandbox.url("altinn") + "/_sandbox/health", timeout=10).status_code == 200
    finally:
        tls_sandbox.serve_trusted_certificate("nav")
    assert trusting.get(health, timeout=10).status_code == 200


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_only_a_client_that_skips_verification_sends_its_tokens(tls_sandbox, trusting, bundle):
    world = NavWorld(tls_sandbox, trusting)
    company = world.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI)
    code = world.consent(
        company,
        KARI["pid"],
        services=[{"code": "5252", "edition": 2, "metadata": {"fraOgMed": "01.01.2020", "tilOgMed": "31.12.2026"}}],
    )
    headers = {
        "Authorization": f"Bearer {company.token(UFORE_SCOPE)}",
        "fnr": KARI["pid"],
        "NAV-Samtykke-Token": world.consent_token_text(company, code),
    }
    url = tls_sandbox.url("nav") + tls_sandbox.settings.nav.ufore_path
    conformant, careless = Transport(verify=bundle), Transport(verify=False)
    try:
        assert conformant.request("GET", url, headers=headers).status_code == 200
        before = disclosures(tls_sandbox, bundle)
        tls_sandbox.serve_untrusted_certificate("nav")
        try:
            with pytest.raises(Unreachable, match="not trusted"):
                conformant.request("GET", url, headers=headers)
            after_refusal = len(
                requests.get(
                    tls_sandbox.url("nav") + "/_sandbox/disclosures",
                    verify=False,
                    params={"person": KARI["pid"]},
                    timeout=10,
                ).json()["disclosures"]
            )
            assert after_refusal == before  # NAV never saw the tokens
            assert careless.request("GET", url, headers=headers).status_code == 200
        finally:
            tls_sandbox.serve_trusted_certificate("nav")
        assert disclosures(tls_sandbox, bundle) == before + 1  # only the careless call arrived
    finally:
        conformant.close()
        careless.close()
