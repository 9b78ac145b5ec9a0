"""What Altinn's citizen pages say, in Norwegian bokmål (default) and English
(``?lang=en``, or ``languageCode=en`` from the link; :mod:`~dsop_sandbox.mocks.common.language`).

The consent text itself is not here: it is the service owner's, word for word, in
``templates/services/<template>.html``.
"""

from __future__ import annotations

from dsop_sandbox.mocks.common.language import page_language

MONTHS_NB = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

TEXTS = {
    "nb": {
        "sandbox": "Sandkasse for testing – bare syntetiske testpersoner",
        "time_zone": "Alle tidspunkter er norsk tid (Europe/Oslo).",
        "logged_in_as": "Innlogget som",
        "logout": "Logg ut",
        "my_consents_link": "Mine samtykker",
        "language": "English",
        "language_code": "en",
        # the consent page
        "asks": "{insurer} ber om samtykke til å hente opplysninger om deg",
        "org": "Organisasjonsnummer",
        "handled_by": "Forespørselen er sendt av {org} på vegne av {insurer}.",
        "message_from": "Melding fra {insurer}",
        "consent_text": "Samtykketekst",
        "data_period": "Opplysninger fra og med {start} til og med {end}",
        "income_year": "Inntektsår {year}",
        "answer": "Ditt svar",
        "accept": "Ja, jeg gir samtykke",
        "reject": "Nei, jeg samtykker ikke",
        "after": "Når du har svart, sendes du tilbake til {insurer}.",
        # consent page outcomes
        "not_found_title": "Fant ikke samtykkeforespørselen",
        "not_found": "Det finnes ingen samtykkeforespørsel med denne lenken. Kontroller lenken, eller start på "
        "nytt hos tjenesten du kom fra.",
        "no_id_title": "Lenken er ufullstendig",
        "no_id": "Lenken mangler id-en til samtykkeforespørselen (id=…). Start på nytt hos tjenesten du kom fra.",
        "someone_else_title": "Denne forespørselen gjelder en annen person",
        "someone_else": "Samtykkeforespørselen er til en annen person enn deg, og du kan ikke svare på den. "
        "Er du logget inn som feil person, kan du logge inn på nytt.",
        "login_as_other": "Logg inn som en annen person",
        "answered_title": "Forespørselen er allerede besvart",
        "answered_accepted": "Du ga samtykke {date} kl. {time} (norsk tid).",
        "answered_rejected": "Du sa nei til samtykke {date} kl. {time} (norsk tid).",
        "answered_more": "En samtykkeforespørsel kan bare besvares én gang. Du ser og kan trekke samtykkene "
        "dine under «Mine samtykker».",
        "expired_title": "Forespørselen er utløpt",
        "expired": "Samtykkeforespørselen fra {insurer} gjaldt til {date} kl. {time} (norsk tid) og kan ikke lenger "
        "besvares. Start på nytt hos {insurer}.",
        "bad_answer_title": "Svaret ble ikke forstått",
        "bad_answer": "Velg «Ja, jeg gir samtykke» eller «Nei, jeg samtykker ikke».",
        "csrf_title": "Skjemaet kunne ikke sendes",
        "csrf": "Skjemaet var utløpt eller kom ikke fra denne siden, så ingenting ble endret. Gå tilbake, "
        "last siden på nytt og prøv igjen.",
        # the link flow
        "link_invalid_title": "Samtykkelenken er ikke gyldig",
        "link_invalid": "Tjenesten som sendte deg hit, har laget en samtykkelenke Altinn ikke kan bruke. "
        "Ingen forespørsel er opprettet. Feilene under er til tjenesten som laget lenken:",
        "error_code": "Feilkode",
        # login
        "level_title": "Du må logge inn på høyeste sikkerhetsnivå",
        "level": "Denne tjenesten krever innlogging på sikkerhetsnivå høyt (idporten-loa-high), for eksempel med "
        "BankID eller TestID på høyt nivå. Du logget inn på et lavere nivå, så du er ikke logget inn "
        "i Altinn.",
        "try_again": "Logg inn på nytt",
        "login_failed_title": "Innloggingen kunne ikke fullføres",
        "login_unknown_state": "Innloggingen er ukjent, allerede brukt eller utløpt. Start på nytt fra siden "
        "du ville til.",
        "login_other_browser": "Innloggingen ble startet i en annen nettleser. Start på nytt fra siden du ville til.",
        "login_cancelled_title": "Innloggingen ble avbrutt",
        "login_cancelled": "Du avbrøt innloggingen i ID-porten, eller ID-porten avviste den. Du er ikke logget "
        "inn i Altinn.",
        "login_idporten_error": "ID-porten kunne ikke logge deg inn.",
        "login_unavailable": "Altinn fikk ikke kontakt med ID-porten. Prøv igjen om litt.",
        "login_refused": "ID-porten godtok ikke innloggingen. Start på nytt fra siden du ville til.",
        "details": "Teknisk forklaring",
        "logged_out_title": "Du er logget ut av Altinn",
        "logged_out": "Du er logget ut av Altinn. ID-porten kan fortsatt huske innloggingen din i denne nettleseren.",
        "back_to_consents": "Til «Mine samtykker»",
        # my consents
        "my_consents": "Mine samtykker",
        "my_consents_intro": "Her ser du samtykkene du har gitt og forespørslene du har sagt nei til, og hvem "
        "som har brukt samtykkene dine. Du kan trekke et samtykke tilbake når som helst.",
        "no_consents": "Du har ikke gitt noen samtykker.",
        "given_to": "Samtykke til {insurer}",
        "refused_to": "Nei til {insurer}",
        "covers": "Samtykket gjelder",
        "valid": "Gyldig fra {from_date} kl. {from_time} til {to_date} kl. {to_time} (norsk tid)",
        "status": "Status",
        "state": {
            "Active": "Aktiv",
            "Revoked": "Trukket tilbake",
            "Expired": "Utløpt",
            "Used": "Brukt opp",
            "Rejected": "Avslått",
        },
        "revoked_at": "den {date} kl. {time} (norsk tid)",
        "refused_at": "den {date} kl. {time} (norsk tid)",
        "one_time": "Engangssamtykke: kan ikke trekkes tilbake, og brukes opp første gang det brukes.",
        "use_log": "Bruk av samtykket",
        "no_uses": "Samtykket er ikke brukt ennå.",
        "use_when": "Tidspunkt (norsk tid)",
        "use_service": "Tjeneste",
        "use_by": "Logget av",
        "withdraw": "Trekk samtykke",
        "withdraw_label": "Trekk samtykket til {insurer}",
        "withdrawn": "Samtykket til {insurer} er trukket tilbake. {insurer} kan ikke lenger hente opplysninger "
        "med det.",
        "withdraw_failed_title": "Samtykket kunne ikke trekkes tilbake",
        "not_active": "Samtykket er ikke aktivt lenger ({state}), så det er ingenting å trekke tilbake.",
        "cannot_one_time": "Et engangssamtykke kan ikke trekkes tilbake.",
        "not_yours_title": "Dette er ikke ditt samtykke",
        "not_yours": "Bare den som ga samtykket, kan trekke det tilbake.",
        "consent_not_found": "Det finnes ikke noe samtykke med denne id-en.",
    },
    "en": {
        "sandbox": "Sandbox for testing – synthetic test persons only",
        "time_zone": "All times are Norwegian time (Europe/Oslo).",
        "logged_in_as": "Logged in as",
        "logout": "Log out",
        "my_consents_link": "My consents",
        "language": "Norsk (bokmål)",
        "language_code": "nb",
        "asks": "{insurer} asks for your consent to fetch information about you",
        "org": "Organisation number",
        "handled_by": "The request is sent by {org} on behalf of {insurer}.",
        "message_from": "Message from {insurer}",
        "consent_text": "Consent text",
        "data_period": "Information from {start} up to and including {end}",
        "income_year": "Income year {year}",
        "answer": "Your answer",
        "accept": "Yes, I give my consent",
        "reject": "No, I do not consent",
        "after": "When you have answered, you are sent back to {insurer}.",
        "not_found_title": "The consent request was not found",
        "not_found": "There is no consent request with this link. Check the link, or start again at the service "
        "you came from.",
        "no_id_title": "The link is incomplete",
        "no_id": "The link lacks the consent request's id (id=…). Start again at the service you came from.",
        "someone_else_title": "This request is for someone else",
        "someone_else": "The consent request is for another person, and you cannot answer it. If you are logged "
        "in as the wrong person, you can log in again.",
        "login_as_other": "Log in as another person",
        "answered_title": "The request has already been answered",
        "answered_accepted": "You gave your consent on {date} at {time} (Norwegian time).",
        "answered_rejected": "You declined on {date} at {time} (Norwegian time).",
        "answered_more": "A consent request can be answered only once. You can see and withdraw your consents "
        "under “My consents”.",
        "expired_title": "The request has expired",
        "expired": "The consent request from {insurer} was valid until {date} at {time} (Norwegian time) and can no "
        "longer be "
        "answered. Start again at {insurer}.",
        "bad_answer_title": "The answer was not understood",
        "bad_answer": "Choose “Yes, I give my consent” or “No, I do not consent”.",
        "csrf_title": "The form could not be sent",
        "csrf": "The form had expired or did not come from this page, so nothing was changed. Go back, reload "
        "the page and try again.",
        "link_invalid_title": "The consent link is not valid",
        "link_invalid": "The service that sent you here made a consent link Altinn cannot use. No request was "
        "created. The errors below are for the service that made the link:",
        "error_code": "Error code",
        "level_title": "You must log in at the highest security level",
        "level": "This service requires a login at security level high (idporten-loa-high), for example with "
        "BankID or TestID at the high level. You logged in at a lower level, so you are not logged in "
        "to Altinn.",
        "try_again": "Log in again",
        "login_failed_title": "The login could not be completed",
        "login_unknown_state": "The login is unknown, already used or expired. Start again from the page you wanted.",
        "login_other_browser": "The login was started in another browser. Start again from the page you wanted.",
        "login_cancelled_title": "The login was cancelled",
        "login_cancelled": "You cancelled the login at ID-porten, or ID-porten refused it. You are not logged in "
        "to Altinn.",
        "login_idporten_error": "ID-porten could not log you in.",
        "login_unavailable": "Altinn could not reach ID-porten. Try again in a little while.",
        "login_refused": "ID-porten did not accept the login. Start again from the page you wanted.",
        "details": "Technical explanation",
        "logged_out_title": "You are logged out of Altinn",
        "logged_out": "You are logged out of Altinn. ID-porten may still remember your login in this browser.",
        "back_to_consents": "To “My consents”",
        "my_consents": "My consents",
        "my_consents_intro": "Here are the consents you have given and the requests you declined, and who has "
        "used your consents. You can withdraw a consent at any time.",
        "no_consents": "You have not given any consents.",
        "given_to": "Consent to {insurer}",
        "refused_to": "Declined: {insurer}",
        "covers": "The consent covers",
        "valid": "Valid from {from_date} {from_time} to {to_date} {to_time} (Norwegian time)",
        "status": "Status",
        "state": {
            "Active": "Active",
            "Revoked": "Withdrawn",
            "Expired": "Expired",
            "Used": "Used up",
            "Rejected": "Declined",
        },
        "revoked_at": "on {date} at {time} (Norwegian time)",
        "refused_at": "on {date} at {time} (Norwegian time)",
        "one_time": "One-time consent: cannot be withdrawn, and is used up the first time it is used.",
        "use_log": "Use of the consent",
        "no_uses": "The consent has not been used yet.",
        "use_when": "Time (Norwegian time)",
        "use_service": "Service",
        "use_by": "Logged by",
        "withdraw": "Withdraw consent",
        "withdraw_label": "Withdraw the consent to {insurer}",
        "withdrawn": "The consent to {insurer} has been withdrawn. {insurer} can no longer fetch information with it.",
        "withdraw_failed_title": "The consent could not be withdrawn",
        "not_active": "The consent is no longer active ({state}), so there is nothing to withdraw.",
        "cannot_one_time": "A one-time consent cannot be withdrawn.",
        "not_yours_title": "This is not your consent",
        "not_yours": "Only the person who gave the consent can withdraw it.",
        "consent_not_found": "There is no consent with this id.",
    },
}


def language(*asked) -> str:
    """The page's language by the sandbox's policy (the citizen's ``?lang=`` or earlier choice, then
    ``asked``: a ``languageCode`` such as ``en`` or ``en-GB``, the request's language; nn falls back
    to nb)."""
    return page_language(*asked)


def texts_for(lang: str) -> dict:
    return TEXTS["en" if lang == "en" else "nb"]


def month_name(month: int, lang: str) -> str:
    return (MONTHS_EN if lang == "en" else MONTHS_NB)[month - 1]
