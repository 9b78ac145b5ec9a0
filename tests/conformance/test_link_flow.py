"""Correct integrations that differ from the reference insurer's defaults pass every requirement, and
broken ones fail the same requirements whichever way they ask: an Altinn 2 insurer that asks for consent
with the parameterised link (``/ui/AccessConsent/?Resources=5252_2&CoveredBy=…``), and one that exchanges
the code only at its first fetch. Broken link integrations: one that takes the code a callback brings
without asking Altinn whose it is, and one of the self-test's own variants (tests/conformance/
broken_insurers.py) with ``altinn2_flow = "link"``, which must fail exactly what it fails with REST. One
round of four full runs side by side (tests/conformance/full_runs.py)."""

from __future__ import annotations

import pytest

from dsop_sandbox.conformance.results import PASS
from dsop_sandbox.examples.reference_insurer.insurer import ReferenceInsurer
from tests.conformance.broken_insurers import EXPECTED_ALTINN2, KeepsConsentToken
from tests.conformance.full_runs import FullRun, run_all
from tests.conformance.self_test import verdicts


class TakesLinkCodeUnconfirmed(ReferenceInsurer):
    """Asks with the link, so it learns the AuthorizationCode only from the callback, and takes whatever
    code comes back to a pending claim without asking Altinn whose request it is."""

    def confirm_linked_request(self, claim: dict, code: str) -> str | None:
        return None


LINK = {"options": {"altinn2_flow": "link"}}
FIRST_FETCH = {"options": {"exchange": "first_fetch"}}
LINK_VARIANTS = (TakesLinkCodeUnconfirmed, KeepsConsentToken)
#: What each link variant must fail: KeepsConsentToken as it does with REST.
LINK_EXPECTED = {
    TakesLinkCodeUnconfirmed: {"DSOP-CALLBACK-STATE": "FAIL"},
    KeepsConsentToken: EXPECTED_ALTINN2[KeepsConsentToken],
}
JOBS = {
    "link": FullRun(None, "altinn2", insurer=LINK),
    "first_fetch": FullRun(None, "altinn2", insurer=FIRST_FETCH),
    **{variant.__name__: FullRun(variant, "altinn2", insurer=LINK) for variant in LINK_VARIANTS},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    results = run_all(list(JOBS.values()), tmp_path_factory)
    return {name: results[job] for name, job in JOBS.items()}


@pytest.mark.parametrize("name", ["link", "first_fetch"])
def test_a_correct_integration_passes_every_requirement(runs, name):
    got = verdicts(runs[name])
    assert {rid: verdict for rid, verdict in got.items() if verdict != PASS} == {}
    assert {"DSOP-CONSENT-REQUEST", "DSOP-REUSE", "DSOP-TOKEN-EXCHANGE"} <= set(got)


def test_the_link_made_the_request_and_the_late_exchange_came_with_the_first_fetch(runs):
    link = {v.requirement: v for s in runs["link"].scenarios for v in s.verdicts if s.name == "consent_granted"}
    made = [e for e in link["DSOP-CONSENT-REQUEST"].evidence if e.get("service") == "altinn"]
    assert made and {e["operation"] for e in made} <= {"consent_link", "consent_link_slash"}
    late = {v.requirement: v for s in runs["first_fetch"].scenarios for v in s.verdicts if s.name == "consent_granted"}
    assert "when it first fetched" in late["DSOP-TOKEN-EXCHANGE"].why


@pytest.mark.parametrize("variant", LINK_VARIANTS, ids=lambda v: v.__name__)
def test_a_broken_link_integration_fails_what_it_breaks(runs, variant):
    got = {rid: verdict for rid, verdict in verdicts(runs[variant.__name__]).items() if verdict != PASS}
    assert got == LINK_EXPECTED[variant], f"{variant.__name__} with the link: {variant.__doc__.strip()}"
