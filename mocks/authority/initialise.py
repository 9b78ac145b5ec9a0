"""The key authority's init step: make, once, every file the services will open (read-only) later.

``dsop-sandbox keys init`` runs :func:`initialise` (docker-compose.yml as its ``keys`` service,
dsop_sandbox.topology.ProcessTopology before it starts the service processes). It creates the CAs,
``ca.pem``, a signing key for every issuer and, for ``tls``, each named service's TLS server
certificate, all in the key directory itself: the overlay of a state directory is not consulted,
so what a service finds there afterwards is exactly what every other service finds. Material that
is already there and usable is kept (the step may run again on every ``docker compose up``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .authority import ISSUERS, KEYS_FOLDER, KeyAuthority


def initialise(state_dir: str | Path, now: datetime, tls: dict[str, list[str]] | None = None) -> KeyAuthority:
    """The authority of ``state_dir`` with all its material in ``<state_dir>/authority``; ``tls``
    maps service names to the host names their certificates must cover. Raises
    :class:`~.layers.AuthorityError` when something is missing and the directory cannot be written."""
    directory = Path(state_dir) / KEYS_FOLDER
    # The key directory is its own overlay here: nothing is looked up in, or written to, another one.
    authority = KeyAuthority(directory, now, overlay=directory, read_only=False)
    for service, hostnames in (tls or {}).items():
        authority.tls_certificate(service, hostnames, now)
    return authority


def describe(authority: KeyAuthority, tls: dict[str, list[str]] | None = None) -> str:
    """One line for the init step's log: where the material is and what it holds."""
    issuers = ", ".join(f"{issuer} (generation {authority.signing_key(issuer).generation})" for issuer in ISSUERS)
    services = ", ".join(f"{name} [{' '.join(hosts)}]" for name, hosts in (tls or {}).items())
    return (
        f"key authority ready in {authority.directory}: root and enterprise CA, CA bundle "
        f"{authority.ca_bundle_path.name}, signing keys of {issuers}"
        + (f"; TLS certificates of {services}" if services else "; no TLS certificates (tls is off)")
    )
