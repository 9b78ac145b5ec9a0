"""The example integration (``insurer_with_pytest.claims``) against dsop-sandbox's image, started by
Testcontainers: register an insurer, a citizen consents in Altinn 3 (logging in at ID-porten), the
insurer fetches the citizen's NAV data with the consent. ``pip install dsop-sandbox testcontainers
pytest``, build or pull the image, run ``pytest``.

Where Docker Hub cannot be reached, Testcontainers' reaper image (Ryuk) cannot be pulled either: run
with ``TESTCONTAINERS_RYUK_DISABLED=true`` (the ``with`` block still removes the container).
"""

from __future__ import annotations

import os

import pytest

from dsop_sandbox.conformance.sandbox_api import SandboxApi
from dsop_sandbox.examples.insurer_with_pytest.claims import OK, create_app
from dsop_sandbox.examples.with_testcontainers.container import IMAGE, SandboxContainer
from dsop_sandbox.pytest_plugin.citizen import ScriptedCitizen
from dsop_sandbox.pytest_plugin.insurer import register

ORIGIN = "http://insurer.test"  # the integration runs in this process; the citizen's browser reaches it here
START = ORIGIN + "/claims/start?pid={pid}"


@pytest.fixture(scope="module")
def sandbox():
    with SandboxContainer(os.environ.get("DSOP_SANDBOX_IMAGE", IMAGE)) as container:
        yield container


@pytest.fixture(scope="module")
def api(sandbox) -> SandboxApi:
    """The sandbox's admin API from the host (the services' URLs as it lists them)."""
    api = SandboxApi(sandbox.url("control"), token=sandbox.admin_token())
    api.connect()
    return api


@pytest.fixture(scope="module")
def insurer(api, tmp_path_factory):
    """An insurer registered as ``dsop-sandbox register-insurer`` does: its key, certificate and
    insurer.toml in a folder."""
    return register(
        api,
        True,
        tmp_path_factory.mktemp("insurer"),
        org="310000019",
        name="Eksempel Forsikring AS",
        redirect_uris=[ORIGIN + "/claims/callback"],
        consent="altinn3",
    )


def test_every_url_the_sandbox_hands_out_works_from_the_host(sandbox, api):
    for name in ("control", "idporten", "maskinporten", "altinn", "nav"):
        assert api.services[name] == sandbox.url(name)
    discovery = api.http.get(sandbox.url("idporten") + "/.well-known/openid-configuration", timeout=10).json()
    assert discovery["authorization_endpoint"].startswith(sandbox.url("idporten") + "/")
    assert api.http.get(discovery["jwks_uri"], timeout=10).status_code == 200


def test_a_citizen_consents_and_the_insurer_fetches_the_nav_data(api, insurer):
    app = create_app(insurer.profile_path)
    claims = app.extensions["claims"]
    citizen = ScriptedCitizen(api.services, "aap-meldekort").mount(ORIGIN, app)
    outcome = citizen.accept(START)  # ID-porten's login page, then Altinn's consent page, in the container
    assert outcome.callback_status == "OK", outcome.visited
    claim = claims.claims[outcome.callback_params["claim"]]
    assert claim.state == "accepted" and claim.pid == citizen.pid
    assert claims.fetch(claim.id) == OK
    assert claim.data["vedtak"]["vedtaksliste"], claim.data  # the persona's AAP vedtak, from NAV
