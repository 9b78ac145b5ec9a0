"""The reference insurer: a correct DSOP integration ("Syke- og uføreopplysninger fra NAV"),
written as a careful insurer would write it, speaking only the public protocols over HTTP.

It imports nothing from the sandbox: only Flask, requests, PyJWT, cryptography and the standard
library. ``create_app(config)`` builds the Flask app from the ``insurer.toml`` that
``dsop-sandbox register-insurer`` writes; ``python -m dsop_sandbox.examples.reference_insurer --insurer
insurer.toml`` serves it.
"""

from .app import create_app
from .config import ConfigError, InsurerConfig, RetryPolicy, load_config
from .insurer import CallbackOutcome, ClaimError, FetchResult, ReferenceInsurer

__all__ = [
    "CallbackOutcome",
    "ClaimError",
    "ConfigError",
    "FetchResult",
    "InsurerConfig",
    "ReferenceInsurer",
    "RetryPolicy",
    "create_app",
    "load_config",
]
