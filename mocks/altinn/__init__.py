"""The Altinn consent fake."""

from .app import create_app

__all__ = ["create_app"]
