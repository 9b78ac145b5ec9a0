"""One test PKI per test session, copied into the state directories the tests hand out.

Making RSA keys is most of what starting a sandbox costs (a root and an enterprise CA, three
issuers' signing keys, TLS certificates): the tests would make hundreds. The copy is a real key
directory, as ``dsop-sandbox keys init`` makes it, for the host names tests serve on; a test that
is about making the material (tests/authority, the init step) starts from an empty directory
instead.

Under pytest-xdist the controller makes the PKI before it starts the workers (tests/conftest.py's
``pytest_configure``) and names it in ``DSOP_TEST_PKI``, which the workers inherit: one PKI for the
session instead of one per worker.
"""

from __future__ import annotations

import atexit
import os
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

#: The environment variable that hands the session's key directory to pytest-xdist's workers.
SHARED = "DSOP_TEST_PKI"

_template: Path | None = None


def make_template() -> Path:
    """A new key directory in a temporary folder that is removed when this process exits."""
    root = Path(tempfile.mkdtemp(prefix="dsop-test-pki-"))
    atexit.register(shutil.rmtree, root, True)
    initialise(root, datetime.now(UTC), tls=dict.fromkeys(TLS_SERVERS, TLS_HOSTNAMES))
    return root / KEYS_FOLDER


def template() -> Path:
    """The session's key directory: the one ``DSOP_TEST_PKI`` names, else this process's own, made on
    first use."""
    global _template
    if _template is None:
        shared = os.environ.get(SHARED)
        _template = Path(shared) if shared and Path(shared).is_dir() else make_template()
    return _template


def with_test_keys(state_dir: str | Path) -> Path:
    """``state_dir`` with the process's key directory in it (unless it has one already)."""
    keys = Path(state_dir) / KEYS_FOLDER
    if not keys.exists():
        shutil.copytree(template(), keys)
    return Path(state_dir)
