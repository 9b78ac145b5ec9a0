"""NAV's Altinn 3 consent resource for DSOP, as the resource registry serves it.

What is published: the identifier ``nav_samtykke_dsop_aap-ufore``, that it is a consent resource
in the registry (``https://platform.tt02.altinn.no/resourceregistry/api/v1/resource/nav_samtykke_dsop_aap-ufore``),
and its metadata ``fraogmed``/``tilogmed`` in ``dd.MM.yyyy`` (navikt/pensjon-ekstern-api,
``docs/api/uforeopplysninger/apidocUforeopplysninger.yaml``, "Altinn 3: Altinn ressursnavn må være
nav_samtykke_dsop_aap-ufore"). The title, description and consent text below are the sandbox's
own wording (NAV's registry texts are not published); the consent template is Altinn's
``default``. NAV allows consents of at most three years for DSOP syke- og uføreopplysninger, which
the sandbox keeps in its own field ``sandbox`` (see :mod:`.store`).
"""

from __future__ import annotations

NAV_ORG = "889640782"
IDENTIFIER = "nav_samtykke_dsop_aap-ufore"

RESOURCE: dict = {
    "identifier": IDENTIFIER,
    "version": "1",
    "title": {
        "nb": "Arbeidsavklaringspenger og uføretrygd fra NAV (DSOP)",
        "nn": "Arbeidsavklaringspengar og uføretrygd frå NAV (DSOP)",
        "en": "Work assessment allowance and disability benefit from NAV (DSOP)",
    },
    "description": {
        "nb": "Samtykke til at NAV utleverer opplysninger om arbeidsavklaringspenger og uføretrygd til et "
        "forsikringsselskap eller en pensjonsinnretning.",
        "nn": "Samtykke til at NAV utleverer opplysningar om arbeidsavklaringspengar og uføretrygd til eit "
        "forsikringsselskap eller ei pensjonsinnretning.",
        "en": "Consent for NAV to disclose information on work assessment allowance and disability benefit to "
        "an insurance company or pension provider.",
    },
    "rightDescription": {
        "nb": "Gir mottakeren rett til å hente AAP- og uføreopplysninger fra NAV.",
        "nn": "Gir mottakaren rett til å hente AAP- og uføreopplysningar frå NAV.",
        "en": "Lets the recipient fetch work assessment allowance and disability information from NAV.",
    },
    "status": "Completed",
    "contactPoints": [
        {"category": "Teknisk", "email": "dsop@nav.example", "telephone": "", "contactPage": "https://www.nav.no"}
    ],
    "delegable": True,
    "visible": True,
    "hasCompetentAuthority": {
        "name": {
            "nb": "Arbeids- og velferdsetaten",
            "nn": "Arbeids- og velferdsetaten",
            "en": "Norwegian Labour and Welfare Administration",
        },
        "organization": NAV_ORG,
        "orgcode": "nav",
    },
    "accessListMode": "Enabled",
    "selfIdentifiedUserEnabled": False,
    "enterpriseUserEnabled": False,
    "resourceType": "Consent",
    "availableForType": ["PrivatePerson"],
    "consentTemplate": "default",
    "consentText": {
        "nb": "Opplysninger fra NAV om **arbeidsavklaringspenger** (vedtak og meldekort) og **uføretrygd** "
        "(vedtak, uføregrad og inntekt før og etter uførhet) for perioden **{fraogmed}** til og med "
        "**{tilogmed}**.\n\nOpplysningene brukes til å behandle søknaden din om utbetaling fra "
        "uføreforsikring eller innskudds- og premiefritak i tjenestepensjon. NAV logger hver utlevering, "
        "og du kan se hva som er utlevert på nav.no.",
        "nn": "Opplysningar frå NAV om **arbeidsavklaringspengar** (vedtak og meldekort) og **uføretrygd** "
        "(vedtak, uføregrad og inntekt før og etter uførleik) for perioden **{fraogmed}** til og med "
        "**{tilogmed}**.\n\nOpplysningane blir brukte til å handsame søknaden din om utbetaling frå "
        "uføreforsikring eller innskots- og premiefritak i tenestepensjon. NAV loggfører kvar utlevering, "
        "og du kan sjå kva som er utlevert på nav.no.",
        "en": "Information from NAV on **work assessment allowance** (decisions and employment status forms) "
        "and **disability benefit** (decisions, degree of disability and income before and after the "
        "disability) for the period **{fraogmed}** up to and including **{tilogmed}**.\n\nThe information "
        "is used to process your claim for a payment from disability insurance or a contribution or premium "
        "waiver in an occupational pension. NAV logs every disclosure, and you can see what has been "
        "disclosed at nav.no.",
    },
    "consentMetadata": {"fraogmed": {"optional": False}, "tilogmed": {"optional": False}},
    "isOneTimeConsent": False,
    "versionId": 1,
    "sandbox": {
        "maxConsentValidity": "P3Y",
        "metadataFormats": {"fraogmed": "dd.MM.yyyy", "tilogmed": "dd.MM.yyyy"},
        "metadataPeriod": ["fraogmed", "tilogmed"],
    },
}

#: The resources every sandbox's registry holds.
SEEDED = (RESOURCE,)
#: The consent resources of the DSOP flow (what a registered insurer may ask consent for).
DSOP_RESOURCES = (IDENTIFIER,)
