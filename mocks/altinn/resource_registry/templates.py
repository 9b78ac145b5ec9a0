"""Altinn 3's consent templates: the texts Altinn's consent page wraps around a resource's consent
text. A resource names its template (``consentTemplate``); requests for resources of different
templates cannot be mixed (AM-00009).

The texts are Altinn's published templates (Altinn/altinn-studio-docs,
``content/authorization/architecture/resourceregistry/consent_templates.json``, the file Altinn's
consent page loads), cut to what a person's page shows: ``default`` and ``sblanesoknad`` (the
loan-application template Skatteetaten's SBL resources use, which takes no ``requestMessage``).
Placeholders: ``{CoveredBy}`` (the recipient's name), ``{OfferedBy}``, ``{HandledBy}``,
``{Expiration}`` (validTo in Norwegian time, ``dd.MM.yyyy HH:mm``).
"""

from __future__ import annotations

_HEADING = {
    "nb": "{CoveredBy} ønsker å hente opplysninger om deg",
    "nn": "{CoveredBy} ønskjer å hente opplysningar om deg",
    "en": "{CoveredBy} requests information about you",
}
_TITLE = {
    "nb": "Samtykke til bruk av dine data",
    "nn": "Samtykke til bruk av dine data",
    "en": "Consent to use of your data",
}
_SERVICE_INTRO = {
    "nb": "Ved at du samtykker, får {CoveredBy} tilgang til følgende opplysninger om deg",
    "nn": "Ved at du samtykker, får {CoveredBy} tilgang til følgjande opplysningar om deg",
    "en": "By giving consent, {CoveredBy} gets access to the following information about you",
}
_EXPIRATION = {
    "nb": "Samtykket er tidsavgrenset og vil gå ut {Expiration}",
    "nn": "Samtykket er tidsavgrensa og vil gå ut {Expiration}",
    "en": "The consent is time-limited, and will expire {Expiration}",
}
_EXPIRATION_ONE_TIME = {
    "nb": "Samtykket gjelder én gangs utlevering av opplysningene.",
    "nn": "Samtykket gjeld ein gongs utlevering av opplysningane.",
    "en": "The consent applies for one-time disclosure of information.",
}
_HANDLED_BY = {
    "nb": "{HandledBy} foretar dette oppslaget på vegne av {CoveredBy}.",
    "nn": "{HandledBy} gjer dette oppslaget på vegne av {CoveredBy}.",
    "en": "{HandledBy} performs the lookup on behalf of {CoveredBy}.",
}
_SERVICE_INTRO_ACCEPTED = {
    "nb": "Samtykket gir {CoveredBy} tilgang til følgende opplysninger om deg",
    "nn": "Samtykket gir {CoveredBy} tilgang til følgjande opplysningar om deg",
    "en": "The consent gives {CoveredBy} access to the following information about you",
}

TEMPLATES: dict[str, dict] = {
    "default": {
        "id": "default",
        "templateVersion": 1,
        "title": "Samtykke til å dele data (standard)",
        "isPoa": False,
        "isMessageSetInRequest": True,
        "texts": {
            "title": _TITLE,
            "heading": _HEADING,
            "serviceIntro": _SERVICE_INTRO,
            "serviceIntroAccepted": _SERVICE_INTRO_ACCEPTED,
            "overriddenDelegationContext": None,
            "expiration": _EXPIRATION,
            "expirationOneTime": _EXPIRATION_ONE_TIME,
            "handledBy": _HANDLED_BY,
        },
    },
    "sblanesoknad": {
        "id": "sblanesoknad",
        "templateVersion": 1,
        "title": "Samtykkebasert lånesøknad",
        "isPoa": False,
        "isMessageSetInRequest": False,
        "texts": {
            "title": _TITLE,
            "heading": _HEADING,
            "serviceIntro": _SERVICE_INTRO,
            "serviceIntroAccepted": _SERVICE_INTRO_ACCEPTED,
            "overriddenDelegationContext": {
                "nb": "Ved å samtykke, gir du Skatteetaten rett til å utlevere opplysninger om deg direkte til "
                "{CoveredBy}. Banken får opplysningene for å behandle søknaden din om finansiering",
                "nn": "Ved å samtykka, gir du Skatteetaten rett til å utlevera opplysningar om deg direkte til "
                "{CoveredBy}. Banken får opplysningane for å behandla søknaden din om finansiering.",
                "en": "By consenting you grant the The Norwegian Tax Administration the right to disclose "
                "information about you directly to {CoveredBy}. The bank receives the information to process "
                "your application for financing",
            },
            "expiration": _EXPIRATION,
            "expirationOneTime": _EXPIRATION_ONE_TIME,
            "handledBy": _HANDLED_BY,
        },
    },
}


def template(template_id: str | None) -> dict | None:
    return TEMPLATES.get(template_id or "")


def text(template_id: str, name: str, lang: str) -> str | None:
    """One text of a template in ``lang`` (nb when the language is missing)."""
    texts = (template(template_id) or TEMPLATES["default"])["texts"].get(name)
    if not texts:
        return None
    return texts.get(lang) or texts.get("nb")
