"""The requirements the suite judges, one catalogue per consent generation, each requirement with
the sentence it rests on and the public document that sentence comes from.

An insurer is judged by the catalogue of the generation its profile names (``[insurer] consent``).
Requirements that are the same obligation in both generations keep one id (DSOP-CONSENT-REQUEST,
DSOP-CALLBACK, … DSOP-TLS-VERIFY), with the sentence, source and evidence of their generation.
Altinn 2 alone has DSOP-TOKEN-EXCHANGE, DSOP-LOGUSE, DSOP-TOKEN-FRESH and DSOP-KEY-ROTATION (there is
no consent token, no use log and no Altinn signing key in Altinn 3); Altinn 3 alone has
DSOP-CONSENT-IN-TOKEN (the consent travels inside the Maskinporten grant). Each requirement is about
what the *insurer's integration* does; what the services enforce themselves is not judged here.
"""

from __future__ import annotations

from .profile import GENERATIONS
from .results import MUST, SHOULD, Requirement

# -- the public documents ---------------------------------------------------------------------------------
#: The process description tells the flow in prose; "step N" is of the numbered list in docs/dsop-process.md.
PROCESS = (
    "DSOP, «Syke- og uføreopplysninger fra NAV» (process description, https://dokumentasjon.dsop.no/dsop_su_om.html;"
    " its steps as docs/dsop-process.md numbers them)"
)
DSOP_CONSENT = (
    "DSOP, «Integrasjon mot samtykkeløsningen» (Syke- og uføreopplysninger), "
    "https://dokumentasjon.dsop.no/dsop_su_integrasjonSamtykke.html"
)
A2_REQUESTS = "Altinn, «Bruk av samtykkeforespørsler», https://altinn.github.io/docs/utviklingsguider/samtykke/anbefalinger/foresporsler/"
A2_VERIFY = "Altinn, «Verifisering av samtykke», https://altinn.github.io/docs/utviklingsguider/samtykke/anbefalinger/verifisering/"
A2_TOKEN = "Altinn, «Hente token», https://altinn.github.io/docs/utviklingsguider/samtykke/datakonsument/hente-token/"
A2_LOGUSE = "Altinn, «Logge bruk av samtykke», https://altinn.github.io/docs/utviklingsguider/samtykke/datakonsument/logge-bruk/"
A2_SOURCE_TOKEN = (
    "Altinn, «Bruk av token», https://altinn.github.io/docs/utviklingsguider/samtykke/datakilde/bruk-av-token/"
)
A3_CONSENT = (
    "Altinn, «Consent for data consumers», https://docs.altinn.studio/en/authorization/guides/system-vendor/consent/"
)
A3_REQUEST = (
    "Altinn, «Request consent», https://docs.altinn.studio/en/authorization/guides/system-vendor/consent/request/"
)
A3_TOKEN = (
    "Altinn, «Retrieve consent token», "
    "https://docs.altinn.studio/en/authorization/guides/system-vendor/consent/retrieve-token/"
)
A3_ABOUT = "Altinn, «Consent», https://docs.altinn.studio/en/authorization/what-do-you-get/consent/"
MP_CONSENT = (
    "Digdir, «Samtykketoken i Maskinporten», https://docs.digdir.no/docs/Maskinporten/maskinporten_func_samtykke"
)
MP_CLIENT = (
    "Digdir, «Maskinporten: API-konsument», https://docs.digdir.no/docs/Maskinporten/maskinporten_guide_apikonsument"
)
NAV_UFORE = (
    "NAV, «Uføreopplysninger» (API description), "
    "https://navikt.github.io/pensjon-ekstern-api/api/uforeopplysninger/uforeopplysninger.html"
)
BEARER = "RFC 6750, «OAuth 2.0 Bearer Token Usage», https://www.rfc-editor.org/rfc/rfc6750"

#: NAV's consent resource in Altinn 3, and the longest a consent may last (the DSOP rule; Altinn
#: refuses a longer ``validTo`` for this resource).
NAV_RESOURCE = "nav_samtykke_dsop_aap-ufore"
CONSENT_YEARS = 3


def _nav_down(process: str) -> tuple[Requirement, ...]:
    """NAV is failing while the citizen consents: the same three obligations in both generations."""
    return (
        Requirement(
            "DSOP-ASYNC",
            MUST,
            "Completes the consent step even when NAV is down",
            "Consent (process 1) and data retrieval (process 2) are not synchronous: consent must complete "
            "even when NAV is failing, and retrieval must succeed later.",
            f"{process}, step 9",
        ),
        Requirement(
            "DSOP-RECOVERY",
            MUST,
            "Retrieves the data once NAV is back",
            "Retrieval must succeed later.",
            f"{process}, step 9",
        ),
        Requirement(
            "DSOP-NO-HAMMERING",
            SHOULD,
            "Backs off while NAV is failing instead of hammering it",
            "When NAV fails, retry with increasing intervals; do not load a failing service.",
            f"{process}, step 9",
        ),
    )


TLS_VERIFY = Requirement(
    "DSOP-TLS-VERIFY",
    MUST,
    "Sends its tokens to NAV only over TLS whose certificate chain it verified",
    "The insurer sets up one-way TLS to NAV. The client MUST validate the TLS certificate chain when making "
    "requests to protected resources; failing to do so lets whoever can redirect its traffic steal the "
    "bearer tokens.",
    f"{NAV_UFORE}, security; {BEARER}, §5.3",
)

ALTINN2: tuple[Requirement, ...] = (
    Requirement(
        "DSOP-CONSENT-REQUEST",
        MUST,
        "Asks Altinn for the citizen's consent to NAV's service 5252",
        "The insurer asks Altinn for consent: a consent request (REST, or a parameterised link) naming the "
        "insurer, the NAV service and the period.",
        f"{PROCESS}, step 2; {DSOP_CONSENT}",
    ),
    Requirement(
        "DSOP-CALLBACK",
        MUST,
        "Takes the citizen back after the consent page and completes the consent step",
        "Altinn redirects the citizen back to the insurer. The insurer fetches a short-lived consent token "
        "from Altinn.",
        f"{PROCESS}, step 4",
    ),
    Requirement(
        "DSOP-CALLBACK-STATE",
        MUST,
        "Accepts only callbacks for consent requests it made itself",
        "The consumer must check that the AuthorizationCode it gets back belongs to a request it created "
        "before using it (the redirect can be forged by anyone who can send the citizen a link).",
        f"{A2_VERIFY}; {A2_REQUESTS}",
    ),
    Requirement(
        "DSOP-TOKEN-EXCHANGE",
        MUST,
        "Exchanges the authorization code for a consent token",
        "The consumer exchanges the code with GET /api/authorization/token/{code} for a 30-second consent token.",
        A2_TOKEN,
    ),
    Requirement(
        "DSOP-FETCH",
        MUST,
        "Fetches NAV data with a Maskinporten token and the consent token",
        "The insurer gets a Maskinporten access token and calls NAV with both tokens. NAV checks that the "
        "insurer may call the API at all, then that the consent token is valid and covers this insurer, this "
        "person and this data.",
        f"{PROCESS}, step 5",
    ),
    Requirement(
        "DSOP-LOGUSE",
        MUST,
        "Logs each use of the consent with Altinn",
        "The insurer logs its use of the consent with Altinn (loguse).",
        f"{PROCESS}, step 6; {A2_LOGUSE}",
    ),
    Requirement(
        "DSOP-PERSON",
        MUST,
        "Never sends one person's consent token with another person's identifier",
        "NAV checks that the consent covers this person: OfferedBy must equal the fødselsnummer asked about.",
        f"{NAV_UFORE}, 403",
    ),
    Requirement(
        "DSOP-REUSE",
        MUST,
        "Fetches again under the same consent without asking the citizen again",
        "Reuse: while the consent is valid (three years) the insurer may fetch again, each time with a fresh "
        "short-lived consent token, without asking the citizen again.",
        f"{PROCESS}, step 7",
    ),
    Requirement(
        "DSOP-TOKEN-FRESH",
        MUST,
        "Gets a new consent token when the old one has expired, never reuses it",
        "The token lives 30 seconds; re-fetch with the same code as often as needed while the consent is valid.",
        A2_TOKEN,
    ),
    Requirement(
        "DSOP-MASKINPORTEN-REFRESH",
        MUST,
        "Gets a new Maskinporten token when the old one has expired",
        "An access token is valid for its expires_in seconds; the client asks for a new one when it expires.",
        MP_CLIENT,
    ),
    Requirement(
        "DSOP-MASKINPORTEN-REUSE",
        SHOULD,
        "Reuses a valid Maskinporten token instead of asking for every call",
        "Clients should reuse an access token until it expires rather than asking Maskinporten for each call.",
        MP_CLIENT,
    ),
    Requirement(
        "DSOP-DECLINED",
        MUST,
        "Respects a declined consent: no data is fetched",
        "Altinn shows the consent text with «Ja, jeg gir samtykke» / «Nei, jeg samtykker ikke».",
        f"{PROCESS}, step 3",
    ),
    Requirement(
        "DSOP-REVOKED",
        MUST,
        "Stops after the citizen withdraws the consent and says consent is required",
        "The citizen can revoke the consent in Altinn at any time; after that no consent token is issued and "
        "NAV gives nothing.",
        f"{PROCESS}, step 8",
    ),
    Requirement(
        "DSOP-NO-ENDLESS-RETRY",
        MUST,
        "Does not keep retrying a consent that has been withdrawn",
        "A 403 from the token endpoint means the consent is withdrawn or expired; the consumer must ask the "
        "citizen again rather than retry.",
        A2_TOKEN,
    ),
    Requirement(
        "DSOP-EXPIRY",
        MUST,
        "Treats a consent as ended when its three years are over",
        "The consent is valid for up to three years; after expiry no consent token is issued and NAV gives nothing.",
        f"{PROCESS}, steps 7–8",
    ),
    *_nav_down(PROCESS),
    Requirement(
        "DSOP-KEY-ROTATION",
        MUST,
        "Keeps working when Altinn rotates its signing key",
        "The JWKS lists the primary and the secondary certificate (rotation; pick the key by kid / x5t).",
        A2_SOURCE_TOKEN,
    ),
    TLS_VERIFY,
)

ALTINN3: tuple[Requirement, ...] = (
    Requirement(
        "DSOP-CONSENT-REQUEST",
        MUST,
        f"Asks Altinn 3 for the citizen's consent to NAV's resource {NAV_RESOURCE}, for at most three years",
        "The data consumer creates a consent request with its own id, the person it concerns in from, itself "
        "in to, validTo, and a consent right for the resource; for NAV's API the resource is "
        f"{NAV_RESOURCE}, and a consent lasts at most three years.",
        f"{A3_REQUEST}; {NAV_UFORE}, Altinn 3; {PROCESS}, step 7",
    ),
    Requirement(
        "DSOP-CALLBACK",
        MUST,
        "Takes the citizen back after the consent page and completes the consent step",
        "After the citizen has answered, Altinn sends the browser to the request's redirectUrl with Status=OK "
        "(or Status=Failed and an ErrorMessage).",
        f"{A3_CONSENT}, flow; {A3_REQUEST}",
    ),
    Requirement(
        "DSOP-CALLBACK-STATE",
        MUST,
        "Uses only consents it requested itself: a callback naming another consent id is never used",
        "No consent id comes back with the redirect; the consumer puts its own correlation in redirectUrl and "
        "keeps the id of the request it created (it may confirm the status with GET on the consent request). "
        "Anyone can send the citizen to that address with Status=OK.",
        f"{A3_CONSENT}, flow (optional verification); {A3_REQUEST}",
    ),
    Requirement(
        "DSOP-CONSENT-IN-TOKEN",
        MUST,
        "Gets the consent into the Maskinporten token: authorization_details with the consent's id and from, "
        "one consent per token request",
        "The consent token is retrieved as part of the Maskinporten token: the JWT grant carries "
        "authorization_details of type urn:altinn:consent with the consent request's id and from; only one "
        "consent can be asked for at a time.",
        f"{A3_TOKEN}; {MP_CONSENT}",
    ),
    Requirement(
        "DSOP-FETCH",
        MUST,
        "Fetches NAV data with the Maskinporten token that carries the consent",
        "NAV takes the Maskinporten token carrying the consent in authorization_details (the NAV-Samtykke-Token "
        "header is Altinn 2 only) and checks its from, to, validTo and the period in fraogmed/tilogmed.",
        f"{NAV_UFORE}, Altinn 3; {A3_ABOUT}",
    ),
    Requirement(
        "DSOP-PERSON",
        MUST,
        "Never sends one person's consent with another person's fødselsnummer",
        "NAV checks that the consent's from is urn:altinn:person:identifier-no: followed by the fødselsnummer "
        "asked about.",
        f"{NAV_UFORE}, Altinn 3",
    ),
    Requirement(
        "DSOP-REUSE",
        MUST,
        "Fetches again under the same consent without asking the citizen again",
        "Reuse: while the consent is valid (three years) the insurer may fetch again without asking the citizen again.",
        f"{PROCESS}, step 7",
    ),
    Requirement(
        "DSOP-MASKINPORTEN-REFRESH",
        MUST,
        "Replaces a consent-bearing Maskinporten token once it has expired, never sends it",
        "An access token is valid for its expires_in seconds; the client asks for a new one when it expires.",
        f"{MP_CLIENT}; {MP_CONSENT}",
    ),
    Requirement(
        "DSOP-MASKINPORTEN-REUSE",
        SHOULD,
        "Reuses a valid consent-bearing Maskinporten token instead of asking for every call",
        "Clients should reuse an access token until it expires rather than asking Maskinporten for each call.",
        MP_CLIENT,
    ),
    Requirement(
        "DSOP-DECLINED",
        MUST,
        "Respects a declined consent (Status=Failed): nothing is fetched",
        "When the citizen does not consent, Altinn sends the browser back with Status=Failed and "
        "ErrorMessage «User did not give consent»; the consent request is rejected.",
        f"{A3_CONSENT}, flow; {PROCESS}, step 3",
    ),
    Requirement(
        "DSOP-REVOKED",
        MUST,
        "Stops after the citizen revokes the consent and says consent is required",
        "The citizen can revoke the consent in Altinn at any time; Maskinporten then issues no token with the "
        "consent (Altinn's lookup refuses it) and NAV gives nothing.",
        f"{PROCESS}, step 8; {MP_CONSENT}",
    ),
    Requirement(
        "DSOP-NO-ENDLESS-RETRY",
        MUST,
        "Does not keep asking Maskinporten for a consent that has been revoked",
        "A refusal of the consent (invalid_altinn_customer_configuration naming Altinn's code) is not cured by "
        "asking again; the consumer must ask the citizen for a new consent.",
        f"{MP_CONSENT}; {PROCESS}, step 8",
    ),
    Requirement(
        "DSOP-EXPIRY",
        MUST,
        "Treats a consent as ended when its three years are over",
        "The consent is valid until its validTo, at most three years; after that Maskinporten issues no token "
        "with it and NAV refuses a token whose validTo has passed.",
        f"{PROCESS}, steps 7–8; {NAV_UFORE}, Altinn 3",
    ),
    *_nav_down(PROCESS),
    TLS_VERIFY,
)

CATALOGUES: dict[str, tuple[Requirement, ...]] = {"altinn3": ALTINN3, "altinn2": ALTINN2}
assert set(CATALOGUES) == set(GENERATIONS)


def catalogue(generation: str) -> tuple[Requirement, ...]:
    """The requirements an insurer speaking ``generation`` is judged by."""
    return CATALOGUES[generation]


def by_id(generation: str) -> dict[str, Requirement]:
    return {requirement.id: requirement for requirement in CATALOGUES[generation]}
