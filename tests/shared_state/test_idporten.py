"""ID-porten with two workers: login denials and the pairwise secret.

Denials were a list in the memory of the process that was asked: a login through another worker
was never denied, and a reset cleared only the asking worker's list. The pairwise secret was
read once at startup and was gone from the store after a reset, so a worker started after a
reset made a secret of its own and gave the same citizen another pairwise ``sub``."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.idporten.support import Idp


@pytest.fixture(scope="module")
def client_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def idps(workers, client_key):
    a, b = workers("idporten")
    idp_a, idp_b = Idp(a, a.test_client(), client_key), Idp(b, b.test_client(), client_key)
    return idp_a, idp_b, idp_a.register()


def login_answer(idp: Idp, client: dict) -> dict:
    """Where the login sent the browser back to the client: its query (``code`` or ``error``)."""
    flow = idp.authorize(client)
    assert flow.request_id, flow.response.get_data(as_text=True)
    assert idp.submit_login(flow).status_code == 302
    return flow.callback


def test_a_denial_set_through_one_worker_denies_one_login_at_any(idps):
    a, b, client = idps
    a.admin("/deny-login", {"count": 1, "error": "temporarily_unavailable"})
    assert login_answer(b, client)["error"] == "temporarily_unavailable"
    assert "code" in login_answer(a, client)  # taken through B: A does not deny again
    assert "code" in login_answer(b, client)


def test_a_reset_through_one_worker_drops_the_others_denials(idps):
    a, b, client = idps
    a.admin("/deny-login", {"count": 2})
    assert b.browser.post("/_sandbox/reset", json={}).status_code == 200
    assert "code" in login_answer(a, client)


def test_workers_started_before_and_after_a_reset_share_one_pairwise_secret(workers, idps):
    a, b, _ = idps
    assert a.service.pairwise_secret == b.service.pairwise_secret
    assert a.browser.post("/_sandbox/reset", json={"registrations": True}).status_code == 200
    [late] = workers("idporten", 1)
    assert late.extensions["idporten"].pairwise_secret == a.service.pairwise_secret
    b.browser.get("/.well-known/openid-configuration")  # B's next request
    assert b.service.pairwise_secret == a.service.pairwise_secret
