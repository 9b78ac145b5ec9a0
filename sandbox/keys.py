"""The key authority's init step, ``dsop-sandbox keys init``: every key and certificate the
services will need, made once before they start (the compose ``keys`` service)."""

from __future__ import annotations

from datetime import UTC, datetime

from dsop_sandbox.mocks.authority.initialise import describe, initialise
from dsop_sandbox.mocks.common.admin_access import admin_token
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, Settings

from .launcher import tls_hostnames


def init_keys(settings: Settings, now: datetime | None = None) -> str:
    """Create every key and certificate the services of ``settings`` will need (TLS server
    certificates too when ``settings.tls``), in ``<state_dir>/authority``; a line saying what is there.
    :class:`dsop_sandbox.mocks.authority.AuthorityError` when something is missing and cannot be written."""
    tls = {name: tls_hostnames(settings, name) for name in SERVICE_NAMES} if settings.tls else {}
    authority = initialise(settings.state_dir, now or datetime.now(UTC), tls)
    admin_token(settings, beside_authority=True)  # every container of the topology reads this one
    return describe(authority, tls)
