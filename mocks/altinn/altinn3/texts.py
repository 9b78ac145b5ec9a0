"""What Altinn 3's consent pages say, in bokmål (default) and English (``languageCode=en``).

Button and status texts are Altinn's own (Altinn/altinn-access-management-frontend,
``src/localizations/no_nb.json`` and ``en.json``: ``consent_request``, ``active_consents``,
``consent_errors``); the page frame and the refusal pages share Altinn 2's texts
(:mod:`..citizen.texts`); the consent wording itself comes from the resource and its template.
"""

from __future__ import annotations

from ..citizen.texts import texts_for as altinn2_texts

TEXTS3 = {
    "nb": {
        "page_title": "Godkjenn avtale - Altinn",
        "approve": "Ja, jeg gir samtykke",
        "reject": "Nei, jeg gir ikke samtykke",
        "already_approved": "Dette samtykket er allerede gitt",
        "already_rejected": "Dette samtykket er allerede avvist",
        "already_revoked": "Samtykket/fullmakten er trukket",
        "receipt_header": "Samtykket er registrert!",
        "receipt_body": "Du kan når som helst trekke tilbake samtykket i oversikten under Samtykke- og "
        "fullmaktsavtaler.",
        "receipt_back": "Tilbake til oversikten",
        "agreements_link": "Samtykker og fullmakter",
        "active_title": "Samtykke- og fullmaktsavtaler - Altinn",
        "active_heading": "Samtykker og fullmakter for {name}",
        "active_sub_heading": "Aktive avtaler",
        "no_active": "Ingen aktive avtaler",
        "history_heading": "Avtalelogg",
        "no_history": "Det finnes ingen innslag i avtaleloggen enda",
        "revoke": "Trekk samtykke",
        "revoke_label": "Trekk samtykket til {name}",
        "revoked_ok": "Samtykket {consentName} er trukket",
        "consent_given_at": "Samtykket ble gitt {date}",
        "time_limited": "Samtykket er tidsavgrenset og vil gå ut {date}",
        "recipient": "Mottaker",
        "status_active": "Samtykket er aktivt",
        "status_revoked": "Samtykket er ikke aktivt",
        "status_expired": "Samtykket er utløpt",
        "status_rejected": "Samtykket ble avvist",
        "status_created": "Venter på svar",
        "message_heading": "Melding fra {name}",
        "not_authorized": "Bruker er ikke autorisert for å gi samtykke/fullmakt",
        "consent_not_found": "Samtykket/fullmakten finnes ikke",
        "wrong_consent_status": "Samtykket/fullmakten har feil status for å kunne samtykke/gi fullmakt",
        "wrong_revoke_status": "Samtykket/fullmakten har feil status for å kunne trekkes",
        "wrong_reject_status": "Samtykket/fullmakten har feil status for å kunne avvises",
        "consent_is_expired": "Samtykket/fullmakten har utløpt",
        "expired_text": "Forespørselen fra {name} gjaldt til {date} og kan ikke lenger besvares. Start på nytt hos "
        "{name}.",
        "not_yours": "Bare den som ga samtykket, kan trekke det tilbake.",
        "load_error": "Kunne ikke laste samtykke/fullmakt",
    },
    "en": {
        "page_title": "Approve agreement - Altinn",
        "approve": "Yes, I give consent",
        "reject": "No, I do not give consent",
        "already_approved": "This consent is already given",
        "already_rejected": "This consent is already rejected",
        "already_revoked": "Consent/power of attorney is revoked",
        "receipt_header": "The consent has been registered!",
        "receipt_body": "You can withdraw this consent at any time in the overview below Consent and power of "
        "attorney agreements.",
        "receipt_back": "Back to overview",
        "agreements_link": "Consents and powers of attorney",
        "active_title": "Consent and power of attorney agreements - Altinn",
        "active_heading": "Consent and power of attorney agreements for {name}",
        "active_sub_heading": "Active agreements",
        "no_active": "No active agreements",
        "history_heading": "Agreement log",
        "no_history": "There are no entries in the agreement log yet",
        "revoke": "Revoke consent",
        "revoke_label": "Revoke the consent to {name}",
        "revoked_ok": "Consent {consentName} has been revoked",
        "consent_given_at": "The consent was given {date}",
        "time_limited": "The consent is time-limited and will expire {date}",
        "recipient": "Recipient",
        "status_active": "Consent is active",
        "status_revoked": "Consent is not active",
        "status_expired": "Consent has expired",
        "status_rejected": "Consent was rejected",
        "status_created": "Awaiting an answer",
        "message_heading": "Message from {name}",
        "not_authorized": "User is not authorized to give consent/power of attorney",
        "consent_not_found": "Consent/power of attorney does not exist",
        "wrong_consent_status": "Consent/power of attorney has wrong status to be able to consent/grant power "
        "of attorney",
        "wrong_revoke_status": "Consent/power of attorney has wrong status to be revoked",
        "wrong_reject_status": "Consent/power of attorney has wrong status to be rejected",
        "consent_is_expired": "Consent/power of attorney has expired",
        "expired_text": "The request from {name} was valid until {date} and can no longer be answered. Start again "
        "at {name}.",
        "not_yours": "Only the person who gave the consent can revoke it.",
        "load_error": "Could not load consent/power of attorney",
    },
}


def texts3(lang: str) -> dict:
    """Altinn 2's page texts with Altinn 3's on top, for ``lang``."""
    return {**altinn2_texts(lang), **TEXTS3["en" if lang == "en" else "nb"]}
