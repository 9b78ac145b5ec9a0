"""The NAV API fake."""

from .app import create_app

__all__ = ["create_app"]
