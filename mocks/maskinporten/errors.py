"""Maskinporten's error catalogue and wire shape.

Real responses are HTTP 400 with::

    {"error": "invalid_grant",
     "error_description": "Invalid assertion. Client authentication failed. Expired key. (trace_id: 3566…)",
     "error_uri": "https://maskinporten.no/errors/MP-121"}

Codes and texts follow Digdir's "Feilsøking i Maskinporten"
(https://docs.digdir.no/docs/Maskinporten/maskinporten_feilsoking; structured codes since
felleslosninger/docs PR #375, https://github.com/felleslosninger/docs/pull/375). Where Digdir
documents a text but no code (clock skew, lifetime, missing scope) the sandbox files it under the
nearest documented code: timing under MP-130, malformed grants under MP-011, algorithm refusals
under MP-124. MP-303 has a second ``error``: ``invalid_altinn_customer_configuration`` when Altinn
refuses the consent a grant asks for (see consent_check). Altinn out of reach is a 503
``temporarily_unavailable`` without a code, like the other server-side failures (:func:`error_body`).
"""

from __future__ import annotations

from dsop_sandbox.mocks.common.errors import ErrorShape, ServiceError

CLIENT_AUTH = "Invalid assertion. Client authentication failed."
INVALID_PARAMETER = "Invalid assertion. Invalid parameter value."

#: code: (OAuth error, text, what to do) — the text starts every description with that code.
CATALOGUE: dict[str, tuple[str, str, str]] = {
    "MP-011": (
        "invalid_request",
        INVALID_PARAMETER,
        "The JWT grant is malformed: a required claim is missing or has the wrong type, or it carries a "
        "claim Maskinporten does not know.",
    ),
    "MP-012": (
        "invalid_grant",
        "Validation of JWT Bearer grant failed. Grant is used before.",
        "Every grant needs a fresh jti; make a new grant for every token request.",
    ),
    "MP-100": (
        "invalid_grant",
        f"{CLIENT_AUTH} Client not found.",
        "iss must be the client_id of a client registered in this environment.",
    ),
    "MP-110": (
        "invalid_grant",
        f"{CLIENT_AUTH} Invalid JWT claim aud.",
        "aud must be exactly the issuer, with its trailing slash, as a single string.",
    ),
    "MP-120": (
        "invalid_grant",
        f"{CLIENT_AUTH} The JWT is signed with an invalid certificate.",
        "The x5c chain must lead to the environment's root CA and be valid now (no production certificates in test).",
    ),
    "MP-121": (
        "invalid_grant",
        f"{CLIENT_AUTH} Expired key.",
        "A registered JWK lives at most one year; register a new key.",
    ),
    "MP-122": (
        "invalid_grant",
        f"{CLIENT_AUTH} Invalid JWT. Invalid organization number for client. Does not match certificate orgno.",
        "The enterprise certificate must belong to the organisation that owns the client.",
    ),
    "MP-123": (
        "invalid_grant",
        f"{CLIENT_AUTH} Invalid JWT header x5c.",
        "x5c must be a JSON array of base64 DER certificates, leaf first.",
    ),
    "MP-124": (
        "invalid_grant",
        f"{CLIENT_AUTH} Invalid JWT signature.",
        "Sign with RS256, RS384 or RS512 using the key of the certificate or registered JWK.",
    ),
    "MP-130": (
        "invalid_grant",
        f"{CLIENT_AUTH} JWT is expired.",
        "Use iat = now and exp = iat + at most 120 s; the server allows 10 s of clock skew.",
    ),
    "MP-200": (
        "invalid_scope",
        "Token request contains invalid scopes for client.",
        "Every scope asked for must be registered on the client.",
    ),
    "MP-201": (
        "invalid_scope",
        "Token request contains scopes not allowed for maskinporten.",
        "The scope does not accept the client's integration type.",
    ),
    "MP-250": (
        "invalid_scope",
        "Consumer has not been granted access to the scope.",
        "The API owner must put the consumer organisation on the scope's access list.",
    ),
    "MP-251": (
        "invalid_scope",
        "Consumer has not delegated access to the scope to supplier.",
        "With consumer_org, the customer must have delegated the scope to the supplier in Altinn.",
    ),
    "MP-301": (
        "invalid_request",
        "Invalid authorization_details. Unknown type.",
        "Ask only for a type listed in authorization_details_types_supported in the metadata. dsop-sandbox "
        "serves urn:altinn:consent; the real Maskinporten also serves urn:altinn:systemuser.",
    ),
    "MP-302": (
        "invalid_request",
        "Invalid authorization_details. Unknown fields.",
        "Send only the fields the authorization_details type defines: type, id and from for urn:altinn:consent.",
    ),
    "MP-303": (
        "invalid_request",
        "Invalid authorization_details. Invalid values.",
        "authorization_details must be an array with one urn:altinn:consent whose id is the consent request's "
        "UUID and whose from is urn:altinn:person:identifier-no:<pid> or "
        "urn:altinn:organization:identifier-no:<orgno>. When Altinn refuses the consent (unknown, given to "
        "another organisation, another person, revoked, expired, not accepted), the error is "
        "invalid_altinn_customer_configuration and the description names Altinn's problem code and title. "
        "The consent must be given to the consumer: the client's organisation, or with consumer_org the "
        "customer. (The real Maskinporten's answer to a refused consent is not published; dsop-sandbox answers "
        "as the real one does when Altinn refuses a system user.)",
    ),
}
#: ``error`` of MP-303 when Altinn refuses what authorization_details asks for (Altinn documents it
#: for system users; for consent it is the sandbox's choice, see consent_check).
ALTINN_REFUSED_ERROR = "invalid_altinn_customer_configuration"
#: The other ``error`` values a code is answered with (shown on its error page).
OTHER_ERRORS = {"MP-303": (ALTINN_REFUSED_ERROR,)}

#: Fine-grained texts that follow the code's text (kept here so tests and code share them).
TOO_LONG_LIFETIME = "JWT has too long lifetime"
ISSUED_IN_FUTURE = "Issue time is in the future"
ISSUED_TOO_LONG_AGO = "Issue time is too long ago"
NOT_YET_VALID = "JWT is not yet valid"
REQUIRES_KID = "Invalid JWT. The client requires pre-registered jwk and no key identifier (kid) provided"
UNKNOWN_KID = "Unknown key identifier (kid)"
NO_CERTIFICATE = "Failed to extract certificate from jwt"
CONSUMER_ORG_IS_CLIENT = (
    "Validation of JWT claim failed: The combination consumer_org in claim and delegation scope on client is invalid"
)


def describe(message: str, trace_id: str) -> str:
    return f"{message} (trace_id: {trace_id})"


def error_body(status: int, code: str, message: str, trace_id: str) -> dict:
    """Generic failures (wrong method, body too large, faults) in Maskinporten's OAuth shape."""
    if code not in {
        "invalid_request",
        "invalid_grant",
        "invalid_scope",
        "unsupported_grant_type",
        "invalid_client",
        "unauthorized_client",
        "server_error",
        "temporarily_unavailable",
    }:
        code = ("temporarily_unavailable" if status == 503 else "server_error") if status >= 500 else "invalid_request"
    return {"error": code, "error_description": describe(message, trace_id)}


ERRORS = ErrorShape(error_body)


class MaskinportenErrors:
    """Builds the catalogue's errors with this sandbox's ``error_uri`` base."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def error_uri(self, code: str) -> str:
        return f"{self.base_url}/errors/{code}"

    def __call__(
        self, code: str, trace_id: str, detail: str | None = None, *, text: str | None = None, error: str | None = None
    ) -> ServiceError:
        """The error for ``code``; ``detail`` follows the catalogue text, ``text`` replaces it, ``error``
        replaces the code's usual OAuth error."""
        usual_error, catalogue_text, _ = CATALOGUE[code]
        error = error or usual_error
        base = text or catalogue_text
        message = f"{base} {detail}" if detail else base
        if not message.endswith("."):
            message += "."
        body = {"error": error, "error_description": describe(message, trace_id), "error_uri": self.error_uri(code)}
        return ServiceError(400, body, code)
