"""The ID-porten fake (OIDC provider for citizen login)."""

from .app import create_app

__all__ = ["create_app"]
