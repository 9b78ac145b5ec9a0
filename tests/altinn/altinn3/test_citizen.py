"""Altinn 3's consent page and the citizen's active consents in process: what the citizen sees,
the answer and where it sends the browser, every refusal page, and revoking. The ID-porten login
itself is Altinn 2's machinery (tested there and in the browser tests); here the citizen's session
is made directly."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from dsop_sandbox.mocks.altinn.altinn3.answer_redirect import answer_redirect
from dsop_sandbox.mocks.altinn.altinn3.consent_text import markdown, with_metadata
from dsop_sandbox.mocks.altinn.altinn3.urns import person_urn
from dsop_sandbox.mocks.altinn.citizen import login as L
from tests.altinn.altinn3.world import INSURER_NAME, KARI, OLA, REDIRECT

PAGE = "/accessmanagement/ui/consent/request"
ACTIVE = "/accessmanagement/ui/consent/active"
DAY = 86400


def page(world, consent_id: str, **args):
    return world.client.get(PAGE, query_string={"id": consent_id, **args})


def answer(world, consent_id: str, choice: str, csrf: str | None = None, **args):
    data = {"csrf": world.csrf() if csrf is None else csrf, "answer": choice}
    return world.client.post(PAGE, query_string={"id": consent_id, **args}, data=data)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def status_of(world, consent_id: str) -> dict:
    return world.client.get(f"/_sandbox/altinn3/consents/{consent_id}").get_json()


def consent(world, **body) -> dict:
    made = world.client.post("/_sandbox/altinn3/consents", json={"from": KARI, "to": "310000019", **body})
    assert made.status_code == 201, made.get_data(as_text=True)
    return made.get_json()


# -- the consent page ----------------------------------------------------------------------------------------------
def test_without_a_session_the_page_sends_the_citizen_to_idporten(world):
    made = world.created()
    first = page(world, made["id"])
    assert first.status_code == 302
    authorize = urlsplit(first.headers["Location"])
    query = parse_qs(authorize.query)
    assert authorize.path == "/authorize" and query["client_id"] == ["altinn"]
    assert query["acr_values"] == [L.HIGH] and query["redirect_uri"][0].endswith(L.CALLBACK_PATH)
    pending = world.rt.store.query_one("SELECT return_url FROM citizen_logins WHERE state = ?", (query["state"][0],))
    assert pending["return_url"] == f"{PAGE}?id={made['id']}"


def test_the_page_shows_the_template_and_the_consent_text_with_the_metadata(world):
    made = world.created(requestMessage={"nb": "Gjelder skadesak 2026-0042", "en": "About claim 2026-0042"})
    world.log_in(KARI)
    shown = page(world, made["id"])
    assert shown.status_code == 200 and shown.headers["Content-Type"].startswith("text/html")
    assert shown.headers["Cache-Control"] == "no-store" and shown.headers["X-Frame-Options"] == "DENY"
    words = text(shown)
    assert f"{INSURER_NAME} ønsker å hente opplysninger om deg" in words
    assert f"Ved at du samtykker, får {INSURER_NAME} tilgang til følgende opplysninger om deg" in words
    assert "Arbeidsavklaringspenger og uføretrygd fra NAV (DSOP)" in words
    assert "for perioden 01.01.2024 til og med 31.12.2026" in words
    assert "Gjelder skadesak 2026-0042" in words and "Samtykket er tidsavgrenset og vil gå ut" in words
    assert "Ja, jeg gir samtykke" in words and "Nei, jeg gir ikke samtykke" in words
    assert "Innlogget som Kari Nordmann" in words
    assert world.csrf() in shown.get_data(as_text=True)
    english = text(page(world, made["id"], languageCode="en"))
    assert f"{INSURER_NAME} requests information about you" in english and "About claim 2026-0042" in english
    assert "for the period 01.01.2024 up to and including 31.12.2026" in english


def test_metadata_keys_sent_in_another_case_are_not_filled_in_as_in_altinn(world):
    right = {
        "action": ["consent"],
        "resource": [{"type": "urn:altinn:resource", "value": "nav_samtykke_dsop_aap-ufore"}],
        "metadata": {"fraOgMed": "01.01.2024", "tilogmed": "31.12.2026"},
    }
    made = world.created(consentRights=[right])
    world.log_in(KARI)
    assert "for perioden {fraogmed} til og med 31.12.2026" in text(page(world, made["id"]))


def test_a_supplier_is_named_on_the_page(world):
    world.register("310000035", "Leverandør AS", access=False)
    made = consent(world, status="Created", handled_by="310000035")
    world.log_in(KARI)
    assert f"Leverandør AS foretar dette oppslaget på vegne av {INSURER_NAME}." in text(page(world, made["id"]))


def test_someone_else_cannot_see_or_answer_it(world):
    made = world.created()
    world.log_in(OLA)
    shown = page(world, made["id"])
    assert shown.status_code == 403 and "Denne forespørselen gjelder en annen person" in text(shown)
    assert 'id="login-as-other"' in shown.get_data(as_text=True)
    assert answer(world, made["id"], "accept").status_code == 403
    assert status_of(world, made["id"])["status"] == "Created"
    assert world.events("altinn3_consent_answer")[-1]["error"] == "AM-00000"


def test_a_required_delegator_answers_instead_of_the_person(world):
    made = world.created(requiredDelegator=person_urn(OLA))
    world.log_in(KARI)
    assert page(world, made["id"]).status_code == 403
    world.log_in(OLA)
    assert page(world, made["id"]).status_code == 200


@pytest.mark.parametrize(
    ("consent_id", "status"), [("", 400), ("abc", 404), ("0" * 8 + "-0000-0000-0000-" + "0" * 12, 404)]
)
def test_missing_or_unknown_requests(world, consent_id, status):
    world.log_in(KARI)
    assert page(world, consent_id).status_code == status
    assert world.client.post(PAGE, query_string={"id": consent_id}, data={}).status_code == status


# -- the answer --------------------------------------------------------------------------------------------------
def test_accepting_logs_out_and_sends_the_browser_back_with_status_ok(world):
    made = world.created()
    world.log_in(KARI)
    answered = answer(world, made["id"], "accept")
    assert answered.status_code == 302
    assert answered.headers["Location"] == REDIRECT + "&Status=OK"
    assert f"{L.SESSION_COOKIE}=;" in answered.headers["Set-Cookie"]  # logged out of Altinn, as Altinn does
    stored = status_of(world, made["id"])
    assert stored["status"] == "Accepted" and stored["consented"]
    assert stored["consentRequestEvents"][-1]["performedBy"] == person_urn(KARI)
    [event] = world.events("altinn3_consent_answer")
    assert event["status"] == 302 and event["subject"] == KARI
    assert event["details"]["consent_id"] == made["id"] and event["details"]["answer"] == "accepted"
    assert event["details"]["redirect_to"] == "https://forsikring.example/samtykke/retur"


def test_rejecting_sends_the_browser_back_with_status_failed(world):
    made = world.created(redirectUrl="https://forsikring.example/retur")
    world.log_in(KARI)
    answered = answer(world, made["id"], "reject")
    assert answered.headers["Location"] == (
        "https://forsikring.example/retur?Status=Failed&ErrorMessage=User+did+not+give+consent"
    )
    assert status_of(world, made["id"])["status"] == "Rejected"
    assert world.events("altinn3_consent_answer")[0]["details"]["answer"] == "rejected"


@pytest.mark.parametrize(
    ("url", "accepted", "expected"),
    [
        ("https://a.example/cb?x=1#top", True, "https://a.example/cb?x=1&Status=OK#top"),
        ("https://A.Example:443", True, "https://a.example/?Status=OK"),
        (
            "https://a.example/#/claims?x=1",
            False,
            "https://a.example/#/claims?x=1&Status=Failed&ErrorMessage=User+did+not+give+consent",
        ),
        ("myapp://consent/done", True, "myapp://consent/done?Status=OK"),
        ("http://localhost:7200/claims/callback?sak=1", True, "http://localhost:7200/claims/callback?sak=1&Status=OK"),
    ],
)
def test_the_outcome_joins_the_redirect_urls_query(url, accepted, expected):
    assert answer_redirect(url, accepted) == expected


def test_a_form_without_this_sessions_csrf_token_changes_nothing(world):
    made = world.created()
    world.log_in(KARI)
    refused = answer(world, made["id"], "accept", csrf="forged")
    assert refused.status_code == 403 and status_of(world, made["id"])["status"] == "Created"
    assert world.events("altinn3_consent_answer")[-1]["error"] == "csrf"


def test_an_answer_that_is_neither(world):
    made = world.created()
    world.log_in(KARI)
    assert answer(world, made["id"], "maybe").status_code == 400


def test_a_session_gone_while_the_page_was_open_goes_back_to_the_page(world):
    made = world.created()
    answered = world.client.post(PAGE, query_string={"id": made["id"]}, data={"csrf": "x", "answer": "accept"})
    assert answered.status_code == 303 and answered.headers["Location"] == f"{PAGE}?id={made['id']}"


def test_accept_only_before_valid_to_on_the_calendar(world):
    made = world.created(validTo=world.valid_to(5))
    world.log_in(KARI)
    csrf = world.csrf()
    world.rt.set_calendar_offset(6 * DAY)
    assert page(world, made["id"]).status_code == 410
    refused = answer(world, made["id"], "accept", csrf=csrf)
    assert refused.status_code == 410 and "utløpt" in text(refused)
    assert world.events("altinn3_consent_answer")[-1]["error"] == "AM.VLD-00022"
    assert status_of(world, made["id"])["status"] == "Created"


def test_reject_is_allowed_after_valid_to_as_in_altinn(world):
    made = world.created(validTo=world.valid_to(5))
    world.log_in(KARI)
    csrf = world.csrf()
    world.rt.set_calendar_offset(6 * DAY)
    assert answer(world, made["id"], "reject", csrf=csrf).status_code == 302


def test_an_answered_request_shows_its_answer(world):
    accepted = consent(world)
    rejected = consent(world, status="Rejected")
    revoked = consent(world, status="Revoked")
    world.log_in(KARI)
    assert "Dette samtykket er allerede gitt" in text(page(world, accepted["id"]))
    assert "Dette samtykket er allerede avvist" in text(page(world, rejected["id"]))
    assert "trukket" in text(page(world, revoked["id"]))


def test_answering_again_is_a_no_op_or_the_real_refusal(world):
    accepted = consent(world)
    rejected = consent(world, status="Rejected")
    revoked = consent(world, status="Revoked")
    world.log_in(KARI)
    assert answer(world, accepted["id"], "accept").headers["Location"].endswith("Status=OK")
    world.log_in(KARI)
    assert answer(world, rejected["id"], "reject").headers["Location"].endswith("consent")
    world.log_in(KARI)
    cases = [(accepted, "reject", "AM-00015"), (rejected, "accept", "AM-00002"), (revoked, "accept", "AM-00002")]
    for made, choice, code in cases:
        refused = answer(world, made["id"], choice)
        assert refused.status_code == 409, (choice, code)
        assert world.events("altinn3_consent_answer")[-1]["error"] == code


def test_an_action_the_resource_does_not_delegate_cannot_be_accepted(world):
    right = {
        "action": ["read"],
        "resource": [{"type": "urn:altinn:resource", "value": "nav_samtykke_dsop_aap-ufore"}],
        "metadata": {"fraogmed": "01.01.2024", "tilogmed": "31.12.2026"},
    }
    made = world.created(consentRights=[right])
    world.log_in(KARI)
    assert answer(world, made["id"], "accept").status_code == 403
    assert world.events("altinn3_consent_answer")[-1]["error"] == "AM-00000"


def test_skiplogout_keeps_the_citizen_in_altinn(world):
    first, second = world.created(), world.created()
    world.log_in(KARI)
    receipt = answer(world, first["id"], "accept", skiplogout="true")
    assert receipt.status_code == 200 and "Samtykket er registrert!" in text(receipt)
    rejected = answer(world, second["id"], "reject", skiplogout="true")
    assert rejected.status_code == 303 and rejected.headers["Location"] == ACTIVE


# -- the active consents and revoking ------------------------------------------------------------------------------
def test_the_active_consents_page_lists_and_revokes(world):
    active = consent(world)
    consent(world, status="Rejected")
    consent(world, **{"from": OLA})
    world.log_in(KARI)
    shown = world.client.get(ACTIVE)
    words = text(shown)
    assert shown.status_code == 200 and "Samtykker og fullmakter for Kari Nordmann" in words
    html = shown.get_data(as_text=True)
    assert html.count('class="card consent"') == 1 and f'id="consent-{active["id"]}"' in html
    assert "Samtykket ble avvist" in words  # the log
    revoked = world.client.post(f"{ACTIVE}/{active['id']}/revoke", data={"csrf": world.csrf()})
    assert revoked.status_code == 303 and revoked.headers["Location"] == f"{ACTIVE}?revoked={active['id']}"
    after = world.client.get(revoked.headers["Location"])
    assert "Samtykket Arbeidsavklaringspenger og uføretrygd fra NAV (DSOP) er trukket" in text(after)
    assert 'class="card consent"' not in after.get_data(as_text=True)
    assert status_of(world, active["id"])["status"] == "Revoked"
    [event] = world.events("altinn3_revoke_consent")
    assert event["subject"] == KARI and event["details"]["consent_id"] == active["id"] and event["status"] == 303


def test_without_a_session_the_active_page_logs_in_first(world):
    assert world.client.get(ACTIVE).status_code == 302
    assert world.client.post(f"{ACTIVE}/x/revoke").status_code == 303


def test_an_expired_consent_is_in_the_log_not_among_the_active(world):
    made = consent(world, valid_for="P10D")
    world.rt.set_calendar_offset(11 * DAY)
    world.log_in(KARI)
    shown = world.client.get(ACTIVE).get_data(as_text=True)
    assert "Samtykket er utløpt" in shown and f'id="history-{made["id"]}"' in shown


def test_revoking_is_refused_as_altinn_refuses_it(world):
    created = consent(world, status="Created")
    revoked = consent(world, status="Revoked")
    olas = consent(world, **{"from": OLA})
    world.log_in(KARI)
    csrf = world.csrf()
    post = world.client.post
    assert post(f"{ACTIVE}/{created['id']}/revoke", data={"csrf": csrf}).status_code == 409
    assert world.events("altinn3_revoke_consent")[-1]["error"] == "AM-00010"
    assert post(f"{ACTIVE}/{revoked['id']}/revoke", data={"csrf": csrf}).status_code == 303  # a no-op, as in Altinn
    assert post(f"{ACTIVE}/{olas['id']}/revoke", data={"csrf": csrf}).status_code == 403
    assert post(f"{ACTIVE}/00000000-0000-0000-0000-000000000000/revoke", data={"csrf": csrf}).status_code == 404
    assert post(f"{ACTIVE}/{olas['id']}/revoke", data={"csrf": "forged"}).status_code == 403
    assert status_of(world, olas["id"])["status"] == "Accepted"


# -- the consent text ----------------------------------------------------------------------------------------------
def test_consent_text_markdown_is_escaped_and_rendered():
    html = str(markdown("**Viktig** <script>x</script>\n\n- en\n- to\n\n[Les mer](https://nav.no/a) *nå*"))
    assert html == (
        "<p><strong>Viktig</strong> &lt;script&gt;x&lt;/script&gt;</p><ul><li>en</li><li>to</li></ul>"
        '<p><a href="https://nav.no/a" rel="noopener noreferrer">Les mer</a> <em>nå</em></p>'
    )
    assert str(markdown("[x](javascript:alert(1))")) == "<p>[x](javascript:alert(1))</p>"


def test_metadata_is_put_in_by_the_key_as_sent():
    assert with_metadata("{a} og {A}", {"a": "1"}) == "1 og {A}"
