"""The requirements the suite judges, each with the sentence it comes from.

Sources: the DSOP process description for "Syke- og uføreopplysninger fra NAV" as DESIGN.md §1
retells it step by step, and the protocol documents in shared/protocols (Altinn's consent
guides, NAV's API description). Each requirement is about what the *insurer's integration* does;
what the sandbox's services enforce themselves is not judged here.
"""

from __future__ import annotations

from .results import MUST, SHOULD, Requirement

PROCESS = "DSOP prosessbeskrivelse, Syke- og uføreopplysninger fra NAV (DESIGN.md §1)"
ALTINN = "Altinn samtykke, datakonsument (altinn-consent.md part A)"
NAV = "NAV API for forsikringsselskaper (nav-api.md)"
MASKINPORTEN = "Maskinporten, API-konsument (idporten-maskinporten.md)"
BEARER = "RFC 6750, OAuth 2.0 Bearer Token Usage"

REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        "DSOP-CONSENT-REQUEST",
        MUST,
        "Asks Altinn for the citizen's consent to NAV's service 5252",
        "The insurer asks Altinn for consent: a consent request (REST, or a parameterised link) naming the "
        "insurer, the NAV service and the period.",
        f"{PROCESS}, step 2",
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
        f"{ALTINN}, A.4",
    ),
    Requirement(
        "DSOP-TOKEN-EXCHANGE",
        MUST,
        "Exchanges the authorization code for a consent token",
        "The consumer exchanges the code with GET /api/authorization/token/{code} for a 30-second consent token.",
        f"{ALTINN}, A.5",
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
        f"{PROCESS}, step 6",
    ),
    Requirement(
        "DSOP-PERSON",
        MUST,
        "Never sends one person's consent token with another person's identifier",
        "NAV checks that the consent covers this person: OfferedBy must equal the fødselsnummer asked about.",
        f"{NAV}, §2.4 item 6",
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
        f"{ALTINN}, A.5",
    ),
    Requirement(
        "DSOP-MASKINPORTEN-REFRESH",
        MUST,
        "Gets a new Maskinporten token when the old one has expired",
        "An access token is valid for its expires_in seconds; the client asks for a new one when it expires.",
        f"{MASKINPORTEN}, §1",
    ),
    Requirement(
        "DSOP-MASKINPORTEN-REUSE",
        SHOULD,
        "Reuses a valid Maskinporten token instead of asking for every call",
        "Clients should reuse an access token until it expires rather than asking Maskinporten for each call.",
        f"{MASKINPORTEN}, §1",
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
        f"{ALTINN}, A.5 and A.10",
    ),
    Requirement(
        "DSOP-EXPIRY",
        MUST,
        "Treats a consent as ended when its three years are over",
        "The consent is valid for up to three years; after expiry no consent token is issued and NAV gives nothing.",
        f"{PROCESS}, steps 7–8",
    ),
    Requirement(
        "DSOP-ASYNC",
        MUST,
        "Completes the consent step even when NAV is down",
        "Consent (process 1) and data retrieval (process 2) are not synchronous: consent must complete even "
        "when NAV is failing, and retrieval must succeed later.",
        f"{PROCESS}, step 9",
    ),
    Requirement(
        "DSOP-RECOVERY",
        MUST,
        "Retrieves the data once NAV is back",
        "Retrieval must succeed later.",
        f"{PROCESS}, step 9",
    ),
    Requirement(
        "DSOP-NO-HAMMERING",
        SHOULD,
        "Backs off while NAV is failing instead of hammering it",
        "When NAV fails, retry with increasing intervals; do not load a failing service.",
        f"{PROCESS}, step 9",
    ),
    Requirement(
        "DSOP-KEY-ROTATION",
        MUST,
        "Keeps working when Altinn rotates its signing key",
        "The JWKS lists the primary and the secondary certificate (rotation; pick the key by kid / x5t).",
        f"{ALTINN}, A.7",
    ),
    Requirement(
        "DSOP-TLS-VERIFY",
        MUST,
        "Sends its tokens to NAV only over TLS whose certificate chain it verified",
        "The insurer sets up one-way TLS to NAV. The client MUST validate the TLS certificate chain when "
        "making requests to protected resources; failing to do so lets whoever can redirect its traffic "
        "steal the bearer tokens.",
        f"{NAV}, architecture step 3; {BEARER}, §5.3",
    ),
)

BY_ID = {requirement.id: requirement for requirement in REQUIREMENTS}
