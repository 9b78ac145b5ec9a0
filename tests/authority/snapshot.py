"""What a directory holds, to prove that nothing in it changed (a real check even as root, whom
``chmod a-w`` does not stop)."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path


def snapshot(directory: Path) -> dict[str, tuple]:
    """Every entry under ``directory`` (itself and dot files included): mode, mtime, content hash."""
    entries = {}
    for path in sorted([directory, *directory.rglob("*")]):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        entries[str(path.relative_to(directory))] = (stat.S_IMODE(info.st_mode), info.st_mtime_ns, digest)
    return entries
