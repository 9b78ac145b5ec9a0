"""The resource registry in process: NAV's consent resource served in the registry's shape, the
admin fixtures that add resources and change access lists, and what a reset keeps."""

from __future__ import annotations

import pytest

from dsop_sandbox.mocks.altinn import create_app
from dsop_sandbox.mocks.altinn.resource_registry.nav import IDENTIFIER as NAV
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.settings import Settings
from tests.keys import with_test_keys

SKE = {
    "identifier": "ske-samtykke-sbl-summert-skattegrunnlag",
    "title": {"nb": "Summert skattegrunnlag", "en": "Summarised tax base"},
    "hasCompetentAuthority": {"organization": "974761076", "orgcode": "skd", "name": {"nb": "Skatteetaten"}},
    "resourceType": "Consent",
    "consentTemplate": "sblanesoknad",
    "consentText": {"nb": "Skattegrunnlag for inntektsåret {inntektsaar}"},
    "consentMetadata": {"inntektsaar": {"optional": False}},
    "sandbox": {"maxConsentValidity": "P10D", "metadataFormats": {"inntektsaar": "yyyy"}},
}


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    return KeyAuthority.open(with_test_keys(tmp_path_factory.mktemp("registry-authority")), Clock().now())


@pytest.fixture
def client(tmp_path, authority):
    app = create_app(Settings.load(environ={}).with_state_dir(tmp_path / "state"), authority=authority)
    yield app.test_client()
    app.extensions["sandbox"].store.close()


def test_navs_consent_resource_is_served_in_the_registry_shape(client):
    answer = client.get(f"/resourceregistry/api/v1/resource/{NAV}")
    assert answer.status_code == 200
    resource = answer.get_json()
    assert resource["identifier"] == NAV and resource["resourceType"] == "Consent"
    assert resource["consentTemplate"] == "default"
    assert resource["consentMetadata"] == {"fraogmed": {"optional": False}, "tilogmed": {"optional": False}}
    assert set(resource["title"]) == set(resource["consentText"]) == {"nb", "nn", "en"}
    assert all("{fraogmed}" in text and "{tilogmed}" in text for text in resource["consentText"].values())
    assert resource["hasCompetentAuthority"]["organization"] == "889640782"
    assert resource["accessListMode"] == "Enabled" and resource["isOneTimeConsent"] is False
    assert resource["sandbox"]["maxConsentValidity"] == "P3Y"
    assert resource["sandbox"]["metadataFormats"] == {"fraogmed": "dd.MM.yyyy", "tilogmed": "dd.MM.yyyy"}


def test_an_unknown_resource_is_a_404_problem(client):
    answer = client.get("/resourceregistry/api/v1/resource/finnes-ikke")
    assert answer.status_code == 404
    body = answer.get_json()
    assert body["status"] == 404 and body["title"] == "Not Found" and body["traceId"].startswith("00-")


def test_an_admin_adds_a_resource_and_it_is_served(client):
    added = client.post("/_sandbox/resources", json=SKE)
    assert added.status_code == 201, added.get_data(as_text=True)
    assert added.get_json()["access_list"] == []
    served = client.get(f"/resourceregistry/api/v1/resource/{SKE['identifier']}").get_json()
    assert served["consentTemplate"] == "sblanesoknad" and served["sandbox"]["maxConsentValidity"] == "P10D"
    assert client.post("/_sandbox/resources", json={**SKE, "title": {"nb": "Nytt navn"}}).status_code == 200
    assert client.get(f"/_sandbox/resources/{SKE['identifier']}").get_json()["title"] == {"nb": "Nytt navn"}
    listed = [r["identifier"] for r in client.get("/_sandbox/resources").get_json()["resources"]]
    assert listed == [NAV, SKE["identifier"]]


@pytest.mark.parametrize(
    "change",
    [
        {"identifier": "Store Bokstaver"},
        {"title": {"en": "no bokmål"}},
        {"resourceType": "Samtykke"},
        {"consentTemplate": "finnes_ikke"},
        {"consentMetadata": {"FraOgMed": {"optional": False}}},
        {"hasCompetentAuthority": {"organization": "123"}},
        {"accessListMode": "Sometimes"},
        {"sandbox": {"maxConsentValidity": "tre år"}},
        {"sandbox": {"metadataFormats": {"inntektsaar": "dd/MM"}}},
        {"sandbox": {"metadataFormats": {"ukjent": "yyyy"}}},
        {"sandbox": {"metadataFormats": {"inntektsaar": "yyyy"}, "metadataPeriod": ["inntektsaar"]}},
        {"isOneTimeConsent": "ja"},
    ],
)
def test_a_resource_the_registry_would_not_hold_is_refused(client, change):
    answer = client.post("/_sandbox/resources", json={**SKE, **change})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["error"] == "invalid_resource"


def test_access_lists_are_put_and_removed(client):
    base = f"/_sandbox/resources/{NAV}/access-list"
    first = client.put(f"{base}/310000019")
    assert first.status_code == 201 and first.get_json()["access_list"] == ["310000019"]
    again = client.put(f"{base}/310000019")
    assert again.status_code == 200 and again.get_json()["added"] is False
    assert client.get(base).get_json() == {"resource": NAV, "access_list": ["310000019"]}
    removed = client.delete(f"{base}/310000019")
    assert removed.get_json()["removed"] is True and removed.get_json()["access_list"] == []
    assert client.delete(f"{base}/310000019").get_json()["removed"] is False
    assert client.put(f"{base}/123456789").status_code == 400  # not an organisation number
    assert client.put("/_sandbox/resources/finnes-ikke/access-list/310000019").status_code == 404


def test_a_reset_keeps_resources_and_a_full_reset_seeds_them_again(client):
    client.post("/_sandbox/resources", json=SKE)
    client.put(f"/_sandbox/resources/{NAV}/access-list/310000019")
    client.post("/_sandbox/reset")
    assert client.get(f"/resourceregistry/api/v1/resource/{SKE['identifier']}").status_code == 200
    assert client.get(f"/_sandbox/resources/{NAV}/access-list").get_json()["access_list"] == ["310000019"]
    client.post("/_sandbox/reset", json={"registrations": True})
    assert client.get(f"/resourceregistry/api/v1/resource/{SKE['identifier']}").status_code == 404
    assert client.get(f"/resourceregistry/api/v1/resource/{NAV}").status_code == 200
    assert client.get(f"/_sandbox/resources/{NAV}/access-list").get_json()["access_list"] == []


def test_deleting_a_resource_forgets_its_access_list(client):
    client.post("/_sandbox/resources", json=SKE)
    client.put(f"/_sandbox/resources/{SKE['identifier']}/access-list/310000019")
    assert client.delete(f"/_sandbox/resources/{SKE['identifier']}").status_code == 200
    client.post("/_sandbox/resources", json=SKE)
    assert client.get(f"/_sandbox/resources/{SKE['identifier']}").get_json()["access_list"] == []


def test_the_registry_read_is_an_event(client):
    client.get(f"/resourceregistry/api/v1/resource/{NAV}")
    events = client.get("/_sandbox/events").get_json()["events"]
    assert [(e["operation"], e["details"].get("resource")) for e in events] == [("get_resource", NAV)]
