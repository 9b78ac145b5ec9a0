"""What an insurer's registration may choose: the command line offers these choices and the control
plane checks them. A module of its own so that a command that only parses its arguments (``clock``,
``events``, ``register-insurer``) does not import the control plane and, through it, Flask."""

from __future__ import annotations

#: The consent generations an insurer's profile may name; the first is the default for new ones
#: (Altinn 3, what production runs since Altinn II closed on 19 June 2026).
CONSENT_GENERATIONS = ("altinn3", "altinn2")
#: How the insurer's OIDC client may authenticate at ID-porten's /token (the first is the default):
#: a secret in the Basic header or in the form, or a JWT signed with the enterprise certificate
#: (``x5c``). Digdir, «Klientautentisering», https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_token
IDPORTEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
