"""Which certificates a sandbox service trusts when it calls another one over HTTP.

With ``tls`` on, every service serves HTTPS with a certificate from the key authority, and every
caller inside the sandbox trusts exactly the authority's root (``<state_dir>/authority/ca.pem``,
the key authority's ``ca_bundle_path``) and nothing else. With ``tls`` off the value is ``True``
(``requests``' default), which plain http never consults.
"""

from __future__ import annotations

from pathlib import Path

from .settings import Settings

AUTHORITY_FOLDER = "authority"
CA_BUNDLE_FILE = "ca.pem"


def ca_bundle_path(settings: Settings) -> Path:
    """Where the key authority keeps its CA bundle for this state directory."""
    return Path(settings.state_dir) / AUTHORITY_FOLDER / CA_BUNDLE_FILE


def trust(settings: Settings) -> bool | str:
    """``requests``' ``verify=`` for calls between sandbox services."""
    return str(ca_bundle_path(settings)) if settings.tls else True
