"""One test PKI per test process, copied into the state directories the tests hand out.

Making RSA keys is most of what starting a sandbox costs (a root and an enterprise CA, three
issuers' signing keys, TLS certificates): the tests would make hundreds. The copy is a real key
directory, as ``dsop-sandbox keys init`` makes it, for the host names tests serve on; a test that
is about making the material (tests/authority, the init step) starts from an empty directory
instead.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from dsop_sandbox.mocks.authority.authority import KEYS_FOLDER
from dsop_sandbox.mocks.authority.initialise import initialise
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES

#: What tests serve TLS on (tls_hostnames of settings on localhost), and who serves it.
TLS_HOSTNAMES = ["localhost", "127.0.0.1"]
TLS_SERVERS = (*SERVICE_NAMES, "reference-insurer")

_template: Path | None = None


def template() -> Path:
    """This process's key directory, made on first use."""
    global _template
    if _template is None:
        root = Path(tempfile.mkdtemp(prefix="dsop-test-pki-"))
        atexit.register(shutil.rmtree, root, True)
        initialise(root, datetime.now(UTC), tls=dict.fromkeys(TLS_SERVERS, TLS_HOSTNAMES))
        _template = root / KEYS_FOLDER
    return _template


def with_test_keys(state_dir: str | Path) -> Path:
    """``state_dir`` with the process's key directory in it (unless it has one already)."""
    keys = Path(state_dir) / KEYS_FOLDER
    if not keys.exists():
        shutil.copytree(template(), keys)
    return Path(state_dir)
