"""The two catalogues: each requirement quotes a sentence and names its public source, the ids
shared by both generations mean the same obligation, and each generation has its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsop_sandbox.conformance.catalogue import CATALOGUES, by_id, catalogue
from dsop_sandbox.conformance.drivers.base import consent_request_id, is_callback, on_consent_page
from dsop_sandbox.conformance.profile import GENERATIONS
from dsop_sandbox.conformance.results import MUST, SHOULD

SHARED = {
    "DSOP-CONSENT-REQUEST",
    "DSOP-CALLBACK",
    "DSOP-CALLBACK-STATE",
    "DSOP-FETCH",
    "DSOP-PERSON",
    "DSOP-REUSE",
    "DSOP-MASKINPORTEN-REFRESH",
    "DSOP-MASKINPORTEN-REUSE",
    "DSOP-DECLINED",
    "DSOP-REVOKED",
    "DSOP-NO-ENDLESS-RETRY",
    "DSOP-EXPIRY",
    "DSOP-ASYNC",
    "DSOP-RECOVERY",
    "DSOP-NO-HAMMERING",
    "DSOP-TLS-VERIFY",
}

ROOT = Path(__file__).resolve().parents[2]


def test_each_generation_has_the_shared_requirements_and_its_own():
    altinn3, altinn2 = (set(by_id(generation)) for generation in ("altinn3", "altinn2"))
    assert altinn3 & altinn2 == SHARED
    assert altinn2 - SHARED == {"DSOP-TOKEN-EXCHANGE", "DSOP-LOGUSE", "DSOP-TOKEN-FRESH", "DSOP-KEY-ROTATION"}
    assert altinn3 - SHARED == {"DSOP-CONSENT-IN-TOKEN"}
    assert set(CATALOGUES) == set(GENERATIONS)


@pytest.mark.parametrize("generation", GENERATIONS)
def test_every_requirement_quotes_its_sentence_and_a_public_source(generation):
    ids = [r.id for r in catalogue(generation)]
    assert len(ids) == len(set(ids))
    for requirement in catalogue(generation):
        assert requirement.level in (MUST, SHOULD)
        assert requirement.source.endswith(".") and len(requirement.source) > 20, requirement.id
        assert re.search(r"https://\S+", requirement.origin), requirement.id
        # public documents, or the repository's own summary of them (docs/), never notes that do not ship
        for path in re.findall(r"[\w./-]+\.md\b", requirement.origin):
            assert path.startswith("docs/") and (ROOT / path).is_file(), (requirement.id, path)


def test_the_shared_levels_agree_and_altinn3_keeps_its_sources_apart():
    for rid in SHARED:
        assert by_id("altinn3")[rid].level == by_id("altinn2")[rid].level, rid
    request = by_id("altinn3")["DSOP-CONSENT-REQUEST"]
    assert "nav_samtykke_dsop_aap-ufore" in request.title and "docs.altinn.studio" in request.origin
    assert "docs.digdir.no" in by_id("altinn3")["DSOP-CONSENT-IN-TOKEN"].origin


ALTINN, IDPORTEN = "http://localhost:7103", "http://localhost:7101"


def test_the_drivers_know_both_consent_pages_and_read_altinn3_s_request_id():
    page3 = ALTINN + "/accessmanagement/ui/consent/request?id=0193F2C4-7C1E-7D2A-9B8E-6A4F1C2D3E4F&languageCode=en"
    page2 = ALTINN + "/ui/AccessConsent/request?AuthorizationCode=abc"
    assert on_consent_page(page3, ALTINN) and on_consent_page(page2, ALTINN)
    assert not on_consent_page(ALTINN + "/accessmanagement/ui/consent/active", ALTINN)
    assert consent_request_id(page3, ALTINN) == "0193f2c4-7c1e-7d2a-9b8e-6a4f1c2d3e4f"
    assert consent_request_id(page2, ALTINN) is None
    assert is_callback("http://localhost:7200/claims/callback?claim=1&Status=Failed", (ALTINN, IDPORTEN))
    assert not is_callback(page3 + "&Status=OK", (ALTINN, IDPORTEN))
