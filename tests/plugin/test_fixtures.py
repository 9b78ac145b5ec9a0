"""The plugin's fixtures on the session sandbox: what they expose, what they put back between
tests (the tests of this file run in this order, on one worker), and the real errors behind them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dsop_sandbox.conformance.contract import MP_TOKEN
from dsop_sandbox.conformance.sandbox_api import SandboxUnavailable
from dsop_sandbox.examples.insurer_with_pytest.claims import create_app
from dsop_sandbox.examples.reference_insurer.maskinporten import MaskinportenError
from dsop_sandbox.pytest_plugin.citizen import UnknownPersona, persona_person
from dsop_sandbox.pytest_plugin.insurer import RegistrationRefused

pytest_plugins = ("pytester",)
NAV_SCOPE = "nav:arbeid/v1/aap"


def test_it_exposes_every_service(dsop_sandbox):
    assert set(dsop_sandbox.urls) == {"control", "idporten", "maskinporten", "altinn", "nav"}
    assert dsop_sandbox.issuers["maskinporten"] == dsop_sandbox.url("maskinporten") + "/"
    assert dsop_sandbox.persons()[0]["pid"] == persona_person("aap-meldekort")["pid"]


def test_a_test_moves_the_calendar_and_shortens_a_lifetime(dsop_sandbox):
    dsop_sandbox.calendar.advance("P3Y")
    dsop_sandbox.api.lifetimes({"maskinporten.access_token": 5})
    assert dsop_sandbox.api.admin("GET", "/clock")["offset_seconds"] > 365 * 86400
    assert dsop_sandbox.api.admin("GET", "/lifetimes")["lifetimes"]["maskinporten.access_token"] == 5


def test_the_next_test_finds_them_put_back(dsop_sandbox):
    assert dsop_sandbox.api.admin("GET", "/clock")["offset_seconds"] == 0
    assert dsop_sandbox.api.admin("GET", "/lifetimes")["lifetimes"]["maskinporten.access_token"] != 5


def test_lifetimes_hold_for_their_block_and_a_wrong_one_is_refused_with_the_admin_error(dsop_sandbox):
    default = dsop_sandbox.api.admin("GET", "/lifetimes")["lifetimes"]["maskinporten.access_token"]
    with dsop_sandbox.lifetimes(maskinporten__access_token=7) as changed:
        assert changed == {"maskinporten.access_token": 7}
    assert dsop_sandbox.api.admin("GET", "/lifetimes")["lifetimes"]["maskinporten.access_token"] == default
    with (
        pytest.raises(SandboxUnavailable, match=r"400.*lifetime"),
        dsop_sandbox.lifetimes(maskinporten__access_token=0),
    ):
        pass


def test_a_fault_holds_for_its_block_only(dsop_sandbox, dsop_maskinporten_token):
    with dsop_sandbox.fault("maskinporten", "token", status=503):
        with pytest.raises(MaskinportenError) as refused:
            dsop_maskinporten_token(NAV_SCOPE)
        assert refused.value.status == 503 and refused.value.retriable
    assert dsop_maskinporten_token(NAV_SCOPE)
    refused_then_granted = dsop_sandbox.events().where("maskinporten", MP_TOKEN)
    assert [event["status"] for event in refused_then_granted] == [503, 200]


def test_maskinporten_refuses_a_scope_the_insurer_lacks_with_its_real_error(dsop_maskinporten_token):
    with pytest.raises(MaskinportenError) as refused:
        dsop_maskinporten_token("nav:not/a/scope")
    assert refused.value.status == 400 and refused.value.body["error"] == "invalid_scope"


def test_a_consent_from_the_admin_fixture_goes_into_a_token(dsop_consent, dsop_maskinporten_token):
    consent = dsop_consent("aap-meldekort")
    person = "urn:altinn:person:identifier-no:" + persona_person("aap-meldekort")["pid"]
    details = [{"type": "urn:altinn:consent", "id": consent["id"], "from": person}]
    assert dsop_maskinporten_token(NAV_SCOPE, details)
    other = "urn:altinn:person:identifier-no:" + persona_person("ufore-okt-grad")["pid"]
    with pytest.raises(MaskinportenError) as refused:  # the consent is not that person's
        dsop_maskinporten_token(NAV_SCOPE, [{**details[0], "from": other}])
    assert refused.value.consent_refused


@pytest.mark.dsop_insurer(org="310000086", name="Gammel Forsikring AS", consent="altinn2")
def test_the_insurer_marker_registers_an_altinn2_insurer(dsop_insurer, dsop_consent):
    assert (dsop_insurer.org, dsop_insurer.consent) == ("310000086", "altinn2")
    assert dsop_insurer.profile()["insurer"]["consent"] == "altinn2"
    assert dsop_insurer.key_path.stat().st_mode & 0o077 == 0
    assert dsop_consent("ufore-okt-grad")["AuthorizationCode"]


@pytest.mark.parametrize("dsop_citizen", [{"persona": "ufore-okt-grad"}], indirect=True)
def test_the_citizen_is_the_persona_asked_for(dsop_citizen):
    assert dsop_citizen.pid == persona_person("ufore-okt-grad")["pid"]
    with pytest.raises(UnknownPersona, match="aap-meldekort"):
        dsop_citizen.as_persona("nobody")


def test_importing_the_plugin_imports_no_sandbox_and_a_session_without_fixtures_starts_nothing(pytester):
    probe = (
        "import sys, dsop_sandbox.pytest_plugin.plugin\n"
        "print(sorted(m for m in sys.modules if m.startswith(('dsop_sandbox.', 'flask'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['dsop_sandbox.pytest_plugin', 'dsop_sandbox.pytest_plugin.plugin']"
    pytester.makepyfile(
        "import sys\n"
        "def test_nothing_started():\n"
        "    assert 'dsop_sandbox.launcher' not in sys.modules and 'flask' not in sys.modules\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis")
    assert result.ret == 0, result.stdout.str()
    assert "dsop-sandbox" in result.stdout.str()  # the plugin was loaded all the same


@pytest.mark.parametrize(
    ("arguments", "code"),
    [({"org": "310000012"}, "invalid_org"), ({"consent": "altinn4"}, "invalid_request")],
)
def test_a_registration_the_control_plane_refuses_says_why(dsop_sandbox, arguments, code):
    with pytest.raises(RegistrationRefused, match=f"400.*{code}"):
        dsop_sandbox.register(**arguments)


def test_pytest_fixtures_shows_each_fixtures_documentation(pytester):
    result = pytester.runpytest_inprocess("--fixtures", "-p", "no:cacheprovider")
    text = result.stdout.str()
    for name in ("dsop_sandbox [session scope]", "dsop_insurer", "dsop_citizen", "dsop_maskinporten_token",
                 "dsop_consent", "dsop_persons [session scope]", "dsop_sandbox_settings [session scope]"):  # fmt: skip
        assert f"{name} -- " in text, name
    assert "The whole DSOP sandbox" in text and "A test person with a browser" in text


def test_dsop_conform_refuses_xdist(pytester, tmp_path):
    result = pytester.runpytest_inprocess("--dsop-conform", str(tmp_path / "insurer.toml"), "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dsop-conform runs the conformance suite once*-n 0*"])


def test_settings_overridden_in_a_conftest_start_an_https_sandbox(pytester):
    pytester.makeconftest(
        "import pytest\n@pytest.fixture(scope='session')\ndef dsop_sandbox_settings():\n    return {'tls': True}\n"
    )
    pytester.makepyfile(
        "def test_https(dsop_sandbox, dsop_maskinporten_token):\n"
        "    assert dsop_sandbox.url('maskinporten').startswith('https://')\n"
        "    assert dsop_sandbox.verify == dsop_sandbox.ca_bundle\n"
        "    assert dsop_maskinporten_token('nav:arbeid/v1/aap')\n"
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_app_served_beside_the_sandbox_is_reached_over_http(dsop_sandbox, dsop_citizen):
    def make(url):
        callback = url + "/claims/callback"
        insurer = dsop_sandbox.register(org="310000108", name="Servert AS", redirect_uris=(callback,))
        return create_app(insurer.profile_path)

    with dsop_sandbox.serve(make) as served:
        outcome = dsop_citizen.accept(served.url + "/claims/start?pid={pid}")
        assert outcome.final_url.startswith(served.url + "/claims/callback?claim=")
        assert (outcome.final_status, outcome.callback_status) == (200, "OK")
