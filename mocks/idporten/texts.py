"""What the ID-porten pages say, in Norwegian (default) and English (``?lang=en``, or ``ui_locales=en``
from the client)."""

from __future__ import annotations

from dsop_sandbox.mocks.common.identifiers import (
    FNR_BAD_CHECK_DIGITS,
    FNR_NO_DATE,
    FNR_NOT_11_DIGITS,
    FNR_NOT_SYNTHETIC,
)
from dsop_sandbox.mocks.common.language import page_language

#: Why a fødselsnummer is refused, in Norwegian (the English reasons come from identifiers).
PID_PROBLEMS_NB = {
    FNR_NOT_11_DIGITS: "et fødselsnummer har 11 siffer",
    FNR_BAD_CHECK_DIGITS: "kontrollsifrene stemmer ikke (mod 11)",
    FNR_NOT_SYNTHETIC: "bare syntetiske testnummer (TestID/Tenor: måned + 80) godtas; "
    "sandkassen tar aldri imot ekte fødselsnummer",
    FNR_NO_DATE: "nummeret er ikke en gyldig dato",
}

TEXTS = {
    "nb": {
        "title": "Logg inn med ID-porten",
        "to": "Du logger inn på",
        "sandbox": "Sandkasse for testing – bare syntetiske testpersoner",
        "person": "Hvem vil du logge inn som?",
        "person_help": "Velg en av testpersonene, eller skriv et syntetisk fødselsnummer.",
        "other": "Annet syntetisk fødselsnummer",
        "other_help": "11 siffer, der måneden er lagt til 80 (TestID/Tenor). Ekte fødselsnummer avvises.",
        "method": "Hvordan vil du logge inn?",
        "gives": "gir sikkerhetsnivå",
        "level": {"idporten-loa-substantial": "betydelig", "idporten-loa-high": "høyt"},
        "needs": "Tjenesten krever sikkerhetsnivå",
        "too_low": "gir for lavt sikkerhetsnivå for denne tjenesten",
        "login": "Logg inn",
        "cancel": "Avbryt",
        "no_persons": "Ingen testpersoner er registrert ennå; skriv et syntetisk fødselsnummer.",
        "error_title": "Noe gikk galt",
        "continue": "Fortsett",
        "logged_out": "Du er logget ut",
        "confirm_logout": "Vil du logge ut av ID-porten?",
        "confirm_logout_why": (
            "Utloggingen kom uten bevis på hvilken tjeneste som ba om den. Logg ut bare hvis du selv ba om det."
        ),
        "log_out": "Logg ut",
        "logout_wait": "Du logges ut fra tjenestene du brukte …",
        "language": "English",
        "preselected": "Forhåndsvalgt av sandkassen",
        "preselected_why": "tjenesten oppga hvem innloggingen gjelder (login_hint)",
    },
    "en": {
        "title": "Log in with ID-porten",
        "to": "You are logging in to",
        "sandbox": "Sandbox for testing – synthetic test persons only",
        "person": "Who do you want to log in as?",
        "person_help": "Choose one of the test persons, or type a synthetic national identity number.",
        "other": "Another synthetic national identity number",
        "other_help": "11 digits with 80 added to the month (TestID/Tenor). Real numbers are refused.",
        "method": "How do you want to log in?",
        "gives": "gives security level",
        "level": {"idporten-loa-substantial": "substantial", "idporten-loa-high": "high"},
        "needs": "The service requires security level",
        "too_low": "gives too low a security level for this service",
        "login": "Log in",
        "cancel": "Cancel",
        "no_persons": "No test persons are registered yet; type a synthetic national identity number.",
        "error_title": "Something went wrong",
        "continue": "Continue",
        "logged_out": "You are logged out",
        "confirm_logout": "Do you want to log out of ID-porten?",
        "confirm_logout_why": (
            "The logout came without proof of which service asked for it. Log out only if you asked to."
        ),
        "log_out": "Log out",
        "logout_wait": "Logging you out of the services you used …",
        "language": "Norsk (bokmål)",
        "preselected": "Preselected by the sandbox",
        "preselected_why": "the service named who the login is for (login_hint)",
    },
}


def texts_for(ui_locales: str | None) -> tuple[str, dict]:
    """The page's language by the sandbox's policy (:mod:`~dsop_sandbox.mocks.common.language`: the
    citizen's choice, then the first supported language in ``ui_locales``; nn and se fall back to nb)
    and its texts."""
    lang = page_language(ui_locales)
    return lang, TEXTS[lang]
