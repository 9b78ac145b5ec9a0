"""ID-porten's OpenID Provider metadata: the field set of the real TEST environment's document."""

from __future__ import annotations

from .authorize import HIGH, SUBSTANTIAL


def metadata(issuer: str, base_url: str) -> dict:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base_url}/authorize",
        "pushed_authorization_request_endpoint": f"{base_url}/par",
        "token_endpoint": f"{base_url}/token",
        "end_session_endpoint": f"{base_url}/logout",
        "jwks_uri": f"{base_url}/jwks.json",
        "userinfo_endpoint": f"{base_url}/userinfo",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "scopes_supported": ["openid", "profile"],
        "subject_types_supported": ["public", "pairwise"],  # as the real document; the fake's sub is pairwise
        "acr_values_supported": [SUBSTANTIAL, HIGH],
        "ui_locales_supported": ["nb", "nn", "en", "se"],
        "prompt_values_supported": ["login", "none", "consent"],
        "claims_supported": [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "jti",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "pid",
            "sid",
            "locale",
        ],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "display_values_supported": ["page"],
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
        "authorization_response_iss_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
    }
