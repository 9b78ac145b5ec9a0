"""The Maskinporten fake (JWT-bearer grant token service)."""

from .app import create_app

__all__ = ["create_app"]
